"""Building agglomerative trees: exact where it fits, over K-Means micro-clusters where it does not.

Three routes, chosen by size (the limits are module constants, measured on a 2-core laptop-class
machine, so that any route ends in well under a minute and 4 GB):

- ``vector``: fastcluster's ``linkage_vector`` (ward, single) needs no n x n matrix, only time
  (about n^2 x (d + 2) steps). Ward on more than :data:`PCA_DIMS` dimensions first projects the
  vectors onto their top principal components (20 000 x 384 would take minutes, x 50 seconds).
- ``condensed``: complete, average (and single where it is faster) need all n(n-1)/2 distances;
  they are computed block by block with BLAS into one float64 array of at most
  :data:`EXACT_CONDENSED_BYTES` (20 000 items) and handed to fastcluster, which works in place.
- ``micro``: above those limits the items are first grouped into :data:`N_MICRO` K-Means
  micro-clusters, and the tree is built over the micro-clusters with their sizes as weights, by
  the Lance-Williams update of the chosen linkage (weighted UPGMA for average). For ward this is
  exactly Ward's method started from the micro-cluster partition (the merge costs use sizes and
  centroids, as Ward's criterion does); for the other linkages the distance between two
  micro-clusters is the distance between their centroids, an approximation the note states.

fastcluster runs in a thread (it releases the GIL) so that Cancel answers while it works; a
cancelled linkage finishes in the background and is dropped.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from engine import catalogue
from engine.cluster.tree import PCA_DIMS, Tree, principal_components
from engine.progress import (
    LINKAGE,
    NEVER_CANCELLED,
    REDUCE,
    CancelToken,
    CostModel,
    Progress,
    estimated,
    no_progress,
)

LINKAGES = catalogue.names(catalogue.LINKAGES)
METRICS = ("euclidean", "cosine")

EXACT_CONDENSED_BYTES = 1.6e9
"""Largest condensed distance matrix built for an exact tree (20 000 items)."""
EXACT_VECTOR_WORK = 2.2e10
"""Largest n^2 x (d + 2) for fastcluster's linkage_vector (about 20 s: 20 000 x 50 ward here)."""
VECTOR_COST = CostModel(1e-9, lambda n, d: float(n) * n * (d + 2))
"""fastcluster's ``linkage_vector`` reports nothing until it returns: its progress is a time estimate
from this model (20 000 x 50 ward took about 20 s here, EXACT_VECTOR_WORK's note)."""
CONDENSED_COST = CostModel(1.75e-8, lambda n, d: float(n) * n)
"""scipy's linkage on a condensed matrix, likewise estimated (20 000 items about 7 s here)."""
N_MICRO = 2000
"""Micro-clusters (leaves) of an approximate tree."""
_BLOCK_BYTES = 64 * 2**20


def check_params(linkage: Any, metric: Any) -> None:
    """Raise a ValueError a user can act on for an unknown linkage or metric, or ward with cosine."""
    if linkage not in LINKAGES:
        raise ValueError(f"Unknown linkage {linkage!r}; choose one of: {', '.join(LINKAGES)}.")
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of: {', '.join(METRICS)}.")
    if linkage == "ward" and metric != "euclidean":
        raise ValueError(
            f"Ward linkage needs the euclidean metric (it merges by the increase in squared error); "
            f"got {metric!r}. Use average or complete linkage with {metric} distances."
        )


def plan(n: int, d: int, linkage: str) -> str:
    """Which route builds the tree: ``vector``, ``condensed`` or ``micro`` (see the module docstring)."""
    fits_condensed = n * (n - 1) / 2 * 8 <= EXACT_CONDENSED_BYTES
    if linkage == "ward":
        return "vector" if n * n * (min(d, PCA_DIMS) + 2) <= EXACT_VECTOR_WORK else "micro"
    if linkage == "single" and n * n * (d + 2) <= EXACT_VECTOR_WORK and not (fits_condensed and d > 16):
        return "vector"
    return "condensed" if fits_condensed else "micro"


def agglomerative_tree(
    X: Any,
    linkage: str = "ward",
    *,
    metric: str = "euclidean",
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Tree:
    """The agglomerative tree of the rows of X; exact when it fits, else over micro-clusters.

    ``metric="cosine"`` compares directions: rows are scaled to unit length, and heights are
    cosine distances (1 - cos) for single and complete linkage and for average linkage when exact.
    """
    from sklearn.utils import check_array

    check_params(linkage, metric)
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = check_array(X, dtype=[np.float32, np.float64], order="C")
    n, d = X.shape
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms > 0, norms, 1)
    if n == 1:
        return Tree(Z=np.zeros((0, 4)), leaf_of_item=np.zeros(1, dtype=np.intp), method=linkage)
    route = plan(n, d, linkage)
    notes: list[str] = []
    work = X
    if d > PCA_DIMS and (linkage == "ward" or route == "micro"):
        progress(REDUCE, 0, 1)
        work, kept = principal_components(X, PCA_DIMS, random_state)
        progress(REDUCE, 1, 1)
        if linkage == "ward":
            notes.append(
                f"Ward on the top {work.shape[1]} of {d} principal components ({kept:.0%} of the variance)"
            )
    cancel.raise_if_cancelled()
    if route == "micro":
        return _micro_tree(X, work, linkage, metric, random_state, notes, progress, cancel)
    progress(LINKAGE, 0, 1)
    if route == "vector":
        data = np.asarray(work if linkage == "ward" else X, dtype=np.float64)
        with estimated(progress, LINKAGE, VECTOR_COST, *data.shape):
            Z = _in_thread(lambda: _fastcluster().linkage_vector(data, method=linkage), cancel)
        if metric == "cosine":  # chord length on unit vectors -> 1 - cos (same order, so same tree)
            Z[:, 2] = Z[:, 2] ** 2 / 2
    else:
        condensed = _condensed(X, metric, cancel)
        with estimated(progress, LINKAGE, CONDENSED_COST, n, d):
            Z = _in_thread(lambda: _linkage_in_place(condensed, linkage), cancel)
        del condensed
    progress(LINKAGE, 1, 1)
    return Tree(
        Z=Z, leaf_of_item=np.arange(n), method=linkage, note="; ".join(notes) + ("." if notes else "")
    )


# --------------------------------------------------------------------------- exact routes


def _fastcluster() -> Any:
    import fastcluster

    return fastcluster


def _linkage_in_place(condensed: np.ndarray, method: str) -> np.ndarray:
    """fastcluster's linkage on a condensed matrix, overwriting it instead of copying it.

    ``fastcluster.linkage`` copies its input even with ``preserve_input=False`` (it calls
    ``numpy.array``), which doubles the peak memory; its C entry point works in place.
    """
    fc = _fastcluster()
    wrap, codes = getattr(fc, "linkage_wrap", None), getattr(fc, "mthidx", None)
    if wrap is None or not isinstance(codes, dict) or method not in codes:
        return fc.linkage(condensed, method=method, preserve_input=False)
    n = int(round((1 + np.sqrt(1 + 8 * len(condensed))) / 2))
    Z = np.empty((n - 1, 4))
    wrap(n, condensed, Z, codes[method])
    return Z


def _in_thread(work: Any, cancel: CancelToken) -> np.ndarray:
    """Run ``work()`` in a thread, returning its result, or raising Cancelled within 0.1 s of a cancel."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = error

    thread = threading.Thread(target=target, name="linkage", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
        cancel.raise_if_cancelled()
    cancel.raise_if_cancelled()
    if "error" in box:
        raise box["error"]
    return np.asarray(box["value"], dtype=np.float64)


def _pairwise(A: np.ndarray, B: np.ndarray, metric: str, b_sq: np.ndarray | None = None) -> np.ndarray:
    """Euclidean (or cosine, for unit rows) distances between the rows of A and B, by BLAS."""
    dot = A @ B.T
    if metric == "cosine":
        return np.clip(1 - dot, 0, 2, out=dot)
    b_sq = np.einsum("ij,ij->i", B, B) if b_sq is None else b_sq
    dot *= -2
    dot += np.einsum("ij,ij->i", A, A)[:, None]
    dot += b_sq[None, :]
    np.maximum(dot, 0, out=dot)
    return np.sqrt(dot, out=dot)


def _condensed(X: np.ndarray, metric: str, cancel: CancelToken) -> np.ndarray:
    """All n(n-1)/2 pairwise distances in scipy's condensed order, float64, built in blocks."""
    n = X.shape[0]
    X64 = np.asarray(X, dtype=np.float64)
    if metric == "euclidean":
        X64 = X64 - X64.mean(axis=0)  # centring keeps the dot-product expansion accurate
    sq = np.einsum("ij,ij->i", X64, X64)
    out = np.empty(n * (n - 1) // 2)
    rows = max(1, int(_BLOCK_BYTES // (8 * n)))
    offset = 0
    for s in range(0, n - 1, rows):
        cancel.raise_if_cancelled()
        e = min(n - 1, s + rows)
        block = _pairwise(X64[s:e], X64[s:], metric, sq[s:])
        for i in range(e - s):
            length = n - (s + i) - 1
            out[offset : offset + length] = block[i, i + 1 :]
            offset += length
    return out


# --------------------------------------------------------------------------- micro-cluster route


def _micro_tree(
    X: np.ndarray,
    work: np.ndarray,
    linkage: str,
    metric: str,
    random_state: Any,
    notes: list[str],
    progress: Progress,
    cancel: CancelToken,
) -> Tree:
    """Tree over K-Means micro-clusters of ``work`` (X, or its principal components) weighted by size."""
    import scipy.sparse as sp

    from engine.cluster.kmeans import k_means

    n = X.shape[0]
    m = min(N_MICRO, n)
    # Random rows as seeds: k-means++ would take a minute for 2 000 centres on 100 000 items, and
    # a few Lloyd passes are enough for micro-clusters, whose job is to be small, not optimal.
    _, labels, _, _ = k_means(
        work,
        m,
        init="random",
        n_init=1,
        max_iter=15,
        random_state=random_state,
        progress=progress,
        cancel=cancel,
    )
    _, leaf_of_item = np.unique(labels, return_inverse=True)  # drop empty micro-clusters
    m = int(leaf_of_item.max()) + 1
    weights = np.bincount(leaf_of_item, minlength=m).astype(np.float64)
    space = work if linkage == "ward" else X
    one_hot = sp.csr_array((np.ones(n), (leaf_of_item, np.arange(n))), shape=(m, n))
    centroids = (one_hot @ np.asarray(space, dtype=np.float64)) / weights[:, None]
    if metric == "cosine":
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids /= np.where(norms > 0, norms, 1)
    cancel.raise_if_cancelled()
    progress(LINKAGE, 0, 1)
    D = _pairwise(centroids, centroids, metric)
    if linkage == "ward":
        D **= 2
        D *= 2 * np.outer(weights, weights) / np.add.outer(weights, weights)
    Z = weighted_linkage(D, weights, linkage, cancel)
    progress(LINKAGE, 1, 1)
    notes.append(
        f"{n:,} items: tree built over {m:,} K-Means micro-clusters (each leaf is a micro-cluster)"
        + ("" if linkage == "ward" else f"; {linkage} linkage between micro-cluster centroids")
    )
    return Tree(Z=Z, leaf_of_item=leaf_of_item, method=linkage, approximate=True, note="; ".join(notes) + ".")


def weighted_linkage(D: np.ndarray, weights: np.ndarray, linkage: str, cancel: CancelToken) -> np.ndarray:
    """Linkage of ``m`` weighted clusters from their m x m dissimilarities, by the nearest-neighbour chain.

    For ward, ``D`` holds squared Ward distances ``2 w_i w_j / (w_i + w_j) |c_i - c_j|^2`` and
    the heights returned are their square roots (scipy's convention). All four linkages are
    reducible, so the chain finds the same merges as the greedy algorithm in O(m^2) steps.
    Column 3 of the result counts leaves, as scipy expects (``Tree.item_count`` counts items).
    """
    m = len(weights)
    D = np.array(D, dtype=np.float64)
    np.fill_diagonal(D, np.inf)
    size = np.asarray(weights, dtype=np.float64).copy()
    active = np.ones(m, dtype=bool)
    top = np.zeros(m)  # height of the cluster in each slot, to keep parents at least as high
    merges: list[tuple[int, int, float]] = []
    chain: list[int] = []
    next_start = 0
    while len(merges) < m - 1:
        if not chain:
            while not active[next_start]:
                next_start += 1
            chain.append(next_start)
        a = chain[-1]
        row = D[a]
        b = int(np.argmin(row))
        if len(chain) > 1 and row[chain[-2]] <= row[b]:
            b = chain[-2]  # prefer the previous link on ties, so the chain cannot cycle
        if len(chain) < 2 or b != chain[-2]:
            chain.append(b)
            continue
        chain.pop()
        chain.pop()
        if len(merges) % 256 == 0:
            cancel.raise_if_cancelled()
        d_ab, wa, wb = row[b], size[a], size[b]
        if linkage == "ward":
            new = ((size + wa) * D[a] + (size + wb) * D[b] - size * d_ab) / (size + wa + wb)
        elif linkage == "average":
            new = (wa * D[a] + wb * D[b]) / (wa + wb)
        elif linkage == "complete":
            new = np.maximum(D[a], D[b])
        else:
            new = np.minimum(D[a], D[b])
        active[b] = False
        new[~active] = np.inf
        new[a] = np.inf
        D[a, :] = new
        D[:, a] = new
        D[b, :] = np.inf
        D[:, b] = np.inf
        size[a] = wa + wb
        height = max(float(np.sqrt(d_ab)) if linkage == "ward" else float(d_ab), top[a], top[b])
        top[a] = height
        merges.append((a, b, height))
    return _to_linkage(merges, m)


def _to_linkage(merges: list[tuple[int, int, float]], m: int) -> np.ndarray:
    """Sort merges by height (stable: a child merge comes before its parent) and number the nodes."""
    order = sorted(range(len(merges)), key=lambda i: merges[i][2])
    node = list(range(m))  # slot -> current node number
    count = [1] * m  # leaves under the cluster in each slot
    Z = np.empty((m - 1, 4))
    for row, i in enumerate(order):
        a, b, h = merges[i]
        left, right = sorted((node[a], node[b]))
        count[a] += count[b]
        Z[row] = (left, right, h, count[a])
        node[a] = m + row
    return Z
