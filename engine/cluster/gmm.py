"""Gaussian mixtures: soft clusters, and k chosen by BIC or AIC when k is left open.

A mixture gives each item a probability per cluster, so the map can show which items sit between
clusters (:func:`certainty`). Embeddings have hundreds of dimensions, where a full covariance has
d(d+1)/2 parameters per cluster (73 920 at 384-d) and is singular for any realistic number of
items. The rule (:func:`mixture_dims`): vectors are projected on their first principal components
when they have more than :data:`MAX_DIMS` dimensions, and for full covariances also when they have
more than sqrt(n / k_max), so that each of k_max clusters has about dims² items, twice its
covariance's parameters. The covariance regulariser is scaled to the data
(:func:`scaled_reg_covar`) and raised tenfold, at most three times, if a fit still fails.

Cost: a full-covariance EM pass is n x k x dims², so on many items k is chosen on a random sample
of :data:`SCAN_SAMPLE` items and only the chosen k is fitted on all, and above
:data:`ONE_START_ABOVE` items each k gets one EM start instead of :data:`N_INIT`. Measured on the
2-core machine, 384-d blobs, k scanned 2..10: 10 000 items 16 s (full) and 0.4 s (diag);
50 000 items 39 s and 0.8 s. Cancel answers within one EM step (about 0.5 s there).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import catalogue
from engine.catalogue import check_k
from engine.cluster import Clustering
from engine.progress import (
    CHOOSE_K,
    MIXTURE_FIT,
    MIXTURE_PREPARE,
    NEVER_CANCELLED,
    CancelToken,
    Progress,
    no_progress,
)

if TYPE_CHECKING:
    from sklearn.mixture import GaussianMixture

COVARIANCE_TYPES = catalogue.names(catalogue.COVARIANCE_TYPES)
CRITERIA = catalogue.names(catalogue.CRITERIA)
MAX_DIMS = 32
"""Above this many dimensions the vectors are always reduced by PCA before fitting a mixture."""
UNCERTAIN_BELOW = 0.8
"""An item whose most likely cluster has a probability below this is counted as uncertain."""
MAX_ITER = 200
N_INIT = 3
"""EM starts per k; 1 above :data:`ONE_START_ABOVE` items, where each start costs seconds."""
ONE_START_ABOVE = 5_000
SCAN_SAMPLE = 10_000
"""Above this many items, k is chosen on a random sample of them and only that k is fitted on all."""
_REG_RETRIES = 3
_INITS = ("kmeans", "random_from_data", "k-means++")


@dataclass
class CriterionCurve:
    """BIC and AIC of a mixture for each k (lower is better); ``best_k`` minimises ``criterion``."""

    ks: list[int]
    bic: list[float]
    aic: list[float]
    best_k: int
    criterion: str
    labels: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        out: dict[str, Any] = {
            "ks": [int(k) for k in self.ks],
            "bic": [float(v) for v in self.bic],
            "aic": [float(v) for v in self.aic],
            "best_k": int(self.best_k),
            "criterion": self.criterion,
        }
        if self.labels is not None:
            out["labels"] = np.asarray(self.labels).tolist()
        return out


def certainty(probabilities: np.ndarray) -> np.ndarray:
    """The probability of each item's most likely cluster (1 = sure; 1/k = a coin toss)."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError(f"probabilities must be an items x clusters array; got shape {p.shape}.")
    return p.max(axis=1)


def scaled_reg_covar(X: np.ndarray) -> float:
    """scikit-learn's 1e-6 covariance floor, taken relative to the data's mean variance.

    A fixed 1e-6 is large for unit-norm embeddings (per-dimension variance about 1/d) and
    negligible for raw measurements in the thousands; relative, it means the same everywhere.
    """
    var = float(np.mean(np.var(X, axis=0))) if len(X) > 1 else 0.0
    return 1e-6 * var if var > 0 and np.isfinite(var) else 1e-6


def mixture_dims(n: int, d: int, k_max: int, covariance_type: str = "full") -> int:
    """How many dimensions a mixture is fitted in (see the module docstring for why)."""
    limit = MAX_DIMS
    if covariance_type == "full":
        limit = min(limit, max(2, int(np.sqrt(n / max(1, k_max)))))
    return min(d, limit)


def reduce_dims(
    X: np.ndarray, max_dims: int = MAX_DIMS, random_state: int | None = 0
) -> tuple[np.ndarray, str | None]:
    """Project ``X`` on its first ``max_dims`` principal components when it has more columns.

    Returns the (possibly unchanged) float64 data and a note for the user, or None.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    dims = min(max_dims, n - 1)
    if d <= max_dims or dims < 1:
        return X, None
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dims, random_state=random_state)
    reduced = pca.fit_transform(X)
    kept = float(np.sum(pca.explained_variance_ratio_))
    note = (
        f"The {d}-dimensional vectors were reduced by PCA to {dims} dimensions before fitting the "
        f"mixture ({kept:.0%} of the variance kept): covariances in {d} dimensions cannot be "
        f"estimated reliably from {n} items."
    )
    return reduced, note


def _check(covariance_type: str, criterion: str) -> None:
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; got {covariance_type!r}."
        )
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be bic or aic; got {criterion!r}.")


def _iterations_per_step(n: int, d: int, k: int, covariance_type: str) -> int:
    """EM iterations between cancel checks: about 0.2 s of work, at least 2, at most 25.

    Each ``fit`` call ends with an extra E-step, so steps of one iteration would double the cost.
    """
    per_item = k * (d * d if covariance_type in ("full", "tied") else d)
    return int(np.clip(2e8 / max(1, n * per_item), 2, 25))


def fit_mixture(
    X: np.ndarray,
    k: int,
    covariance_type: str = "full",
    *,
    n_init: int = 1,
    random_state: int | None = 0,
    reg_covar: float | None = None,
    max_iter: int = MAX_ITER,
    cancel: CancelToken | None = None,
) -> GaussianMixture:
    """The best of ``n_init`` fitted ``GaussianMixture`` runs, EM run in short steps so cancel answers fast.

    Starts cycle through K-Means, random items and k-means++ seeds: K-Means alone cuts long thin
    clusters across, and EM does not recover from that. The regulariser is raised tenfold (at
    most three times) when scikit-learn finds a covariance singular, as duplicated items cause.
    """
    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(X, dtype=np.float64)
    check_k(k, len(X))
    if not isinstance(n_init, Integral) or n_init < 1:
        raise ValueError(f"n_init must be a whole number >= 1; got {n_init!r}.")
    reg = scaled_reg_covar(X) if reg_covar is None else float(reg_covar)
    seeds = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=n_init)
    best: GaussianMixture | None = None
    for i, seed in enumerate(seeds.tolist()):
        init = _INITS[i % len(_INITS)]
        model = _fit_once(X, int(k), covariance_type, init, seed, reg, max_iter, cancel)
        reg = model.reg_covar  # a raised floor is kept for the other starts
        if best is None or model.lower_bound_ > best.lower_bound_:
            best = model
    assert best is not None
    return best


def _fit_once(
    X: np.ndarray,
    k: int,
    covariance_type: str,
    init: str,
    seed: int,
    reg: float,
    max_iter: int,
    cancel: CancelToken,
) -> GaussianMixture:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    step = _iterations_per_step(len(X), X.shape[1], k, covariance_type)
    for attempt in range(_REG_RETRIES + 1):
        model = GaussianMixture(
            n_components=k,
            covariance_type=covariance_type,
            reg_covar=reg,
            max_iter=step,
            init_params=init,
            warm_start=True,  # each fit() call continues EM where the last one stopped
            random_state=seed,
        )
        try:
            done = 0
            while done < max_iter:
                cancel.raise_if_cancelled()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X)
                done += model.n_iter_
                if model.converged_:
                    break
            model.total_iter_ = done
            return model
        except ValueError as err:
            if "ill-defined empirical covariance" not in str(err) or attempt == _REG_RETRIES:
                raise ValueError(
                    f"The mixture with {k} clusters could not be fitted ({err}). Try fewer clusters, "
                    "a simpler covariance type (diag or spherical), or remove duplicated items."
                ) from err
            reg *= 10.0
    raise AssertionError("unreachable")


def _ordered(model: GaussianMixture, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0..m-1 over the non-empty components and probabilities whose column j is label j.

    Components that won no item keep their columns, after the others, so every row sums to 1.
    """
    proba = model.predict_proba(X)
    top = proba.argmax(axis=1)
    counts = np.bincount(top, minlength=proba.shape[1])
    used = [c for c in range(proba.shape[1]) if counts[c] > 0]
    order = used + [c for c in range(proba.shape[1]) if counts[c] == 0]
    remap = np.empty(proba.shape[1], dtype=int)
    remap[order] = np.arange(proba.shape[1])
    return remap[top], proba[:, order]


def select_mixture(
    X: np.ndarray,
    k_min: int = 1,
    k_max: int = 10,
    covariance_type: str = "full",
    criterion: str = "bic",
    *,
    n_init: int = N_INIT,
    random_state: int | None = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[GaussianMixture, CriterionCurve]:
    """Fit a mixture for each k in ``k_min..k_max`` and keep the one with the lowest criterion.

    ``X`` is used as given (reduce it first with :func:`reduce_dims`); k_max is clipped to the
    number of items. Progress is reported after each k; cancel is checked between EM steps.
    """
    _check(covariance_type, criterion)
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(X, dtype=np.float64)
    if not isinstance(k_min, Integral) or k_min < 1:
        raise ValueError(f"k_min must be an integer >= 1; got {k_min!r}.")
    k_max = min(int(k_max), len(X))
    if k_max < k_min:
        raise ValueError(f"Cannot scan k from {k_min} with {len(X)} items; lower k_min.")
    ks = list(range(int(k_min), k_max + 1))
    bic: list[float] = []
    aic: list[float] = []
    best: GaussianMixture | None = None
    best_score = np.inf
    progress(CHOOSE_K, 0, len(ks))
    for i, k in enumerate(ks):
        cancel.raise_if_cancelled()
        model = fit_mixture(X, k, covariance_type, n_init=n_init, random_state=random_state, cancel=cancel)
        bic.append(float(model.bic(X)))
        aic.append(float(model.aic(X)))
        score = bic[-1] if criterion == "bic" else aic[-1]
        if score < best_score:
            best, best_score = model, score
        progress(CHOOSE_K, i + 1, len(ks))
    assert best is not None
    curve = CriterionCurve(ks=ks, bic=bic, aic=aic, best_k=int(best.n_components), criterion=criterion)
    return best, curve


def fit_gmm(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    k_min: int = 2,
    k_max: int = 10,
    covariance_type: str = "full",
    criterion: str = "bic",
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """The pipeline's entry point: a fixed k, or the k of ``k_min..k_max`` with the lowest BIC/AIC."""
    _check(covariance_type, criterion)
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(vectors, dtype=np.float64)
    n = len(X)
    check_k(k, n)
    k_max = max(1, min(k_max, n - 1)) if k is None else int(k)
    fitted_on = min(n, SCAN_SAMPLE) if k is None else n
    n_init = N_INIT if fitted_on <= ONE_START_ABOVE else 1
    progress(MIXTURE_PREPARE, 0, 1)
    dims = mixture_dims(fitted_on, X.shape[1], k_max, covariance_type)
    X, note = reduce_dims(X, dims, random_state)
    cancel.raise_if_cancelled()
    curve = None
    if k is None:
        k_min = max(1, min(k_min, k_max))
        rows = np.arange(n)
        if n > SCAN_SAMPLE:
            rows = np.sort(np.random.default_rng(random_state).choice(n, SCAN_SAMPLE, replace=False))
        model, curve = select_mixture(
            X[rows],
            k_min,
            k_max,
            covariance_type,
            criterion,
            n_init=n_init,
            random_state=random_state,
            progress=progress,
            cancel=cancel,
        )
        if n > SCAN_SAMPLE:  # the chosen k, fitted on every item
            progress(MIXTURE_FIT, 0, 1)
            model = fit_mixture(X, curve.best_k, covariance_type, random_state=random_state, cancel=cancel)
            progress(MIXTURE_FIT, 1, 1)
            scan = f"k was chosen on a random sample of {SCAN_SAMPLE} of the {n} items, then fitted on all."
            note = f"{note} {scan}" if note else scan
    else:
        progress(MIXTURE_FIT, 0, 1)
        model = fit_mixture(X, k, covariance_type, n_init=n_init, random_state=random_state, cancel=cancel)
        progress(MIXTURE_FIT, 1, 1)
    labels, proba = _ordered(model, X)
    if curve is not None:
        curve.labels = labels
    sure = certainty(proba)
    info: dict[str, Any] = {
        "k": int(model.n_components),
        "covariance_type": covariance_type,
        "criterion": criterion,
        "bic": float(model.bic(X)),
        "aic": float(model.aic(X)),
        "converged": bool(model.converged_),
        "iterations": int(getattr(model, "total_iter_", model.n_iter_)),
        "reg_covar": float(model.reg_covar),
        "dims": int(X.shape[1]),
        "starts": n_init,
        "uncertain_threshold": UNCERTAIN_BELOW,
        "uncertain": int(np.sum(sure < UNCERTAIN_BELOW)),
        "mean_certainty": float(sure.mean()),
    }
    if note:
        info["note"] = note
    if not model.converged_:
        info["warning"] = f"EM did not converge within {MAX_ITER} iterations; the clusters may still move."
    return Clustering(labels=labels, curve=curve, probabilities=proba, info=info)
