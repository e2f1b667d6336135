"""Clustering methods behind one entry point, :func:`cluster`, that the pipeline calls.

Each method is a function ``fit(vectors, spec, progress, cancel) -> Clustering`` in its own module;
the table below maps the Spec's ``algorithm`` name to it. Modules are imported only when their
method runs, so that the window opens fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

if TYPE_CHECKING:
    from engine.pipeline import Spec


@dataclass
class Clustering:
    """What a clustering method found; views draw what is there and skip what is None."""

    labels: np.ndarray
    """One int per item; -1 is noise (DBSCAN, HDBSCAN)."""
    curve: Any = None
    """How k was chosen (silhouette and inertia for K-Means, BIC/AIC for mixtures), with ``to_dict``."""
    tree: Any = None
    """A dendrogram for hierarchical methods (:class:`engine.cluster.hierarchical.Tree`)."""
    probabilities: np.ndarray | None = None
    """Soft assignments, items x clusters (Gaussian mixtures)."""
    info: dict[str, Any] = field(default_factory=dict)
    """Method-specific facts for the user (eps used, the k-distance curve, notes)."""


ALGORITHMS: dict[str, str] = {
    "kmeans": "engine.cluster.kmeans_spec:fit_spec",
    "agglomerative": "engine.cluster.hierarchical:fit_agglomerative",
    "divisive": "engine.cluster.hierarchical:fit_divisive",
    "gmm": "engine.cluster.gmm:fit_spec",
    "dbscan": "engine.cluster.dbscan:fit_dbscan",
    "hdbscan": "engine.cluster.dbscan:fit_hdbscan",
}
"""Algorithm name -> ``module:function`` that fits it."""


def cluster(
    vectors: np.ndarray,
    spec: Spec,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """Cluster ``vectors`` as ``spec`` says."""
    if spec.algorithm not in ALGORITHMS:
        raise ValueError(f"Unknown algorithm {spec.algorithm!r}; choose one of: {', '.join(ALGORITHMS)}.")
    module, function = ALGORITHMS[spec.algorithm].split(":")
    fit = getattr(importlib.import_module(module), function)
    return fit(vectors, spec, progress or no_progress, cancel or NEVER_CANCELLED)
