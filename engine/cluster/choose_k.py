"""Choosing the number of clusters: fit K-Means over a range of k and score each fit.

``best_k`` is the largest k whose clusters are *stable*: their prediction strength (Tibshirani and
Walther 2005, :func:`prediction_strength`) is at least :data:`STABLE`. Cluster two random halves of
the items separately; a k the data supports gives the same groups in both halves, so items that
share a cluster in one half are put together by the other half's centres too. A k above the true
one cuts some group at a random place and fails. When no k >= 2 is stable (overlapping groups,
such as the ten handwritten digits), the best silhouette decides instead.

Why not the silhouette alone: it prefers two clusters whenever two of three groups lie closer to
each other than to the third. Measured (tests/benchmarks/bench_quality.py and issue 8), K-Means with
10 starts, k = 2..10, true k in brackets: the demo time series [3] silhouette 2, stability 3; the
demo table [3] 3 and 3; three 2-D blobs of 300, 100 and 40 items with spreads 2, 1 and 0.5 [3]:
3 and 3; four 10-D blobs of unequal size and spread [4]: 4 and 4; standardised wine [3]: 3 and 3;
breast cancer [2]: 2 and 2; iris [3]: 2 and 2 (two species overlap); digits [10]: 2 and none
stable. The Calinski-Harabasz and Davies-Bouldin indices chose as the silhouette did; the gap
statistic (uniform reference) chose 10 on the time series and on breast cancer.

The elbow of the inertia curve is kept as ``elbow_k``; the GUI plots the curves and lets the user
overrule the choice; ``reason`` says in one sentence why this k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.utils import check_array, check_random_state

from engine.cluster.kmeans import k_means
from engine.cluster.starts import n_starts
from engine.progress import CHOOSE_K, NEVER_CANCELLED, CancelToken, Progress, detailed, no_progress

STABLE = 0.8
"""Prediction strength at which a k counts as stable (Tibshirani and Walther suggest 0.8-0.9)."""
STABILITY_SAMPLE = 2000
"""Items that the stability of each k is measured on (a fixed random sample, halved)."""
STABILITY_SPLITS = 3
"""Random halvings per k; each gives two scores (either half predicting the other)."""
_STABILITY_STARTS = 3


def _json_float(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


@dataclass
class KCurve:
    """Scores of clusterings over a range of k; ``labels`` are those of ``best_k`` (see the module)."""

    ks: list[int]
    inertia: list[float]
    silhouette: list[float]
    best_k: int
    elbow_k: int
    labels: np.ndarray = field(repr=False)
    stability: list[float] = field(default_factory=list)
    """Prediction strength per k (NaN where too few items to halve); empty when not measured."""
    reason: str = ""

    @classmethod
    def scored(
        cls,
        ks: list[int],
        inertia: list[float],
        silhouette: list[float],
        labels: list[np.ndarray],
        stability: list[float] | None = None,
    ) -> KCurve:
        """The curve of candidate clusterings: the largest stable k, else the best silhouette."""
        scores = np.asarray(silhouette, dtype=float)
        # A defined silhouette means k distinct groups were found (identical items are "stable" too).
        stable = [i for i, v in enumerate(stability or []) if v >= STABLE and not np.isnan(scores[i])]
        if stable:
            best = stable[-1]
            reason = (
                f"k = {ks[best]}: the most clusters that stay the same when the items are split in "
                f"random halves (prediction strength {stability[best]:.2f} >= {STABLE})"
            )
            top = int(np.nanargmax(scores)) if np.any(~np.isnan(scores)) else best
            if ks[top] != ks[best]:
                reason += f"; the silhouette alone would pick k = {ks[top]}"
        elif np.any(~np.isnan(scores)):
            best = int(np.nanargmax(scores))
            reason = f"k = {ks[best]}: the best silhouette ({scores[best]:.2f})"
            if stability:
                reason += ", as no k >= 2 gave clusters stable between random halves of the items"
        else:
            best, reason = 0, f"k = {ks[0]}: no k could be scored (identical items?)"
        return cls(
            ks,
            inertia,
            silhouette,
            ks[best],
            elbow(ks, inertia),
            labels[best],
            list(stability or []),
            reason + ".",
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; an undefined score (NaN) becomes None."""
        return {
            "ks": [int(k) for k in self.ks],
            "inertia": [float(v) for v in self.inertia],
            "silhouette": [_json_float(v) for v in self.silhouette],
            "stability": [_json_float(v) for v in self.stability],
            "best_k": int(self.best_k),
            "elbow_k": int(self.elbow_k),
            "reason": self.reason,
            "labels": np.asarray(self.labels).tolist(),
        }


def _pair_agreement(test_labels: np.ndarray, predicted: np.ndarray) -> float:
    """The smallest, over the test clusters, share of their pairs that the prediction keeps together."""
    worst = np.nan
    for c in np.unique(test_labels):
        pred = predicted[test_labels == c]
        m = len(pred)
        if m < 2:
            continue
        counts = np.bincount(pred).astype(np.float64)
        share = float(np.sum(counts * (counts - 1)) / (m * (m - 1)))
        worst = share if np.isnan(worst) else min(worst, share)
    return worst


def prediction_strength(
    X: np.ndarray,
    ks: list[int],
    *,
    random_state: Any = 0,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
    stage: str = CHOOSE_K,
) -> list[float]:
    """Prediction strength of K-Means at each k (Tibshirani and Walther 2005); NaN where not measurable.

    For each of :data:`STABILITY_SPLITS` random halvings of (a sample of) the items, each half is
    clustered; the other half's centres then classify its items, and the score is the smallest,
    over its clusters, share of same-cluster pairs that stay together. A k needs halves of at least
    5 k items to be measured; it scores 0 where a half has fewer than k non-empty clusters (copies
    of a few distinct items, which would otherwise look perfectly stable at any k). ``progress``
    hears ``stage (stability)`` after each k.
    """
    cancel = cancel or NEVER_CANCELLED
    progress = progress or no_progress
    rng = np.random.default_rng(random_state if isinstance(random_state, Integral) else None)
    n = len(X)
    rows = np.sort(rng.choice(n, STABILITY_SAMPLE, replace=False)) if n > STABILITY_SAMPLE else np.arange(n)
    halves = []
    for _ in range(STABILITY_SPLITS):
        order = rng.permutation(rows)
        halves.append((order[: len(order) // 2], order[len(order) // 2 :]))
    out: list[float] = []
    for k in ks:
        progress(detailed(stage, "stability"), len(out), len(ks))  # before: a measured k takes seconds
        if k < 2 or len(rows) // 2 < 5 * k:
            out.append(float("nan"))
            continue
        scores = []
        for a, b in halves:
            centres, labels = [], []
            for half in (a, b):
                cancel.raise_if_cancelled()
                starts = n_starts(len(half), k, X.shape[1], most=_STABILITY_STARTS)
                seed = int(rng.integers(2**31 - 1))
                c, lab, _, _ = k_means(X[half], k, n_init=starts, random_state=seed)
                centres.append(c)
                labels.append(lab)
            if min(np.unique(lab).size for lab in labels) < k:
                scores.append(0.0)  # a half holds fewer than k distinct groups (copies of a few items)
                continue
            for train, test in ((0, 1), (1, 0)):
                predicted = np.argmin(pairwise_distances(X[(a, b)[test]], centres[train]), axis=1)
                scores.append(_pair_agreement(labels[test], predicted))
        out.append(float(np.nanmean(scores)) if np.any(~np.isnan(scores)) else float("nan"))
    progress(detailed(stage, "stability"), len(out), len(ks))
    return out


def elbow(ks: list[int], inertia: list[float]) -> int:
    """The k farthest below the chord joining the first and last points of the inertia curve.

    Both axes are scaled to [0, 1] first so that the answer does not depend on units. Falls back
    to the first k when the curve has fewer than three points or no bend.
    """
    if len(ks) < 3:
        return ks[0]
    x = np.asarray(ks, dtype=float)
    y = np.asarray(inertia, dtype=float)
    span = y.max() - y.min()
    if not np.isfinite(span) or span <= 0:
        return ks[0]
    x = (x - x[0]) / (x[-1] - x[0])
    y = (y - y.min()) / span
    below = y[0] + (y[-1] - y[0]) * x - y  # vertical gap, proportional to the distance to the chord
    i = int(np.argmax(below))
    return ks[i] if below[i] > 0 else ks[0]


def _silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Silhouette from precomputed distances; NaN where undefined (one cluster, or one per point)."""
    n_labels = np.unique(labels).size
    if not 2 <= n_labels <= len(labels) - 1:
        return float("nan")
    return float(silhouette_score(distances, labels, metric="precomputed"))


def choose_k(
    X: Any,
    k_min: int = 2,
    k_max: int = 10,
    *,
    random_state: Any = 0,
    sample_size: int = 3000,
    n_init: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> KCurve:
    """Fit K-Means for each k in [k_min, k_max] (k_max clipped to n_samples - 1) and score it.

    ``n_init`` None gives each k the starts its cost allows (:func:`engine.cluster.starts.n_starts`).

    ``progress(CHOOSE_K, i, n)`` is called after each k and ``cancel`` is checked between fits.
    Identical points make every silhouette undefined; ``best_k`` then falls back to ``k_min``.
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = check_array(X, dtype=[np.float64, np.float32], order="C")
    n = X.shape[0]
    if not isinstance(k_min, Integral) or k_min < 1:
        raise ValueError(f"k_min must be an integer >= 1, got {k_min!r}.")
    if not isinstance(sample_size, Integral) or sample_size < 2:
        raise ValueError(f"sample_size must be an integer >= 2, got {sample_size!r}.")
    k_max = min(k_max, n - 1)
    if k_max < k_min:
        raise ValueError(
            f"Cannot scan k from {k_min} with {n} items: need at least k_min + 1 = {k_min + 1} items."
        )
    rng = check_random_state(random_state)
    # One sample for every k, so that the scores are comparable; distances computed once.
    sample = np.sort(rng.choice(n, sample_size, replace=False)) if n > sample_size else np.arange(n)
    distances = pairwise_distances(X[sample])

    ks = list(range(k_min, k_max + 1))
    inertia: list[float] = []
    silhouette: list[float] = []
    all_labels: list[np.ndarray] = []
    progress(CHOOSE_K, 0, len(ks))
    for i, k in enumerate(ks):
        cancel.raise_if_cancelled()
        starts = n_starts(n, k, X.shape[1]) if n_init is None else n_init
        _, labels, k_inertia, _ = k_means(X, k, n_init=starts, random_state=rng, cancel=cancel)
        inertia.append(float(k_inertia))
        silhouette.append(_silhouette(distances, labels[sample]))
        all_labels.append(labels)
        progress(CHOOSE_K, i + 1, len(ks))

    stability = prediction_strength(X, ks, random_state=random_state, cancel=cancel, progress=progress)
    return KCurve.scored(ks, inertia, silhouette, all_labels, stability)
