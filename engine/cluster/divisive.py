"""Divisive (top-down) clustering: split one cluster at a time in two with our K-Means.

Which cluster is split next is the split rule: the ``largest`` one, or the one with the highest
within-cluster sum of squares (``sse``). Splitting goes on until every cluster is one item (or
identical items), or until there are ``max_leaves`` clusters; in that case the leaves are small
clusters and the tree is approximate, as agglomerative trees above their exact limits are.

Heights: the split made when the partition had total within-cluster sum of squares ``E`` is drawn
at height ``sqrt(E)``. Every split lowers ``E``, so heights fall in the order the splits were
made and a child always sits below its parent; and cutting the tree at ``k`` clusters gives
exactly the partition after the first ``k - 1`` splits. A cut at height ``h`` gives the first
partition in the splitting sequence whose total sum of squares is at most ``h^2``.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from engine import catalogue
from engine.cluster.starts import n_starts
from engine.cluster.tree import PCA_DIMS, Tree, principal_components
from engine.progress import DIVISIVE, NEVER_CANCELLED, REDUCE, CancelToken, Progress, no_progress

SPLIT_RULES = catalogue.names(catalogue.SPLIT_RULES)
MAX_LEAVES = 2000
"""Splitting stops at this many clusters: 2 000 K-Means runs take a few seconds."""
SPLIT_MAX_ITER = 50
"""Lloyd passes per split: two halves of blob-like data settle in far fewer; long tails only polish."""


def _sse(X: np.ndarray) -> float:
    if len(X) < 2:
        return 0.0
    centred = X - X.mean(axis=0, dtype=np.float64)
    return float(np.einsum("ij,ij->", centred, centred))


def divisive_tree(
    X: Any,
    split_rule: str = "largest",
    *,
    max_leaves: int = MAX_LEAVES,
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Tree:
    """The divisive tree of the rows of X (see the module docstring for the rules)."""
    from sklearn.utils import check_array

    from engine.cluster.kmeans import k_means

    if split_rule not in SPLIT_RULES:
        raise ValueError(f"Unknown split rule {split_rule!r}; choose one of: {', '.join(SPLIT_RULES)}.")
    if not isinstance(max_leaves, int | np.integer) or isinstance(max_leaves, bool) or max_leaves < 1:
        raise ValueError(f"max_leaves must be an integer >= 1; got {max_leaves!r}.")
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = check_array(X, dtype=[np.float32, np.float64], order="C")
    n, d = X.shape
    note = ""
    if d > PCA_DIMS:  # 2-means passes are memory-bound: 8 times fewer numbers, 8 times faster
        progress(REDUCE, 0, 1)
        X, kept = principal_components(X, PCA_DIMS, random_state)
        progress(REDUCE, 1, 1)
        note = (
            f"Splits found on the top {X.shape[1]} of {d} principal components ({kept:.0%} of the variance)."
        )
    rng = np.random.default_rng(random_state if isinstance(random_state, int | np.integer) else None)
    target = min(n, max_leaves)
    # Every level of the tree splits about all n items in two, so the whole tree costs about
    # log2(leaves) K-Means fits at k = 2 on n items: the start budget is shared by all of them.
    starts = n_starts(n, 2 * max(1, int(np.ceil(np.log2(max(2, target))))), X.shape[1])

    members: list[np.ndarray] = [np.arange(n)]
    sse: list[float] = [_sse(X)]
    total = sse[0]
    splits: list[tuple[int, int, int, float]] = []  # (parent, left, right, total SSE before)
    heap: list[tuple[float, int]] = []

    def push(c: int) -> None:
        if len(members[c]) >= 2 and sse[c] > 0:  # identical items are never split
            key = -len(members[c]) if split_rule == "largest" else -sse[c]
            heapq.heappush(heap, (key, c))

    push(0)
    n_leaves = 1
    progress(DIVISIVE, 1, target)
    while heap and n_leaves < max_leaves:
        cancel.raise_if_cancelled()
        _, c = heapq.heappop(heap)
        idx = members[c]
        if len(idx) == 2:
            labels = np.array([0, 1])
        else:
            seed = int(rng.integers(2**31 - 1))
            _, labels, _, _ = k_means(X[idx], 2, n_init=starts, max_iter=SPLIT_MAX_ITER, random_state=seed)
        left, right = idx[labels == 0], idx[labels == 1]
        if not len(left) or not len(right):  # cannot happen with distinct points; be safe
            continue
        children = []
        for part in (left, right):
            members.append(part)
            sse.append(_sse(X[part]))
            children.append(len(members) - 1)
        splits.append((c, children[0], children[1], total))
        total = max(0.0, total - (sse[c] - sse[children[0]] - sse[children[1]]))
        for child in children:
            push(child)
        n_leaves += 1
        progress(DIVISIVE, n_leaves, target)  # the first splits, of every item, take seconds each
    return _tree(members, splits, n, split_rule, bool(heap), note)


def _tree(
    members: list[np.ndarray],
    splits: list[tuple[int, int, int, float]],
    n: int,
    split_rule: str,
    stopped: bool,
    pca_note: str,
) -> Tree:
    """The linkage matrix of a splitting sequence: the splits in reverse order become the merges."""
    was_split = {parent for parent, _, _, _ in splits}
    leaves = [c for c in range(len(members)) if c not in was_split]
    m = len(leaves)
    node = dict(zip(leaves, range(m), strict=True))
    leaf_of_item = np.empty(n, dtype=np.intp)
    for c in leaves:
        leaf_of_item[members[c]] = node[c]
    Z = np.empty((len(splits), 4))
    heights = np.sqrt(np.minimum.accumulate([total for _, _, _, total in splits]))
    count = [1] * m + [0] * len(splits)  # leaves under each node, as scipy counts
    for row, j in enumerate(range(len(splits) - 1, -1, -1)):
        parent, left, right, _ = splits[j]
        a, b = node[left], node[right]
        node[parent] = m + row
        count[m + row] = count[a] + count[b]
        Z[row] = (min(a, b), max(a, b), heights[j], count[m + row])
    note = pca_note
    if stopped:
        note += (
            f" {n:,} items: splitting stopped at {m:,} clusters (each leaf holds about {n / m:,.0f} items)."
        )
    return Tree(
        Z=Z,
        leaf_of_item=leaf_of_item,
        method=f"divisive-{split_rule}",
        approximate=stopped,
        note=note.strip(),
    )
