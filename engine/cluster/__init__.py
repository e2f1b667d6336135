"""Clustering methods behind one entry point, :func:`cluster`, that the pipeline calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

if TYPE_CHECKING:
    from engine.pipeline import Spec

ALGORITHMS = ("kmeans",)


def cluster(
    vectors: np.ndarray,
    spec: Spec,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, Any]:
    """Cluster ``vectors`` as ``spec`` says; returns labels (-1 is noise) and the k curve, if any."""
    from engine.cluster.choose_k import choose_k
    from engine.cluster.kmeans import k_means

    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    if spec.algorithm not in ALGORITHMS:
        raise ValueError(f"Unknown algorithm {spec.algorithm!r}; choose one of: {', '.join(ALGORITHMS)}.")
    n = len(vectors)
    if spec.k is None:
        k_max = min(spec.k_max, n - 1)
        k_min = min(spec.k_min, k_max)
        curve = choose_k(
            vectors, k_min, k_max, random_state=spec.random_state, progress=progress, cancel=cancel
        )
        return np.asarray(curve.labels), curve
    if not 1 <= spec.k <= n:
        raise ValueError(f"k must be between 1 and the number of items ({n}); got {spec.k}.")
    _, labels, _, _ = k_means(
        vectors, spec.k, random_state=spec.random_state, progress=progress, cancel=cancel
    )
    return labels, None
