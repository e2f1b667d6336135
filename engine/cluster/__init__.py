"""Clustering methods behind one entry point, :func:`cluster`, that the pipeline calls.

Each method is a function ``fit_<name>(vectors, *, k=..., ..., progress, cancel) -> Clustering``
with plain keyword parameters in its own module; the methods know nothing of the pipeline's
``Spec`` (the pipeline maps its fields onto these keywords, with :mod:`engine.catalogue`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.catalogue import OptionError
from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress


@dataclass
class Clustering:
    """What a clustering method found; views draw what is there and skip what is None."""

    labels: np.ndarray
    """One int per item; -1 is noise (DBSCAN, HDBSCAN)."""
    curve: Any = None
    """How k was chosen (silhouette and inertia for K-Means, BIC/AIC for mixtures), with ``to_dict``."""
    tree: Any = None
    """A dendrogram for hierarchical methods (:class:`engine.cluster.tree.Tree`)."""
    probabilities: np.ndarray | None = None
    """Soft assignments, items x clusters (Gaussian mixtures)."""
    info: dict[str, Any] = field(default_factory=dict)
    """Method-specific facts for the user (eps used, the k-distance curve, notes)."""


def copies_of_one(vectors: np.ndarray, k: int | None = None) -> Clustering | None:
    """One cluster when every item is the same (a table of one answer repeated), else None.

    No method can split copies: every score that chooses k is undefined there, K-Means and the
    trees would report the k they fell back to, and HDBSCAN calls every copy noise.
    """
    X = np.asarray(vectors)
    if len(X) < 2 or not np.array_equal(X[0], X[-1]):  # the usual case, without a pass over all items
        return None
    if not np.isfinite(X).all() or np.ptp(X, axis=0).any():
        return None
    note = f"All {len(X)} items are identical, so they form one cluster"
    note += f" (k = {k} was asked)." if k not in (None, 1) else "."
    info = {"note": note, "n_clusters": 1, "n_noise": 0}
    return Clustering(labels=np.zeros(len(X), dtype=int), info=info)


# Each entry imports its module only when its method runs, so that the window opens fast.
def _kmeans(vectors: np.ndarray, **params: Any) -> Clustering:
    from engine.cluster.kmeans import fit_kmeans

    return fit_kmeans(vectors, **params)


def _agglomerative(vectors: np.ndarray, **params: Any) -> Clustering:
    from engine.cluster.hierarchical import fit_agglomerative

    return fit_agglomerative(vectors, **params)


def _divisive(vectors: np.ndarray, **params: Any) -> Clustering:
    from engine.cluster.hierarchical import fit_divisive

    return fit_divisive(vectors, **params)


def _gmm(vectors: np.ndarray, **params: Any) -> Clustering:
    from engine.cluster.gmm import fit_gmm

    return fit_gmm(vectors, **params)


def _dbscan(vectors: np.ndarray, **params: Any) -> Clustering:
    from engine.cluster.dbscan import fit_dbscan

    return fit_dbscan(vectors, **params)


def _hdbscan(vectors: np.ndarray, **params: Any) -> Clustering:
    from engine.cluster.dbscan import fit_hdbscan

    return fit_hdbscan(vectors, **params)


METHODS: dict[str, Callable[..., Clustering]] = {
    "kmeans": _kmeans,
    "agglomerative": _agglomerative,
    "divisive": _divisive,
    "gmm": _gmm,
    "dbscan": _dbscan,
    "hdbscan": _hdbscan,
}
"""Algorithm name (as in :data:`engine.catalogue.ALGORITHMS`) -> the function that fits it."""


def cluster(
    vectors: np.ndarray,
    algorithm: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    **params: Any,
) -> Clustering:
    """Cluster ``vectors`` with ``algorithm``; ``params`` are that method's keyword parameters."""
    if algorithm not in METHODS:
        raise OptionError(f"Unknown algorithm {algorithm!r}; choose one of: {', '.join(METHODS)}.")
    copies = copies_of_one(vectors, params.get("k"))
    if copies is not None:
        if algorithm == "gmm":  # every item is sure of the one cluster
            copies.probabilities = np.ones((len(copies.labels), 1))
        return copies
    return METHODS[algorithm](
        vectors, progress=progress or no_progress, cancel=cancel or NEVER_CANCELLED, **params
    )
