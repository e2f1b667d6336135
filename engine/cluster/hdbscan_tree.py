"""HDBSCAN's minimum spanning tree built in steps, so that progress moves and Cancel is heard.

scikit-learn's HDBSCAN builds the tree of mutual reachability distances with Prim's algorithm in
one Cython call that holds the interpreter lock: at 50 000 x 32 it ran for minutes without a
report, and no other thread could even tick a time estimate. Here the same Prim's algorithm runs
in numpy, one item per step (one matrix-vector product against the items not yet in the tree),
reporting every few hundred steps; scikit-learn's own functions then turn the tree into labels and
membership strengths, so the clusters are scikit-learn's. Those functions are private; where a
scikit-learn version lacks them, :func:`tree_functions` says so and the caller runs the plain
``HDBSCAN`` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.progress import CancelToken, Progress, detailed

NEIGHBOUR_CHUNK = 2_000
"""Items whose core distance is found between two reports."""
STEP_REPORT = 500
"""Prim's steps (items added to the tree) between two reports and Cancel checks."""


def tree_functions() -> tuple[Any, Any, Any] | None:
    """scikit-learn's (edge dtype, single-linkage builder, labeller), or None where they moved."""
    try:
        from sklearn.cluster._hdbscan._linkage import MST_edge_dtype, make_single_linkage
        from sklearn.cluster._hdbscan._tree import tree_to_labels
    except ImportError:
        return None
    return MST_edge_dtype, make_single_linkage, tree_to_labels


def core_distances(
    X: np.ndarray, min_samples: int, report: Progress, stage: str, cancel: CancelToken
) -> np.ndarray:
    """Distance from each item to its ``min_samples``-th nearest item (itself counted), as scikit-learn's."""
    from sklearn.neighbors import NearestNeighbors

    n = len(X)
    model = NearestNeighbors(n_neighbors=min_samples, algorithm="kd_tree").fit(X)  # as scikit-learn's HDBSCAN
    out = np.empty(n)
    for start in range(0, n, NEIGHBOUR_CHUNK):
        report(stage, start, n)
        cancel.raise_if_cancelled()
        stop = min(n, start + NEIGHBOUR_CHUNK)
        out[start:stop] = model.kneighbors(X[start:stop], min_samples)[0][:, -1]
    return out


def spanning_tree(
    X: np.ndarray, core: np.ndarray, edge_dtype: Any, report: Progress, stage: str, cancel: CancelToken
) -> np.ndarray:
    """Prim's minimum spanning tree of the mutual reachability graph ``max(|a - b|, core a, core b)``.

    The items not yet in the tree are kept in the first ``m`` rows of permuted copies; an item that
    joins is swapped to row ``m - 1`` and dropped, so each step touches only the remaining items.
    """
    n = len(X)
    order = np.arange(n)
    rows = np.array(X, dtype=np.float64, order="C", copy=True)
    squares = np.einsum("ij,ij->i", rows, rows)
    cores = np.asarray(core, dtype=np.float64).copy()
    best = np.full(n, np.inf)
    source = np.zeros(n, dtype=np.int64)
    edges = np.empty(n - 1, dtype=edge_dtype)
    arrays = (order, rows, squares, cores, best, source)

    def take(j: int, m: int) -> tuple[int, np.ndarray, float, float]:
        """Item at row j joins the tree: returns it and moves row m - 1 into its place."""
        joined = (int(order[j]), rows[j].copy(), float(squares[j]), float(cores[j]))
        for a in arrays:
            a[j] = a[m - 1]
        return joined

    m = n
    item, x, square, own_core = take(0, m)
    m -= 1
    for step in range(n - 1):
        if step % STEP_REPORT == 0:
            report(stage, step, n - 1)
            cancel.raise_if_cancelled()
        d2 = squares[:m] - 2.0 * (rows[:m] @ x) + square
        np.maximum(d2, 0.0, out=d2)
        reach = np.maximum(np.maximum(np.sqrt(d2, out=d2), own_core), cores[:m])
        closer = reach < best[:m]
        best[:m][closer] = reach[closer]
        source[:m][closer] = item
        j = int(np.argmin(best[:m]))
        edges[step] = (source[j], order[j], best[j])
        item, x, square, own_core = take(j, m)
        m -= 1
    report(stage, n - 1, n - 1)
    return edges


def hdbscan_fit(
    X: np.ndarray,
    min_cluster_size: int,
    functions: tuple[Any, Any, Any],
    progress: Progress,
    stage: str,
    detail: str,
    cancel: CancelToken,
) -> tuple[np.ndarray, np.ndarray]:
    """(labels, membership strengths) as ``sklearn.cluster.HDBSCAN(min_cluster_size)`` gives them.

    Reported as ``stage (detail: neighbours)``, then ``stage (detail: tree)``.
    """
    edge_dtype, make_single_linkage, tree_to_labels = functions
    core = core_distances(X, min_cluster_size, progress, detailed(stage, f"{detail}: neighbours"), cancel)
    edges = spanning_tree(X, core, edge_dtype, progress, detailed(stage, f"{detail}: tree"), cancel)
    edges = edges[np.argsort(edges["distance"], kind="stable")]
    labels, strengths = tree_to_labels(make_single_linkage(edges), min_cluster_size, "eom", False, 0.0, None)
    return np.asarray(labels), np.asarray(strengths)
