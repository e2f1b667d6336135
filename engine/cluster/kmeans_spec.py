"""K-Means as the pipeline runs it: a fixed k, or the best k of a range by silhouette."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.cluster import Clustering
from engine.cluster.choose_k import choose_k
from engine.cluster.kmeans import k_means
from engine.progress import CancelToken, Progress

if TYPE_CHECKING:
    from engine.pipeline import Spec


def fit_spec(vectors: np.ndarray, spec: Spec, progress: Progress, cancel: CancelToken) -> Clustering:
    n = len(vectors)
    if spec.k is None:
        k_max = min(spec.k_max, n - 1)
        k_min = min(spec.k_min, k_max)
        curve = choose_k(
            vectors, k_min, k_max, random_state=spec.random_state, progress=progress, cancel=cancel
        )
        return Clustering(labels=np.asarray(curve.labels), curve=curve)
    check_k(spec.k, n)
    _, labels, inertia, n_iter = k_means(
        vectors, spec.k, random_state=spec.random_state, progress=progress, cancel=cancel
    )
    return Clustering(labels=labels, info={"inertia": float(inertia), "iterations": int(n_iter)})


def check_k(k: int, n: int) -> None:
    """A clear message instead of an estimator's error when k does not fit the data."""
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of items ({n}); got {k}.")
