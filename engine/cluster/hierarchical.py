"""Hierarchical clustering: one :class:`Tree` that agglomerative and divisive methods both produce.

The tree is a scipy-style linkage matrix over *leaves*. For collections small enough to cluster
exactly, leaves are items; above the exact limits (see :mod:`engine.cluster.agglomerative`), leaves
are small groups of items (K-Means micro-clusters, or the clusters where divisive splitting stopped)
and the tree says so in ``approximate`` and ``note``, so that a dendrogram of 100 000 items is
still drawn in seconds instead of needing a 40 GB distance matrix.

The tree itself is :class:`engine.cluster.tree.Tree`; building lives in
:mod:`engine.cluster.agglomerative` and :mod:`engine.cluster.divisive`; this module cuts trees,
and holds the pipeline entry points and the estimators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from engine.catalogue import check_k
from engine.cluster import Clustering
from engine.cluster.tree import Tree
from engine.progress import CHOOSE_K, NEVER_CANCELLED, CancelToken, Progress, no_progress

if TYPE_CHECKING:
    from engine.cluster.choose_k import KCurve

SILHOUETTE_SAMPLE = 3000
"""Items scored per candidate cut when k is chosen automatically (one fixed sample for every k)."""


# --------------------------------------------------------------------------- choosing k


def cut_curve(
    tree: Tree,
    X: np.ndarray,
    k_min: int,
    k_max: int,
    *,
    random_state: Any = 0,
    metric: str = "euclidean",
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> KCurve:
    """Score the tree's cuts at k = k_min..k_max: silhouette (on a fixed sample) and within-cluster SSE.

    ``progress(CHOOSE_K, i, n)`` hears each cut scored, then each k's stability.

    ``best_k`` is the largest k the data holds stably (prediction strength of K-Means, the same rule
    as :mod:`engine.cluster.choose_k`), else the cut with the highest silhouette (the largest-gap
    rule prefers k = 2 far too often on real data); ``elbow_k`` is the elbow of the SSE curve.
    k_max is clipped to the number of items - 1, to the number of leaves and to the number of
    distinct items (groups joined at height 0), so copies of one item are never cut apart.
    """
    import scipy.sparse as sp
    from sklearn.metrics import pairwise_distances
    from sklearn.utils import check_random_state

    from engine.cluster.choose_k import KCurve, _silhouette, prediction_strength

    cancel = cancel or NEVER_CANCELLED
    progress = progress or no_progress
    n, m = tree.n_items, tree.n_leaves
    k_max = min(k_max, n - 1, m, tree.k_for_height(0.0))  # a cut never splits identical items
    k_min = max(1, min(k_min, k_max))
    ks = list(range(k_min, k_max + 1)) or [1]
    rng = check_random_state(random_state)
    sample = np.arange(n)
    if n > SILHOUETTE_SAMPLE:
        sample = np.sort(rng.choice(n, SILHOUETTE_SAMPLE, replace=False))
    distances = pairwise_distances(X[sample], metric=metric)
    # Per-leaf sums give every cut's SSE without touching the items again.
    X64 = np.asarray(X, dtype=np.float64)
    one_hot = sp.csr_array((np.ones(n), (tree.leaf_of_item, np.arange(n))), shape=(m, n))
    leaf_sum = one_hot @ X64
    leaf_n = np.bincount(tree.leaf_of_item, minlength=m).astype(np.float64)
    total_sq = float(np.einsum("ij,ij->", X64, X64))
    inertia, silhouette, all_labels = [], [], []
    for i, k in enumerate(ks):
        progress(CHOOSE_K, i, len(ks))
        cancel.raise_if_cancelled()
        leaf_labels = tree.leaf_labels(k)
        cluster_sum = sp.csr_array((np.ones(m), (leaf_labels, np.arange(m))), shape=(k, m)) @ leaf_sum
        cluster_n = np.bincount(leaf_labels, weights=leaf_n, minlength=k)
        explained = np.einsum("ij,ij->i", cluster_sum, cluster_sum) / np.maximum(cluster_n, 1)
        inertia.append(max(0.0, total_sq - float(explained.sum())))
        labels = leaf_labels[tree.leaf_of_item]
        silhouette.append(_silhouette(distances, labels[sample]))
        all_labels.append(labels)
    progress(CHOOSE_K, len(ks), len(ks))
    stability = prediction_strength(X, ks, random_state=random_state, cancel=cancel, progress=progress)
    return KCurve.scored(ks, inertia, silhouette, all_labels, stability)


def tree_clustering(
    tree: Tree,
    X: np.ndarray,
    k: int | None,
    k_min: int = 2,
    k_max: int = 10,
    *,
    random_state: Any = 0,
    metric: str = "euclidean",
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """Labels from a tree: the cut at ``k``, or (``k`` None) the best silhouette of k_min..k_max."""
    progress = progress or no_progress
    curve = None
    if k is None:
        curve = cut_curve(
            tree, X, k_min, k_max, random_state=random_state, metric=metric, cancel=cancel, progress=progress
        )
        labels = np.asarray(curve.labels)
    else:
        if k > tree.n_leaves:
            raise ValueError(
                f"k = {k} is more clusters than the tree has leaves ({tree.n_leaves}); "
                f"{tree.note or 'identical items share a leaf'}. Choose k <= {tree.n_leaves}."
            )
        labels = tree.cut_k(k)
    info = {
        "note": " ".join(n for n in (tree.note, curve.reason if curve is not None else "") if n),
        "method": tree.method,
        "approximate": tree.approximate,
        "leaves": tree.n_leaves,
    }
    return Clustering(labels=labels, curve=curve, tree=tree, info=info)


# --------------------------------------------------------------------------- pipeline entry points


def fit_agglomerative(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    k_min: int = 2,
    k_max: int = 10,
    linkage: str = "ward",
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """Bottom-up merging with ``linkage``; k fixed, or (``k`` None) the best silhouette of the cuts."""
    from engine.cluster.agglomerative import agglomerative_tree

    check_k(k, len(vectors))
    tree = agglomerative_tree(vectors, linkage, random_state=random_state, progress=progress, cancel=cancel)
    return tree_clustering(
        tree, vectors, k, k_min, k_max, random_state=random_state, progress=progress, cancel=cancel
    )


def fit_divisive(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    k_min: int = 2,
    k_max: int = 10,
    split_rule: str = "largest",
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """Top-down 2-means splitting by ``split_rule``; k as for :func:`fit_agglomerative`."""
    from engine.cluster.divisive import divisive_tree

    check_k(k, len(vectors))
    tree = divisive_tree(vectors, split_rule, random_state=random_state, progress=progress, cancel=cancel)
    return tree_clustering(
        tree, vectors, k, k_min, k_max, random_state=random_state, progress=progress, cancel=cancel
    )


# --------------------------------------------------------------------------- estimators


class _TreeClusterer(ClusterMixin, BaseEstimator):
    """Shared fit: build the tree, then cut it (``n_clusters=None`` picks k by silhouette in 2..10)."""

    def _build(self, X: np.ndarray) -> Tree:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> _TreeClusterer:
        from engine.cluster.kmeans import validate_data  # with its fallback for scikit-learn < 1.6

        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        check_k(self.n_clusters, X.shape[0], "n_clusters")
        self.tree_ = self._build(X)
        metric = getattr(self, "metric", "euclidean")
        result = tree_clustering(
            self.tree_, X, self.n_clusters, random_state=self.random_state, metric=metric
        )
        self.labels_ = result.labels
        self.n_clusters_ = int(self.labels_.max()) + 1
        return self


class Agglomerative(_TreeClusterer):
    """Agglomerative clustering for notebooks: ``Agglomerative(4, linkage="average").fit(X).labels_``.

    Exact up to the limits of :mod:`engine.cluster.agglomerative`, approximate (over K-Means
    micro-clusters) above them; ``tree_`` is the :class:`Tree`.
    """

    def __init__(
        self,
        n_clusters: int | None = 2,
        linkage: str = "ward",
        metric: str = "euclidean",
        random_state: Any = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.linkage = linkage
        self.metric = metric
        self.random_state = random_state

    def _build(self, X: np.ndarray) -> Tree:
        from engine.cluster.agglomerative import agglomerative_tree

        return agglomerative_tree(X, self.linkage, metric=self.metric, random_state=self.random_state)


class Divisive(_TreeClusterer):
    """Divisive (top-down bisecting K-Means) clustering; ``tree_`` is the :class:`Tree`."""

    def __init__(
        self,
        n_clusters: int | None = 2,
        split_rule: str = "largest",
        max_leaves: int = 2000,
        random_state: Any = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.split_rule = split_rule
        self.max_leaves = max_leaves
        self.random_state = random_state

    def _build(self, X: np.ndarray) -> Tree:
        from engine.cluster.divisive import divisive_tree

        return divisive_tree(X, self.split_rule, max_leaves=self.max_leaves, random_state=self.random_state)
