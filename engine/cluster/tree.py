"""The dendrogram that both hierarchical methods build, and the PCA step both take.

The tree is a scipy-style linkage matrix over *leaves*. For collections small enough to cluster
exactly, leaves are items; above the exact limits (see :mod:`engine.cluster.agglomerative`), leaves
are small groups of items (K-Means micro-clusters, or the clusters where divisive splitting stopped)
and the tree says so in ``approximate`` and ``note``, so that a dendrogram of 100 000 items is
still drawn in seconds instead of needing a 40 GB distance matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

PCA_DIMS = 50
"""Ward linkage, the micro-clusters and divisive splits work on at most this many principal components."""


def principal_components(
    X: np.ndarray, dims: int = PCA_DIMS, random_state: Any = 0
) -> tuple[np.ndarray, float]:
    """The rows projected on their top principal components (float32) and the share of variance kept.

    At most ``min(dims, n_items, n_dims)`` components: PCA finds no more than that.
    """
    import sklearn
    from sklearn.decomposition import PCA

    dims = max(1, min(dims, *X.shape))
    # covariance_eigh (scikit-learn >= 1.5) never forms the n x d SVD: much faster for n >> d.
    old = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 5)
    pca = PCA(n_components=dims, svd_solver="full" if old else "covariance_eigh", random_state=random_state)
    reduced = pca.fit_transform(X).astype(np.float32, copy=False)
    return np.ascontiguousarray(reduced), float(pca.explained_variance_ratio_.sum())


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
