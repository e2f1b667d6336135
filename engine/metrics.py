"""Cluster quality: internal scores always, external scores when items carry known labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SILHOUETTE_SAMPLE = 5000
"""Silhouette is O(n²); above this many items it is estimated on a fixed random sample."""


def evaluate(
    vectors: np.ndarray,
    labels: np.ndarray,
    truth: Sequence[str | None] | None = None,
    random_state: int = 0,
) -> dict[str, float]:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz and, given at least two known classes, ARI and NMI.

    Noise points (label -1) are left out of the internal scores. A score that is undefined for
    this clustering (a single cluster, say) is simply absent from the result.
    """
    from sklearn import metrics

    labels = np.asarray(labels)
    scores: dict[str, float] = {"n_items": float(len(labels))}
    clustered = labels != -1
    n_clusters = len(np.unique(labels[clustered]))
    scores["n_clusters"] = float(n_clusters)
    scores["n_noise"] = float((~clustered).sum())
    X, y = vectors[clustered], labels[clustered]
    if 2 <= n_clusters < len(y):
        sample = min(len(y), SILHOUETTE_SAMPLE) if len(y) > SILHOUETTE_SAMPLE else None
        scores["silhouette"] = float(
            metrics.silhouette_score(X, y, sample_size=sample, random_state=random_state)
        )
        scores["davies_bouldin"] = float(metrics.davies_bouldin_score(X, y))
        scores["calinski_harabasz"] = float(metrics.calinski_harabasz_score(X, y))
    if truth is not None:
        known = np.array([t is not None for t in truth], dtype=bool)
        truth_known = [t for t in truth if t is not None]
        if len(set(truth_known)) >= 2:
            scores["ari"] = float(metrics.adjusted_rand_score(truth_known, labels[known]))
            scores["nmi"] = float(metrics.normalized_mutual_info_score(truth_known, labels[known]))
            scores["n_classes"] = float(len(set(truth_known)))
    return scores
