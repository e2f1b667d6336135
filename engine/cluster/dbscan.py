"""Density-based clustering: DBSCAN (through PyCaret when it is installed) and HDBSCAN.

DBSCAN needs a radius ``eps``. When it is left open (None) it comes from the knee of the sorted
k-distance curve (:func:`k_distance_curve`; the rule is in :func:`knee`): the distance from each
item to its ``min_samples``-th nearest neighbour, counting the item itself, is exactly what DBSCAN
compares to eps (an item is a core point when that distance is <= eps), so the curve shows what
share of the items each eps makes core points, and its knee separates dense regions from the
sparse tail.

scikit-learn's DBSCAN stores every item's eps-neighbourhood at once before it clusters; with a
large eps on many items that is gigabytes (180 000 rows have been reported to exhaust memory).
:func:`check_memory` estimates that size from a sample before running and refuses with advice
when it would pass :func:`memory_budget` (a quarter of the machine's RAM).

PyCaret pins numpy<2, scipy<=1.11.4 and scikit-learn<1.5, so it is an optional extra
(``pip install "datamining6[pycaret]"``); the code here only imports it inside functions.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from typing import Any

import numpy as np

from engine import catalogue
from engine.cluster import Clustering, copies_of_one
from engine.progress import (
    DBSCAN,
    HDBSCAN,
    K_DISTANCE,
    MEMORY_CHECK,
    NEVER_CANCELLED,
    PYCARET_SETUP,
    CancelToken,
    CostModel,
    Progress,
    estimated,
    no_progress,
)

BACKENDS = catalogue.names(catalogue.DBSCAN_BACKENDS)
CURVE_POINTS = 2000
"""The k-distance curve kept for drawing has at most this many points."""
CURVE_QUERIES = 5_000
"""Above this many items the k-distance curve is computed for a random sample of them."""
ESTIMATE_QUERIES = 1_000
# Bytes per stored neighbour at the peak, measured with tests/benchmarks/bench_density.py and
# rounded up: above 15 dimensions scikit-learn searches by brute force and keeps each index with its
# distance in growing buffers (measured 19); below, a tree returns the indices alone (measured 9-10).
_BYTES_PER_NEIGHBOUR = 24
_BYTES_PER_NEIGHBOUR_TREE = 12
_BYTES_PER_ITEM = 120  # one small numpy array object per item, plus DBSCAN's own per-item arrays
_BATCH = 500
HDBSCAN_COST = CostModel(9e-10, lambda n, d: float(n) * n * d)
"""scikit-learn's HDBSCAN builds its tree with Prim's algorithm over all pairs: n² d.

Measured 0.11 s at 2 000 x 32, 2.7 s at 10 000 x 32, 0.73 s at 10 000 x 8 (2 cores). Used only
where :mod:`engine.cluster.hdbscan_tree` cannot count the steps (a scikit-learn without the
functions it needs): the plain call reports nothing until it returns.
"""
DBSCAN_COST = CostModel(4e-10, lambda n, d: float(n) * n * d)
"""scikit-learn's DBSCAN: every item's neighbourhood, by brute force above 15 dimensions: n² d."""
INSTALL_HINT = (
    'PyCaret is not installed. Install the optional extra with pip install "datamining6[pycaret]" '
    "(it downgrades numpy to <2, scipy to <=1.11.4 and scikit-learn to <1.5, so use a separate "
    "environment), or choose the sklearn backend, which gives the same clusters."
)


class DensityMemoryError(ValueError):
    """DBSCAN's neighbourhoods would not fit in the memory budget; the message says what to do."""


def memory_budget(fraction: float = 0.25) -> int:
    """Bytes DBSCAN may use: ``fraction`` of the physical RAM (4 GiB assumed when unknown)."""
    total = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    if not total:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            total = 16 * 2**30
    return int(total * fraction)


def _check_params(min_samples: Any, eps: Any = None) -> None:
    if isinstance(min_samples, bool) or not isinstance(min_samples, (int, np.integer)) or min_samples < 1:
        raise ValueError(f"min_samples must be a whole number >= 1; got {min_samples!r}.")
    if eps is not None and not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be positive; got {eps!r}.")


def _sample(n: int, size: int, random_state: int | None) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size, replace=False))


def knee(distances: np.ndarray) -> float:
    """The knee of a sorted k-distance curve, searched in its upper half.

    The knee is the point farthest below the chord from the median point to the last point, both
    axes scaled to [0, 1] so that the answer depends on neither units nor n. Below the median the
    items are, by definition, the denser half, where a boundary between clusters and noise lies
    only when most items are noise; a chord from the first point lets a gently curved lower half
    pull the knee down into the clusters and split them (tested on blobs, moons and circles with
    0-20 % noise, tests/engine/test_dbscan.py). A curve without a bend gives its median.
    """
    y = np.sort(np.asarray(distances, dtype=float))
    if len(y) == 0:
        raise ValueError("The k-distance curve is empty.")
    upper = y[(len(y) - 1) // 2 :]
    span = upper[-1] - upper[0]
    if len(upper) < 3 or not np.isfinite(span) or span <= 0:
        return float(np.median(y))
    x = np.linspace(0.0, 1.0, len(upper))
    gap = x - (upper - upper[0]) / span  # chord minus curve, both scaled
    i = int(np.argmax(gap))
    return float(upper[i]) if gap[i] > 1e-9 else float(np.median(y))


def k_distance_curve(
    X: np.ndarray,
    k: int = 5,
    *,
    sample_size: int = CURVE_QUERIES,
    random_state: int | None = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, float]:
    """Sorted distances from each item to its k-th nearest neighbour (itself counted), and the knee.

    With more than ``sample_size`` items the distances are those of a random sample of items (to
    their neighbours among all items), which keeps the curve's shape at a fraction of the cost.
    Returns ``(sorted distances, suggested eps)``.
    """
    from sklearn.neighbors import NearestNeighbors

    _check_params(k)
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    if n < 2:
        raise ValueError("The k-distance curve needs at least 2 items.")
    k = min(int(k), n)
    model = NearestNeighbors(n_neighbors=k).fit(X)
    rows = _sample(n, sample_size, random_state)
    out = np.empty(len(rows))
    for start in range(0, len(rows), _BATCH):
        cancel.raise_if_cancelled()
        chunk = rows[start : start + _BATCH]
        out[start : start + len(chunk)] = model.kneighbors(X[chunk], n_neighbors=k)[0][:, -1]
        progress(K_DISTANCE, start + len(chunk), len(rows))
    out.sort()
    return out, knee(out)


def estimate_neighbourhood_bytes(
    X: np.ndarray,
    eps: float,
    *,
    sample_size: int = ESTIMATE_QUERIES,
    random_state: int | None = 0,
    cancel: CancelToken | None = None,
) -> int:
    """What scikit-learn's DBSCAN would hold in its neighbourhood lists, from a sample of items."""
    from sklearn.neighbors import NearestNeighbors

    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    model = NearestNeighbors(radius=eps).fit(X)
    rows = _sample(n, sample_size, random_state)
    counts = []
    for start in range(0, len(rows), 50):  # 50 queries x n indices at most per step
        cancel.raise_if_cancelled()
        found = model.radius_neighbors(X[rows[start : start + 50]], return_distance=False)
        counts.extend(len(a) for a in found)
    per_neighbour = _BYTES_PER_NEIGHBOUR if X.shape[1] > 15 else _BYTES_PER_NEIGHBOUR_TREE
    return int(n * (float(np.mean(counts)) * per_neighbour + _BYTES_PER_ITEM))


def check_memory(
    X: np.ndarray, eps: float, budget: int | None = None, cancel: CancelToken | None = None
) -> int:
    """Raise :class:`DensityMemoryError` when DBSCAN at this eps would pass the memory budget.

    Returns the estimate in bytes.
    """
    budget = memory_budget() if budget is None else int(budget)
    need = estimate_neighbourhood_bytes(X, eps, cancel=cancel)
    if need > budget:
        gib = 2**30
        raise DensityMemoryError(
            f"DBSCAN with eps={eps:.4g} on {len(X)} items would need about {need / gib:.1f} GiB for its "
            f"neighbourhood lists, more than the {budget / gib:.1f} GiB allowed (a quarter of this "
            "machine's memory). Choose a smaller eps (the knee of the k-distance curve), use HDBSCAN, "
            "which needs no eps, or analyse a sample of the items."
        )
    return need


def pycaret_available() -> bool:
    """True when the optional PyCaret package is installed (checked without importing it)."""
    return importlib.util.find_spec("pycaret") is not None


def dbscan_sklearn(X: np.ndarray, eps: float, min_samples: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's DBSCAN: ``(labels, core sample indices)``; noise is -1."""
    from sklearn.cluster import DBSCAN as SklearnDBSCAN

    _check_params(min_samples, eps)
    model = SklearnDBSCAN(eps=eps, min_samples=int(min_samples)).fit(np.asarray(X, dtype=np.float64))
    return model.labels_.astype(int), model.core_sample_indices_


def _import_pycaret() -> Any:
    """PyCaret's ``ClusteringExperiment``, imported without its side effects on the process.

    On import PyCaret opens ``logs.log`` in the working folder (sent to the null device here
    unless ``PYCARET_CUSTOM_LOGGING_PATH`` says otherwise) and routes every warning of the
    process into that log (undone here, so the app's warnings still reach the console).
    """
    os.environ.setdefault("PYCARET_CUSTOM_LOGGING_PATH", os.devnull)
    shown = warnings.showwarning
    try:
        from pycaret.clustering import ClusteringExperiment
    except ImportError as err:  # not installed, or installed without an undeclared dependency (six)
        raise ImportError(f"{INSTALL_HINT} ({err})") from err
    finally:
        warnings.showwarning = shown
    return ClusteringExperiment


def pycaret_experiment(X: np.ndarray, *, random_state: int | None = 0, normalize: bool = False) -> Any:
    """A PyCaret ``ClusteringExperiment`` set up on ``X`` (columns f0..f{d-1}).

    Preprocessing kept: PyCaret's default pipeline (mean imputation, a no-op on our finite
    vectors) and, when asked, ``normalize`` (z-scores). Not used: ``pca`` (a density radius is
    easier to read in the embedder's own space), ``transformation``, ``remove_multicollinearity``
    and ``low_variance_threshold``, which change distances in ways the k-distance curve would not
    show. ``system_log=False`` keeps PyCaret from writing logs.log into the working folder.
    """
    import pandas as pd

    ClusteringExperiment = _import_pycaret()
    X = np.asarray(X, dtype=np.float64)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    experiment = ClusteringExperiment()
    with warnings.catch_warnings():  # PyCaret warns about each optional model package it lacks
        warnings.simplefilter("ignore")
        experiment.setup(
            frame,
            session_id=random_state,
            normalize=normalize,
            verbose=False,
            html=False,
            system_log=False,
            n_jobs=1,
        )
    return experiment


def transformed(experiment: Any) -> np.ndarray:
    """The data as PyCaret's preprocessing left it (what its DBSCAN clusters)."""
    return np.asarray(experiment.get_config("X_transformed"), dtype=np.float64)


def dbscan_pycaret(experiment: Any, eps: float, min_samples: int = 5) -> np.ndarray:
    """DBSCAN as a PyCaret model on an experiment's data; labels from ``assign_model`` (-1 noise)."""
    _check_params(min_samples, eps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = experiment.create_model("dbscan", eps=float(eps), min_samples=int(min_samples), verbose=False)
        assigned = experiment.assign_model(model)
    # PyCaret names clusters "Cluster 0", "Cluster 1", ... and noise "Cluster -1".
    return np.array([int(str(v).rsplit(" ", 1)[-1]) for v in assigned["Cluster"]], dtype=int)


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"dbscan_backend must be one of {', '.join(BACKENDS)}; got {backend!r}.")
    if backend == "sklearn":
        return "sklearn"
    if pycaret_available():
        return "pycaret"
    if backend == "pycaret":
        raise ImportError(INSTALL_HINT)
    return "sklearn"


def _curve_for_drawing(distances: np.ndarray, k: int, eps: float, suggested: float) -> dict[str, Any]:
    positions = np.linspace(0, len(distances) - 1, min(CURVE_POINTS, len(distances)))
    keep = np.unique(positions.round().astype(int))
    return {
        "k": int(k),
        "distances": [float(v) for v in distances[keep]],
        "suggested_eps": float(suggested),
        "eps": float(eps),
        "n_queried": int(len(distances)),
    }


def fit_dbscan(
    vectors: np.ndarray,
    *,
    eps: float | None = None,
    min_samples: int | None = None,
    backend: str = "auto",
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """The pipeline's DBSCAN: ``eps`` given or (None) the k-distance knee, memory checked first.

    ``min_samples`` None with ``eps`` None chooses both (:mod:`engine.cluster.density_auto`);
    with a given ``eps`` it is 5.
    """
    from engine.cluster.density_auto import DEFAULT, choose_scale

    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    _check_params(DEFAULT if min_samples is None else min_samples, eps)
    chosen, backend = backend, _resolve_backend(backend)
    X = np.asarray(vectors, dtype=np.float64)
    if len(X) < 2:
        raise ValueError("DBSCAN needs at least 2 items.")
    copies = copies_of_one(X)  # every k-distance is 0 and no radius separates anything
    if copies is not None:
        return copies
    auto_note = None
    if min_samples is None and eps is None:

        def trial(ms: int) -> np.ndarray:
            _, knee_eps = k_distance_curve(X, ms, random_state=random_state, progress=progress, cancel=cancel)
            if knee_eps <= 0:
                return np.full(len(X), -1)
            with estimated(progress, DBSCAN, DBSCAN_COST, *X.shape, detail=f"trying min_samples {ms}"):
                return dbscan_sklearn(X, knee_eps, ms)[0]

        min_samples, _, auto_note = choose_scale(
            X, trial, "min_samples", random_state, cancel, progress=progress, stage=DBSCAN
        )
    min_samples = DEFAULT if min_samples is None else int(min_samples)
    info: dict[str, Any] = {"min_samples": min_samples, "backend": backend}
    if auto_note:
        info["note"] = auto_note
    experiment = None
    if backend == "pycaret":
        progress(PYCARET_SETUP, 0, 1)
        try:
            experiment = pycaret_experiment(X, random_state=random_state)
        except ImportError as err:
            if chosen == "pycaret":
                raise
            backend = info["backend"] = "sklearn"  # installed but broken (a missing `six`, say)
            fallback = f"PyCaret could not be used, so scikit-learn ran DBSCAN: {err}"
            info["note"] = f"{auto_note} {fallback}" if auto_note else fallback
        else:
            X = transformed(experiment)
    cancel.raise_if_cancelled()
    distances, suggested = k_distance_curve(
        X, min_samples, random_state=random_state, progress=progress, cancel=cancel
    )
    given = eps is not None
    eps = float(eps) if given else suggested
    if eps <= 0:  # many duplicated items: the knee sits at distance 0
        positive = distances[distances > 0]
        eps = float(positive[0]) if len(positive) else _between_copies(X, info)
    info["eps"] = eps
    info["eps_source"] = "given" if given else "k-distance knee"
    info["k_distance"] = _curve_for_drawing(distances, min(min_samples, len(X)), eps, suggested)
    progress(MEMORY_CHECK, 0, 1)
    info["memory_estimate_bytes"] = check_memory(X, eps, cancel=cancel)
    cancel.raise_if_cancelled()
    with estimated(progress, DBSCAN, DBSCAN_COST, *X.shape):
        if experiment is not None:
            labels = dbscan_pycaret(experiment, eps, min_samples)
        else:
            labels, _ = dbscan_sklearn(X, eps, min_samples)
    progress(DBSCAN, 1, 1)
    info["n_clusters"] = int(len(set(labels.tolist()) - {-1}))
    info["n_noise"] = int(np.sum(labels == -1))
    return Clustering(labels=labels, info=info)


def _between_copies(X: np.ndarray, info: dict[str, Any]) -> float:
    """An eps for items that are all exact copies of a few distinct ones (a table of a few answers
    repeated): half the distance between the two closest distinct items, so that each group of
    copies is one cluster (items that are all the same never get here: see :func:`copies_of_one`)."""
    from sklearn.neighbors import NearestNeighbors

    distinct = np.unique(X, axis=0)
    closest = float(NearestNeighbors(n_neighbors=2).fit(distinct).kneighbors(distinct)[0][:, 1].min())
    why = (
        f"Every item has exact copies ({len(distinct)} distinct items among {len(X)}), so the "
        "k-distance curve is flat at 0; eps is half the distance between the two closest distinct "
        "items, and each group of copies is a cluster."
    )
    info["note"] = f"{info['note']} {why}" if info.get("note") else why
    return closest / 2


def fit_hdbscan(
    vectors: np.ndarray,
    *,
    min_samples: int | None = None,
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """scikit-learn's HDBSCAN: no eps; ``min_samples`` is the smallest cluster size (None: chosen,
    see :mod:`engine.cluster.density_auto`).

    Each item's membership strength (0 for noise, 1 in a cluster's core) is kept in
    ``info["membership"]``; ``random_state`` is accepted for a uniform call and unused (HDBSCAN
    is deterministic).
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    from sklearn.cluster import HDBSCAN as SklearnHDBSCAN

    from engine.cluster.density_auto import choose_scale
    from engine.cluster.hdbscan_tree import hdbscan_fit, tree_functions

    if min_samples is not None:
        _check_params(min_samples)
    X = np.asarray(vectors, dtype=np.float64)
    if len(X) < 2:
        raise ValueError("HDBSCAN needs at least 2 items.")
    copies = copies_of_one(X)  # HDBSCAN would call every copy noise
    if copies is not None:
        copies.info |= {"min_cluster_size": len(X), "membership": np.ones(len(X), np.float32)}
        return copies
    cancel.raise_if_cancelled()
    progress(HDBSCAN, 0, 1)
    functions = tree_functions() if np.isfinite(X).all() else None
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # the chosen candidate is not fitted twice

    def fitted(size: int, trying: bool = False) -> tuple[np.ndarray, np.ndarray]:
        size = int(min(max(2, size), len(X)))
        if size not in fits:
            detail = f"{'trying ' if trying else ''}min_cluster_size {size}"
            if functions is not None:
                fits[size] = hdbscan_fit(X, size, functions, progress, HDBSCAN, detail, cancel)
            else:
                with estimated(progress, HDBSCAN, HDBSCAN_COST, *X.shape, detail=detail):
                    model = SklearnHDBSCAN(min_cluster_size=size, copy=True).fit(X)
                fits[size] = (model.labels_, model.probabilities_)
            cancel.raise_if_cancelled()
        return fits[size]

    note = None
    if min_samples is None:
        min_samples, _, note = choose_scale(
            X,
            lambda m: fitted(m, trying=True)[0],
            "min_cluster_size",
            random_state,
            cancel,
            progress=progress,
            stage=HDBSCAN,
        )
    size = int(min(max(2, min_samples), len(X)))
    labels, strengths = fitted(size)
    progress(HDBSCAN, 1, 1)
    labels = labels.astype(int)
    info = {
        "min_cluster_size": size,
        "membership": strengths.astype(np.float32),
        "n_clusters": int(len(set(labels.tolist()) - {-1})),
        "n_noise": int(np.sum(labels == -1)),
    }
    if note:
        info["note"] = note
    return Clustering(labels=labels, info=info)
