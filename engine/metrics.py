"""Cluster quality: internal scores always, external scores when items carry known labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCORES = (
    ("silhouette", "Silhouette", "−1…1, higher is better", 3),
    ("davies_bouldin", "Davies-Bouldin", "≥ 0, lower is better", 3),
    ("calinski_harabasz", "Calinski-Harabasz", "higher is better", 1),
    ("ari", "ARI (vs. labels)", "−0.5…1, 1 = matches the labels", 3),
    ("nmi", "NMI (vs. labels)", "0…1, 1 = matches the labels", 3),
)
"""(key in ``Result.metrics``, shown name, how to read it, decimals): the window's Summary and the
report name and explain the scores alike."""
COUNTS = (
    ("n_items", "Items"),
    ("n_clusters", "Clusters"),
    ("n_noise", "Noise points"),
    ("n_classes", "Known labels"),
)
SILHOUETTE_SAMPLE = 5000
"""Silhouette is O(n²); above this many items it is estimated on a fixed random sample."""


@dataclass
class Silhouettes:
    """Per-item silhouettes of a sample of the clustered items: the silhouette plot draws these."""

    rows: np.ndarray
    """Item indices of the sample."""
    values: np.ndarray
    n_clustered: int
    """How many items were clustered (not noise); more than ``len(rows)`` when sampled."""

    @property
    def mean(self) -> float:
        return float(self.values.mean())


def silhouettes(vectors: np.ndarray, labels: np.ndarray, random_state: int = 0) -> Silhouettes | None:
    """Silhouettes of at most :data:`SILHOUETTE_SAMPLE` clustered items; None where undefined.

    The sample is drawn as ``sklearn.metrics.silhouette_score(sample_size=...)`` draws it, so the
    mean is that score.
    """
    from sklearn.metrics import silhouette_samples
    from sklearn.utils import check_random_state

    labels = np.asarray(labels)
    clustered = np.flatnonzero(labels != -1)
    if not 2 <= len(np.unique(labels[clustered])) < len(clustered):
        return None
    rows = clustered
    if len(clustered) > SILHOUETTE_SAMPLE:
        rows = clustered[check_random_state(random_state).permutation(len(clustered))[:SILHOUETTE_SAMPLE]]
    values = silhouette_samples(np.asarray(vectors)[rows], labels[rows])
    return Silhouettes(rows=rows, values=np.asarray(values, dtype=np.float64), n_clustered=len(clustered))


def evaluate(
    vectors: np.ndarray,
    labels: np.ndarray,
    truth: Sequence[str | None] | None = None,
    random_state: int = 0,
    silhouette: Silhouettes | None = None,
) -> dict[str, float]:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz and, given at least two known classes, ARI and NMI.

    Noise points (label -1) are left out of the internal scores. A score that is undefined for
    this clustering (a single cluster, say) is simply absent from the result. ``silhouette``
    passes silhouettes already computed by :func:`silhouettes`.
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
