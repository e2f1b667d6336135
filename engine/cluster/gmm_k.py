"""Choosing k for a Gaussian mixture: the lowest BIC (or AIC) among the fits that mean something.

BIC alone counts mixture *components*, not clusters, and two things made it miss obvious groups
(measured over k = 2..10, true k in brackets, see tests/engine/test_gmm_k.py):

- **Collapse.** Where a column takes few distinct values (a one-hot category, integer counts, some
  catch22 features), a component can shrink onto items that share a value: its variance in that
  direction falls to the regulariser, the likelihood grows without limit and BIC with it. The demo
  table [3] chose 10 that way (ARI 0.64). Such fits (:func:`collapsed`) are left out.
- **Clusters that are not Gaussian.** The demo time series [3] (catch22 features, tied covariances
  in 16 principal components) keep lowering BIC up to k = 9, each class split into Gaussian pieces
  that are crisp but not groups anyone would name (ARI 0.47). Among the k whose groups stay the same
  when the items are split in random halves (K-Means prediction strength >= 0.8, as
  :mod:`engine.cluster.choose_k` uses), BIC then decides; when no k >= 2 is stable (overlapping
  groups such as the ten digits), BIC decides alone.

With both rules: demo table 3 and demo series 3 (ARI 1.0), standardised wine 3 (was 2; 0.90 against
0.46), blobs of unequal size and spread 3 and 4 (1.0), written texts 4, breast cancer 2; iris 2 and
the digits table 6 as before (no stable k or overlapping species). ICL (BIC plus the assignments'
entropy) changed none of these: the split pieces are crisp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.cluster.choose_k import STABLE

if TYPE_CHECKING:
    from sklearn.mixture import GaussianMixture

COLLAPSED = 10.0
"""A component whose smallest covariance eigenvalue is under this many regularisers has collapsed."""


@dataclass
class CriterionCurve:
    """BIC and AIC of a mixture for each k (lower is better) and the k chosen (see the module)."""

    ks: list[int]
    bic: list[float]
    aic: list[float]
    best_k: int
    criterion: str
    labels: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    stability: list[float] = field(default_factory=list)
    """K-Means prediction strength per k (NaN where not measurable); empty when not measured."""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; an undefined stability (NaN) becomes None."""
        out: dict[str, Any] = {
            "ks": [int(k) for k in self.ks],
            "bic": [float(v) for v in self.bic],
            "aic": [float(v) for v in self.aic],
            "best_k": int(self.best_k),
            "criterion": self.criterion,
            "stability": [None if np.isnan(v) else float(v) for v in self.stability],
            "reason": self.reason,
        }
        if self.labels is not None:
            out["labels"] = np.asarray(self.labels).tolist()
        return out


def collapsed(model: GaussianMixture) -> bool:
    """Whether some component's variance in some direction is held up only by the regulariser."""
    cov = np.asarray(model.covariances_, dtype=np.float64)
    if model.covariance_type in ("full", "tied"):
        smallest = float(np.linalg.eigvalsh(cov).min())
    else:  # diag: variances per component and dimension; spherical: one per component
        smallest = float(cov.min())
    return smallest < COLLAPSED * float(model.reg_covar)


def _ks(ks: list[int], where: list[int]) -> str:
    return ", ".join(str(ks[i]) for i in where)


def choose(
    ks: list[int], scores: list[float], gone: list[bool], stability: list[float], criterion: str
) -> tuple[int, str]:
    """The index of the chosen k and one sentence why (see the module).

    ``scores`` are the criterion per k, ``gone`` whether that fit collapsed, ``stability`` the
    prediction strength per k (NaN where not measurable).
    """
    name = criterion.upper()
    every = list(range(len(ks)))
    kept = [i for i in every if not gone[i]] or every
    stable = [i for i in kept if ks[i] >= 2 and stability[i] >= STABLE]
    pool = stable + [i for i in kept if ks[i] == 1] if stable else kept
    best = min(pool, key=lambda i: scores[i])
    if stable:
        reason = (
            f"k = {ks[best]}: the lowest {name} among the k whose groups stay the same when the items "
            f"are split in random halves (prediction strength >= {STABLE} for k = {_ks(ks, stable)})"
        )
    else:
        reason = f"k = {ks[best]}: the lowest {name}"
        if any(not np.isnan(v) for v in stability):
            reason += ", as no k >= 2 gave groups stable between random halves of the items"
    alone = min(every, key=lambda i: scores[i])
    if alone != best:
        reason += f"; {name} alone would pick k = {ks[alone]}"
    left_out = [i for i in every if gone[i]]
    if left_out and len(kept) < len(every):
        reason += (
            f"; left out k = {_ks(ks, left_out)}, where a cluster shrank onto items sharing a value "
            f"(a category or a repeated number), which raises the likelihood without limit"
        )
    return best, reason + "."
