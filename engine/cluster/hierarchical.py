"""Hierarchical clustering: one :class:`Tree` that agglomerative and divisive methods both produce.

The tree is a scipy-style linkage matrix over *leaves*. For collections small enough to cluster
exactly, leaves are items; above the exact limits (see :mod:`engine.cluster.agglomerative`), leaves
are small groups of items (K-Means micro-clusters, or the clusters where divisive splitting stopped)
and the tree says so in ``approximate`` and ``note``, so that a dendrogram of 100 000 items is
still drawn in seconds instead of needing a 40 GB distance matrix.

Building lives in :mod:`engine.cluster.agglomerative` and :mod:`engine.cluster.divisive`; this
module holds the tree, the pipeline entry points and the estimators.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from engine.cluster import Clustering
from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

if TYPE_CHECKING:
    from engine.cluster.choose_k import KCurve
    from engine.pipeline import Spec

SILHOUETTE_SAMPLE = 3000
"""Items scored per candidate cut when k is chosen automatically (one fixed sample for every k)."""


@dataclass(eq=False)
class Tree:
    """A dendrogram: ``Z`` merges ``m`` leaves; ``leaf_of_item[i]`` is the leaf holding item ``i``.

    ``Z`` has one row per merge, ``(left, right, height, count)`` as in scipy: nodes ``0..m-1``
    are leaves and row ``i`` creates node ``m + i``; heights never decrease down the rows;
    ``count`` is the number of leaves under the new node (``item_count`` counts items, which
    differs when leaves are groups of items). Cutting gives labels per item, numbered left to
    right as the tree is drawn.
    """

    Z: np.ndarray
    leaf_of_item: np.ndarray
    method: str
    approximate: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        self.Z = np.asarray(self.Z, dtype=np.float64).reshape(-1, 4)
        self.leaf_of_item = np.asarray(self.leaf_of_item, dtype=np.intp).reshape(-1)
        m = self.n_leaves
        if len(self.leaf_of_item) and (self.leaf_of_item.min() < 0 or self.leaf_of_item.max() >= m):
            raise ValueError(f"leaf_of_item must hold leaf numbers 0..{m - 1}.")
        if np.any(np.diff(self.Z[:, 2]) < 0):
            raise ValueError("The merge heights of a tree must not decrease from one row to the next.")

    # ---- shape ----------------------------------------------------------------------------
    @property
    def n_leaves(self) -> int:
        return len(self.Z) + 1

    @property
    def n_items(self) -> int:
        return len(self.leaf_of_item)

    @property
    def root(self) -> int:
        return 2 * self.n_leaves - 2

    @property
    def heights(self) -> np.ndarray:
        """Height of every node (leaves at 0), indexed by node number."""
        return np.concatenate([np.zeros(self.n_leaves), self.Z[:, 2]])

    @cached_property
    def _layout(self) -> dict[str, np.ndarray]:
        """Parents, leaf spans and item spans of every node, in one top-down pass.

        Leaves are laid out left to right (left child first); every node covers a contiguous span
        of leaf positions and, with items sorted by leaf position, a contiguous span of items.
        """
        m = self.n_leaves
        left = self.Z[:, 0].astype(np.intp).tolist()
        right = self.Z[:, 1].astype(np.intp).tolist()
        leaves = [1] * m + [0] * (m - 1)
        items = np.bincount(self.leaf_of_item, minlength=m).tolist() + [0] * (m - 1)
        parent = [-1] * (2 * m - 1)
        for i in range(m - 1):
            a, b, node = left[i], right[i], m + i
            leaves[node] = leaves[a] + leaves[b]
            items[node] = items[a] + items[b]
            parent[a] = parent[b] = node
        start = [0] * (2 * m - 1)
        item_start = [0] * (2 * m - 1)
        for i in range(m - 2, -1, -1):
            a, b, node = left[i], right[i], m + i
            start[a], item_start[a] = start[node], item_start[node]
            start[b], item_start[b] = start[node] + leaves[a], item_start[node] + items[a]
        start_arr = np.asarray(start, dtype=np.intp)
        item_start_arr = np.asarray(item_start, dtype=np.intp)
        return {
            "parent": np.asarray(parent, dtype=np.intp),
            "start": start_arr,
            "leaves": np.asarray(leaves, dtype=np.intp),
            "item_start": item_start_arr,
            "items": np.asarray(items, dtype=np.intp),
            "leaf_order": np.argsort(start_arr[:m], kind="stable"),
            "item_order": np.argsort(item_start_arr[self.leaf_of_item], kind="stable"),
        }

    @property
    def parent(self) -> np.ndarray:
        """Parent node of every node; -1 for the root."""
        return self._layout["parent"]

    @property
    def leaf_start(self) -> np.ndarray:
        """Position (0..m-1, left to right) of the first leaf under every node."""
        return self._layout["start"]

    @property
    def leaf_count(self) -> np.ndarray:
        """Number of leaves under every node."""
        return self._layout["leaves"]

    @property
    def item_count(self) -> np.ndarray:
        """Number of items under every node."""
        return self._layout["items"]

    @property
    def leaf_order(self) -> np.ndarray:
        """Leaf numbers from left to right."""
        return self._layout["leaf_order"]

    def items_under(self, node: int) -> np.ndarray:
        """Indices of the items under ``node`` (a leaf or a merge), sorted."""
        if not 0 <= node <= self.root:
            raise ValueError(f"node must be between 0 and {self.root}; got {node}.")
        start = self._layout["item_start"][node]
        return np.sort(self._layout["item_order"][start : start + self._layout["items"][node]])

    # ---- cutting --------------------------------------------------------------------------
    def leaf_labels(self, k: int) -> np.ndarray:
        """Cluster (0..k-1, left to right) of every leaf when the top ``k - 1`` merges are undone."""
        m = self.n_leaves
        if not 1 <= k <= m:
            raise ValueError(f"k must be between 1 and the number of leaves of the tree ({m}); got {k}.")
        nodes = np.arange(2 * m - 1)
        limit = 2 * m - k  # nodes below this exist after the first m - k merges
        parent = self.parent
        tops = nodes[(nodes < limit) & ((parent >= limit) | (parent < 0))]
        starts = np.sort(self.leaf_start[tops])
        return np.searchsorted(starts, self.leaf_start[:m], side="right") - 1

    def cut_k(self, k: int) -> np.ndarray:
        """Labels 0..k-1 per item: the ``k`` clusters left when the top ``k - 1`` merges are undone."""
        return self.leaf_labels(int(k))[self.leaf_of_item]

    def k_for_height(self, height: float) -> int:
        """How many clusters a cut at ``height`` gives (merges at or below it are kept)."""
        return self.n_leaves - int(np.searchsorted(self.Z[:, 2], height, side="right"))

    def cut_height(self, height: float) -> np.ndarray:
        """Labels per item for a horizontal cut at ``height``."""
        return self.cut_k(self.k_for_height(height))

    def height_for_k(self, k: int) -> float:
        """A height whose cut gives ``k`` clusters: halfway between the merges around it.

        When merges tie in height no cut gives exactly that k; the tied height is returned.
        """
        m = self.n_leaves
        if not 1 <= k <= m:
            raise ValueError(f"k must be between 1 and the number of leaves of the tree ({m}); got {k}.")
        h = self.Z[:, 2]
        if m == 1:
            return 1.0
        if k == m:
            return float(h[0]) / 2
        if k == 1:
            top = float(h[-1])
            return top * 1.05 if top > 0 else 1.0
        return float(h[m - k - 1] + h[m - k]) / 2

    # ---- storage --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "Z": self.Z.tolist(),
            "leaf_of_item": self.leaf_of_item.tolist(),
            "method": self.method,
            "approximate": bool(self.approximate),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Tree:
        return cls(
            Z=np.asarray(values["Z"], dtype=np.float64).reshape(-1, 4),
            leaf_of_item=np.asarray(values["leaf_of_item"], dtype=np.intp),
            method=str(values.get("method", "")),
            approximate=bool(values.get("approximate", False)),
            note=str(values.get("note", "")),
        )


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
) -> KCurve:
    """Score the tree's cuts at k = k_min..k_max: silhouette (on a fixed sample) and within-cluster SSE.

    ``best_k`` is the cut with the highest silhouette (the largest-gap rule prefers k = 2 far too
    often on real data); ``elbow_k`` is the elbow of the SSE curve. k_max is clipped to the
    number of items - 1 and to the number of leaves.
    """
    import scipy.sparse as sp
    from sklearn.metrics import pairwise_distances
    from sklearn.utils import check_random_state

    from engine.cluster.choose_k import KCurve, _silhouette

    cancel = cancel or NEVER_CANCELLED
    n, m = tree.n_items, tree.n_leaves
    k_max = min(k_max, n - 1, m)
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
    for k in ks:
        cancel.raise_if_cancelled()
        leaf_labels = tree.leaf_labels(k)
        cluster_sum = sp.csr_array((np.ones(m), (leaf_labels, np.arange(m))), shape=(k, m)) @ leaf_sum
        cluster_n = np.bincount(leaf_labels, weights=leaf_n, minlength=k)
        explained = np.einsum("ij,ij->i", cluster_sum, cluster_sum) / np.maximum(cluster_n, 1)
        inertia.append(max(0.0, total_sq - float(explained.sum())))
        labels = leaf_labels[tree.leaf_of_item]
        silhouette.append(_silhouette(distances, labels[sample]))
        all_labels.append(labels)
    return KCurve.scored(ks, inertia, silhouette, all_labels)


def _check_k_range(k: Any, n: int) -> None:
    if k is not None and (not isinstance(k, int | np.integer) or isinstance(k, bool) or not 1 <= k <= n):
        raise ValueError(f"k must be between 1 and the number of items ({n}); got {k!r}.")


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
        progress("choosing k", 0, 1)
        curve = cut_curve(tree, X, k_min, k_max, random_state=random_state, metric=metric, cancel=cancel)
        labels = np.asarray(curve.labels)
        progress("choosing k", 1, 1)
    else:
        if k > tree.n_leaves:
            raise ValueError(
                f"k = {k} is more clusters than the tree has leaves ({tree.n_leaves}); "
                f"{tree.note or 'identical items share a leaf'}. Choose k <= {tree.n_leaves}."
            )
        labels = tree.cut_k(k)
    info = {
        "note": tree.note,
        "method": tree.method,
        "approximate": tree.approximate,
        "leaves": tree.n_leaves,
    }
    return Clustering(labels=labels, curve=curve, tree=tree, info=info)


# --------------------------------------------------------------------------- pipeline entry points


def fit_agglomerative(vectors: np.ndarray, spec: Spec, progress: Progress, cancel: CancelToken) -> Clustering:
    """Bottom-up merging with ``spec.linkage``; k from ``spec.k`` or the best silhouette of the cuts."""
    from engine.cluster.agglomerative import agglomerative_tree

    _check_k_range(spec.k, len(vectors))
    tree = agglomerative_tree(
        vectors, spec.linkage, random_state=spec.random_state, progress=progress, cancel=cancel
    )
    return tree_clustering(
        tree, vectors, spec.k, spec.k_min, spec.k_max, random_state=spec.random_state, progress=progress,
        cancel=cancel,
    )  # fmt: skip


def fit_divisive(vectors: np.ndarray, spec: Spec, progress: Progress, cancel: CancelToken) -> Clustering:
    """Top-down 2-means splitting by ``spec.split_rule``; k as for :func:`fit_agglomerative`."""
    from engine.cluster.divisive import divisive_tree

    _check_k_range(spec.k, len(vectors))
    tree = divisive_tree(
        vectors, spec.split_rule, random_state=spec.random_state, progress=progress, cancel=cancel
    )
    return tree_clustering(
        tree, vectors, spec.k, spec.k_min, spec.k_max, random_state=spec.random_state, progress=progress,
        cancel=cancel,
    )  # fmt: skip


# --------------------------------------------------------------------------- estimators


class _TreeClusterer(ClusterMixin, BaseEstimator):
    """Shared fit: build the tree, then cut it (``n_clusters=None`` picks k by silhouette in 2..10)."""

    def _build(self, X: np.ndarray) -> Tree:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> _TreeClusterer:
        from sklearn.utils import check_array

        X = check_array(X, dtype=[np.float64, np.float32], order="C")
        _check_k_range(self.n_clusters, X.shape[0])
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
