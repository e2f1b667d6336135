"""K-Means written from scratch in numpy: greedy k-means++ seeding, Lloyd iterations, n_init restarts.

Why our own: the engine needs progress, cancellation and a bounded memory footprint on large
embedding matrices, and it must stay a plain library. The estimator follows scikit-learn's contract
(and passes its ``check_estimator`` suite), so it drops into pipelines and grid searches.

Speed notes for the Lloyd loop (the hot path), which runs about as fast as scikit-learn's Cython:
- squared distances come from one float32/float64 matrix product, ``||c||^2 - 2 x.c`` (``||x||^2``
  does not change the argmin), for a block of rows at a time in a (clusters x rows) buffer;
- the argmin over clusters uses vertical reductions and a matrix-vector product instead of
  numpy's per-row ``argmin``, which is slow for short rows;
- the centre sums are a sparse one-hot product on the first pass; later passes only move the rows
  whose label changed, so late iterations cost little more than the matrix product;
- rows are split into one contiguous block per core, run on threads (numpy, BLAS and scipy's
  sparse kernels release the GIL) while BLAS itself is held to one thread.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6, as the optional PyCaret extra pins it (1.4)

    def validate_data(estimator: Any, X: Any, **kwargs: Any) -> np.ndarray:
        return estimator._validate_data(X, **kwargs)


from engine.catalogue import check_k
from engine.cluster import Clustering
from engine.cluster.lloyd import (
    _PARALLEL_MIN_WORK,
    _TIE_RTOL,
    _Assigner,
    _exact_sq_distances,
    _inertia,
    _kmeans_plusplus,
    _lloyd,
    _n_threads,
    _nearest,
    _random_init,
    _weighted_mean_var,
)
from engine.progress import KMEANS, NEVER_CANCELLED, CancelToken, Progress, no_progress

InitArg = str | np.ndarray | Sequence[Sequence[float]] | Callable[[np.ndarray, int, Any], Any]
"""'k-means++', 'random', an array of centres, or ``init(X, n_clusters, random_state) -> centres``."""


# --------------------------------------------------------------------------- validation


def _check_params(n_clusters: Any, init: Any, n_init: Any, max_iter: Any, tol: Any) -> None:
    """Raise a ValueError naming the parameter the user got wrong."""
    if not isinstance(n_clusters, Integral) or isinstance(n_clusters, bool) or n_clusters < 1:
        raise ValueError(f"n_clusters must be an integer >= 1, got {n_clusters!r}.")
    if not isinstance(n_init, Integral) or isinstance(n_init, bool) or n_init < 1:
        raise ValueError(f"n_init must be an integer >= 1, got {n_init!r}.")
    if not isinstance(max_iter, Integral) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")
    if not isinstance(tol, Real) or isinstance(tol, bool) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}.")
    if isinstance(init, str) and init not in ("k-means++", "random"):
        raise ValueError(
            f"init must be 'k-means++', 'random', an array of centres or a callable, got {init!r}."
        )


def _check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype) -> np.ndarray:
    """Weights as a fresh 1-D array of X's dtype; never modifies the caller's array."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    w = np.array(sample_weight, dtype=dtype, copy=True)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},), got {w.shape}.")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    if not np.any(w > 0):
        raise ValueError("sample_weight must contain at least one non-zero weight.")
    return w


def _check_init_array(init: Any, n_clusters: int, n_features: int, dtype: np.dtype) -> np.ndarray:
    centers = check_array(init, dtype=dtype, order="C", copy=True)
    if centers.shape != (n_clusters, n_features):
        raise ValueError(
            f"init array must have shape (n_clusters, n_features) = ({n_clusters}, {n_features}), "
            f"got {centers.shape}."
        )
    return centers


def _k_means_checked(
    X: np.ndarray,
    n_clusters: int,
    w: np.ndarray,
    init: InitArg,
    n_init: int,
    max_iter: int,
    tol: float,
    random_state: Any,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """k_means on validated input (X float32/float64, C-ordered; w of X's dtype)."""
    n, n_features = X.shape
    if n < n_clusters:
        raise ValueError(f"n_samples={n} should be >= n_clusters={n_clusters}.")
    init_array = (
        None
        if isinstance(init, str) or callable(init)
        else _check_init_array(init, n_clusters, n_features, X.dtype)
    )
    rng = check_random_state(random_state)
    n_threads = _n_threads()
    parallel = n_threads > 1 and n * n_clusters * n_features >= _PARALLEL_MIN_WORK and n >= 2 * n_threads
    pool = None
    with contextlib.ExitStack() as stack:
        if parallel:
            # Our threads use every core, so BLAS gets one thread, from the very start: an idle
            # OpenBLAS worker spins for ~0.1 s after each call and would steal a core from us.
            stack.enter_context(_blas_controller().limit(limits=1, user_api="blas"))
            pool = stack.enter_context(ThreadPoolExecutor(n_threads - 1))  # this thread is one

        assign = _Assigner(X, w, n_clusters, pool, n_threads if parallel else 1)
        mean, var = _weighted_mean_var(X, w, assign.map_blocks)
        tol_scaled = float(tol * var.mean())
        # Far from the origin, the dot-product expansion cancels badly; work on centred data there
        # (a copy, as scikit-learn always makes) and shift the centres back at the end.
        shift_origin = float(mean @ mean) > float(var.sum())
        if shift_origin:
            X = X - mean.astype(X.dtype)
            assign = _Assigner(X, w, n_clusters, pool, n_threads if parallel else 1)
            if init_array is not None:
                init_array -= mean.astype(X.dtype)
        if init_array is not None:
            if n_init != 1:  # as scikit-learn does: the same start gives the same run
                warnings.warn(
                    f"Explicit initial centres given: running once instead of n_init={n_init}.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            n_init = 1
        else:
            x_sq = np.einsum("ij,ij->i", X, X)
            # A fixed projection gives a canonical row order for seeding (see _pick).
            direction = np.random.RandomState(0).standard_normal(n_features).astype(X.dtype)
            order = np.argsort(X @ direction, kind="stable")

        best: tuple[np.ndarray, np.ndarray, float, int] | None = None
        progress(KMEANS, 0, n_init)
        for run in range(n_init):
            cancel.raise_if_cancelled()
            if init_array is not None:
                centers = init_array
            elif callable(init):  # scikit-learn's contract: init(X, n_clusters, random_state) -> centres
                centers = _check_init_array(init(X, n_clusters, rng), n_clusters, n_features, X.dtype)
            elif init == "k-means++":
                centers = _kmeans_plusplus(X, x_sq, w, n_clusters, rng, order, cancel)
            else:
                centers = _random_init(X, w, n_clusters, rng, order)
            result = _lloyd(X, w, centers, max_iter, tol_scaled, assign, cancel)
            if best is None or result[2] < best[2] * (1 - _TIE_RTOL):
                best = result
            progress(KMEANS, run + 1, n_init)
    centers, labels, inertia, n_iter = best
    if shift_origin:
        centers = centers + mean.astype(X.dtype)
    return centers, labels, inertia, n_iter


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries; built once, as the scan takes ~15 ms."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def k_means(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    init: InitArg = "k-means++",
    n_init: int = 3,
    max_iter: int = 300,
    tol: float = 1e-4,
    random_state: Any = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Cluster the rows of X into ``n_clusters`` groups; returns (centers, labels, inertia, n_iter).

    The best of ``n_init`` seedings (lowest inertia) is kept; an explicit ``init`` array runs once
    (with a RuntimeWarning when ``n_init`` asked for more); a callable ``init`` is called once per
    run as ``init(X, n_clusters, random_state)`` and returns the starting centres.
    ``tol`` is relative to the mean per-feature variance, as in scikit-learn. float32 input stays
    float32. ``progress(KMEANS, run, n_init)`` is called between runs and ``cancel`` is checked
    between iterations (it raises :class:`engine.progress.Cancelled`).
    """
    _check_params(n_clusters, init, n_init, max_iter, tol)
    X = check_array(X, dtype=[np.float64, np.float32], order="C")
    w = _check_sample_weight(sample_weight, X.shape[0], X.dtype)
    return _k_means_checked(
        X,
        n_clusters,
        w,
        init,
        n_init,
        max_iter,
        tol,
        random_state,
        progress or no_progress,
        cancel or NEVER_CANCELLED,
    )


# --------------------------------------------------------------------------- estimator


class KMeans(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """K-Means clustering (Lloyd) with greedy k-means++ seeding; scikit-learn compatible.

    Parameters are those of :func:`k_means`; ``progress`` and ``cancel`` let a GUI follow and stop
    a fit. Fitted attributes: ``cluster_centers_``, ``labels_``, ``inertia_``, ``n_iter_``,
    ``n_features_in_``.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: InitArg = "k-means++",
        n_init: int = 3,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.progress = progress
        self.cancel = cancel

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _more_tags(self) -> dict[str, Any]:  # the same tags for scikit-learn < 1.6
        return {
            "preserves_dtype": [np.float64, np.float32],
            # As scikit-learn's own KMeans declares there: relocating empty clusters draws on every
            # sample, so a zero weight is not the same as removing the sample.
            "_xfail_checks": {
                "check_sample_weights_invariance": "zero sample_weight is not equivalent to removing samples"
            },
        }

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Run K-Means on X; returns self."""
        _check_params(self.n_clusters, self.init, self.n_init, self.max_iter, self.tol)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        w = _check_sample_weight(sample_weight, X.shape[0], X.dtype)
        centers, labels, inertia, n_iter = _k_means_checked(
            X,
            self.n_clusters,
            w,
            self.init,
            self.n_init,
            self.max_iter,
            self.tol,
            self.random_state,
            self.progress or no_progress,
            self.cancel or NEVER_CANCELLED,
        )
        n_distinct = np.unique(labels).size
        if n_distinct < self.n_clusters:
            warnings.warn(
                f"Only {n_distinct} distinct clusters found for n_clusters={self.n_clusters}; "
                "X probably has fewer distinct points than that.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self._n_features_out = self.n_clusters
        return self

    def _check_test_data(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        return X, self.cluster_centers_.astype(X.dtype, copy=False)

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest centre for each row of X."""
        return _nearest(*self._check_test_data(X))

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance from each row of X to each centre, shape (n_samples, n_clusters)."""
        X, centers = self._check_test_data(X)
        return np.sqrt(_exact_sq_distances(X, centers))

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the inertia of X on the fitted centres (higher is better)."""
        X, centers = self._check_test_data(X)
        w = _check_sample_weight(sample_weight, X.shape[0], X.dtype)
        return -_inertia(X, w, centers, _nearest(X, centers))


# --------------------------------------------------------------------------- pipeline entry point


def fit_kmeans(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    k_min: int = 2,
    k_max: int = 10,
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """K-Means with a fixed ``k``, or (``k`` None) the best silhouette of ``k_min..k_max``."""
    from engine.cluster.choose_k import choose_k
    from engine.cluster.starts import describe, n_starts

    n = len(vectors)
    check_k(k, n)
    if k is None:
        k_max = min(k_max, n - 1)
        curve = choose_k(
            vectors, min(k_min, k_max), k_max, random_state=random_state, progress=progress, cancel=cancel
        )
        return Clustering(labels=np.asarray(curve.labels), curve=curve, info={"note": curve.reason})
    starts = n_starts(n, k, np.shape(vectors)[1])
    _, labels, inertia, n_iter = k_means(
        vectors, k, n_init=starts, random_state=random_state, progress=progress, cancel=cancel
    )
    info = {"inertia": float(inertia), "iterations": int(n_iter), "starts": starts}
    if k > 1:
        info["note"] = f"K-Means kept the best of {describe(starts)}."
    return Clustering(labels=labels, info=info)
