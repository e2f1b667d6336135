"""Choosing the number of clusters: fit K-Means over a range of k and score each fit.

Two views are kept because neither is always right: the silhouette (higher is better, computed on
a fixed random sample so that large collections stay fast) picks ``best_k``; the elbow of the
inertia curve gives ``elbow_k``. The GUI plots both curves and lets the user overrule them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.utils import check_array, check_random_state

from engine.cluster.kmeans import k_means
from engine.progress import CHOOSE_K, NEVER_CANCELLED, CancelToken, Progress, no_progress


@dataclass
class KCurve:
    """Scores of K-Means over a range of k; ``labels`` are those of ``best_k``."""

    ks: list[int]
    inertia: list[float]
    silhouette: list[float]
    best_k: int
    elbow_k: int
    labels: np.ndarray = field(repr=False)

    @classmethod
    def scored(
        cls, ks: list[int], inertia: list[float], silhouette: list[float], labels: list[np.ndarray]
    ) -> KCurve:
        """The curve of candidate clusterings; the best silhouette wins (the first k when none is defined)."""
        scores = np.asarray(silhouette, dtype=float)
        best = int(np.nanargmax(scores)) if np.any(~np.isnan(scores)) else 0
        return cls(ks, inertia, silhouette, ks[best], elbow(ks, inertia), labels[best])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; an undefined silhouette (NaN) becomes None."""
        return {
            "ks": [int(k) for k in self.ks],
            "inertia": [float(v) for v in self.inertia],
            "silhouette": [None if np.isnan(v) else float(v) for v in self.silhouette],
            "best_k": int(self.best_k),
            "elbow_k": int(self.elbow_k),
            "labels": np.asarray(self.labels).tolist(),
        }


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
    n_init: int = 3,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> KCurve:
    """Fit K-Means for each k in [k_min, k_max] (k_max clipped to n_samples - 1) and score it.

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
        _, labels, k_inertia, _ = k_means(X, k, n_init=n_init, random_state=rng, cancel=cancel)
        inertia.append(float(k_inertia))
        silhouette.append(_silhouette(distances, labels[sample]))
        all_labels.append(labels)
        progress(CHOOSE_K, i + 1, len(ks))

    return KCurve.scored(ks, inertia, silhouette, all_labels)
