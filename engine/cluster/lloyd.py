"""The Lloyd machinery behind our K-Means: seeding, chunked assignment on threads, centre updates.

Split from :mod:`engine.cluster.kmeans` (which keeps validation, the public ``k_means`` function
and the estimator) so each file does one job. Everything here is private to the K-Means.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp

from engine.progress import CancelToken

_CHUNK_BYTES = 64 * 2**20
"""Upper bound on the distance block held at once (per thread); tests shrink it."""

_CHUNK_TARGET_BYTES = 8 * 2**20
"""Preferred distance block size. Large blocks mean fewer numpy calls per pass, which matters more
with threads (each call takes the GIL) than cache fit does: 8 MB beat 0.5-2 MB by ~8 %."""

_STREAM_BYTES = 2**18
"""Temporary block for the one-pass helpers (mean/variance, inertia): small enough for L2."""

_PARALLEL_MIN_WORK = 2**22
"""Below about this many multiply-adds per pass (n * k * d), threads cost more than they save."""

_TIE_RTOL = 1e-9
"""Candidates (seeding) or restarts whose potentials differ by less than this are a tie and the
earlier one wins, so choices do not depend on the order of floating point sums (row order,
weights instead of repeated rows)."""


# --------------------------------------------------------------------------- small helpers


def _n_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _chunk_rows(n_clusters: int, itemsize: int) -> int:
    """Rows per distance block: cache-sized, and never above the memory budget."""
    return max(1, min(_CHUNK_BYTES, _CHUNK_TARGET_BYTES) // (n_clusters * itemsize))


def _weighted_mean_var(
    X: np.ndarray, w: np.ndarray, map_blocks: Callable[..., list[Any]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature weighted mean and variance, in cache-sized chunks (no n x d float64 copy).

    Each chunk is reduced in X's dtype and the partial results are added in float64; the variance
    is taken around the mean (two passes) so that data far from the origin keeps its precision.
    ``map_blocks(func)`` returns ``func(lo, hi)`` for row blocks covering X (on threads, say).
    """
    map_blocks = map_blocks or (lambda func: [func(0, X.shape[0])])
    step = max(1, min(_CHUNK_BYTES, _STREAM_BYTES) // (X.itemsize * X.shape[1]))

    def weighted_sum(lo: int, hi: int) -> np.ndarray:
        out = np.zeros(X.shape[1])
        for s in range(lo, hi, step):
            out += w[s : min(hi, s + step)] @ X[s : min(hi, s + step)]
        return out

    def weighted_sq_dev(lo: int, hi: int) -> np.ndarray:
        out = np.zeros(X.shape[1])
        buffer = np.empty((min(step, hi - lo), X.shape[1]), dtype=X.dtype)  # stays in cache
        for s in range(lo, hi, step):
            e = min(hi, s + step)
            diff = buffer[: e - s]
            np.subtract(X[s:e], mean_x, out=diff)
            diff *= diff
            out += w[s:e] @ diff
        return out

    total = float(w.sum(dtype=np.float64))
    mean = sum(map_blocks(weighted_sum)) / total
    mean_x = mean.astype(X.dtype)
    return mean, sum(map_blocks(weighted_sq_dev)) / total


def _assigned_sq_dist(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Exact ||x - c_label||^2 per row (direct differences, so no cancellation)."""
    out = np.empty(X.shape[0], dtype=X.dtype)
    step = max(1, min(_CHUNK_BYTES, _STREAM_BYTES) // (X.itemsize * X.shape[1]))
    buffer = np.empty((min(step, X.shape[0]), X.shape[1]), dtype=X.dtype)  # stays in cache
    for s in range(0, X.shape[0], step):
        diff = buffer[: min(step, X.shape[0] - s)]
        np.take(centers, labels[s : s + step], axis=0, out=diff)
        diff -= X[s : s + step]
        np.einsum("ij,ij->i", diff, diff, out=out[s : s + step])
    return out


def _inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    return float(w.astype(np.float64) @ _assigned_sq_dist(X, centers, labels))


def _sq_distances(X: np.ndarray, x_sq: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n, c) squared distances by the dot-product expansion, clipped at zero."""
    d = X @ centers.T
    d *= -2
    d += x_sq[:, None]
    d += np.einsum("ij,ij->i", centers, centers)[None, :]
    np.maximum(d, 0, out=d)
    return d


def _exact_sq_distances(X: np.ndarray, centers: np.ndarray, resolve: float = 0.1) -> np.ndarray:
    """(n, k) squared distances; entries the expansion cannot resolve are recomputed directly.

    The expansion loses relative accuracy when ||x - c||^2 is small next to ||x||^2 + ||c||^2
    (a point on its centre would get ~1e-8 instead of 0); entries under ``resolve`` times that sum
    are redone, so the others keep a relative error under about eps / ``resolve``. They are rare in
    real vectors, but tight clusters far from the origin have every point's own centre among them.
    Distances at the rounding level of the coordinates themselves are reported as 0: a centre that
    is the mean of copies of one point may differ from it in the last bit.
    """
    floor = (8 * np.finfo(X.dtype).eps) ** 2
    x_sq = np.einsum("ij,ij->i", X, X)
    c_sq = np.einsum("ij,ij->i", centers, centers)
    out = np.empty((X.shape[0], centers.shape[0]), dtype=X.dtype)
    step = max(1, _CHUNK_BYTES // (X.itemsize * centers.shape[0]))
    for s in range(0, X.shape[0], step):
        d = _sq_distances(X[s : s + step], x_sq[s : s + step], centers)
        rows, cols = np.nonzero(d < resolve * (x_sq[s : s + step, None] + c_sq[None, :]))
        sub = max(1, _CHUNK_BYTES // (X.itemsize * X.shape[1]))
        for t in range(0, rows.size, sub):
            r, c = rows[t : t + sub], cols[t : t + sub]
            diff = X[s + r] - centers[c]
            d[r, c] = np.einsum("ij,ij->i", diff, diff)
        d[d <= floor * (x_sq[s : s + step, None] + c_sq[None, :])] = 0
        out[s : s + step] = d
    return out


# --------------------------------------------------------------------------- seeding


def _pick(cum: np.ndarray, r: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rows whose cumulative-mass interval holds each value of r (inverse CDF sampling).

    ``cum`` is taken in a canonical row order, so a row repeated m times and the same row with
    weight m own the same interval: seeding does not depend on row order or on repeats.
    """
    idx = np.searchsorted(cum, r, side="right")
    last = np.searchsorted(cum, cum[-1], side="left")  # last row that carries mass
    return order[np.minimum(idx, last)]


def _kmeans_plusplus(
    X: np.ndarray,
    x_sq: np.ndarray,
    w: np.ndarray,
    n_clusters: int,
    rng: np.random.RandomState,
    order: np.ndarray,
    cancel: CancelToken,
) -> np.ndarray:
    """Greedy k-means++: of 2 + ln(k) sampled candidates, keep the one that lowers the potential most."""
    n_trials = 2 + int(np.log(n_clusters))
    w_sorted = w[order]
    w64 = w.astype(np.float64)
    centers = np.empty((n_clusters, X.shape[1]), dtype=X.dtype)
    cum = np.cumsum(w_sorted, dtype=np.float64)
    first = _pick(cum, rng.uniform(size=1) * cum[-1], order)
    centers[0] = X[first[0]]
    closest = _sq_distances(X, x_sq, centers[:1])[:, 0]
    for c in range(1, n_clusters):
        cancel.raise_if_cancelled()
        cum = np.cumsum(w_sorted * closest[order], dtype=np.float64)
        candidates = _pick(cum, rng.uniform(size=n_trials) * cum[-1], order)
        d = _sq_distances(X, x_sq, X[candidates])
        np.minimum(d, closest[:, None], out=d)
        potentials = w64 @ d
        best = int(np.flatnonzero(potentials <= potentials.min() * (1 + _TIE_RTOL))[0])
        closest = d[:, best].copy()
        centers[c] = X[candidates[best]]
    return centers


def _random_init(
    X: np.ndarray, w: np.ndarray, n_clusters: int, rng: np.random.RandomState, order: np.ndarray
) -> np.ndarray:
    """k distinct rows drawn with probability proportional to their weight."""
    if np.count_nonzero(w) < n_clusters:
        raise ValueError(f"init='random' needs at least n_clusters={n_clusters} rows with non-zero weight.")
    p = w[order].astype(np.float64)
    seeds = order[rng.choice(X.shape[0], size=n_clusters, replace=False, p=p / p.sum())]
    return X[seeds].copy()


# --------------------------------------------------------------------------- Lloyd


class _Assigner:
    """Nearest-centre labels for all rows, block-parallel, with the centre sums kept up to date.

    Rows are cut into one contiguous block per thread (more blocks balance better on a busy
    machine but cost ~30 us each per pass) and each block into cache-sized chunks. The first pass
    sums every row into its centre; later passes only move the rows whose label changed (late
    iterations change few labels, so the update costs almost nothing).
    """

    def __init__(
        self, X: np.ndarray, w: np.ndarray, n_clusters: int, pool: ThreadPoolExecutor | None, n_blocks: int
    ):
        self.X, self.w, self.k = X, w, n_clusters
        n = X.shape[0]
        edges = np.linspace(0, n, n_blocks + 1).astype(int)
        self.blocks = [(int(edges[i]), int(edges[i + 1])) for i in range(n_blocks) if edges[i + 1] > edges[i]]
        self.pool = pool if len(self.blocks) > 1 else None
        self.rows = rows = min(_chunk_rows(n_clusters, X.itemsize), max(hi - lo for lo, hi in self.blocks))
        self._local = threading.local()  # per-thread buffers, see _buffers
        self.indptr = np.arange(2 * min(n, rows) + 1, dtype=np.int64)
        # Cluster j has the code 1 + j (k + 1): summed over the minima of a column, the quotient by
        # k + 1 is the index of the minimum and the remainder how many there are (1 unless tied).
        # Exact while the largest sum fits the float mantissa (k <= 322 in float32); argmin beyond.
        k = n_clusters
        self.codes = (1 + np.arange(k) * (k + 1)).astype(X.dtype)
        self.exact_codes = k + (k + 1) * k * (k - 1) // 2 < 2 ** (np.finfo(X.dtype).nmant + 1)
        # Whole weights (the usual case: none given) keep exact counts when moved incrementally;
        # others are counted afresh each pass, so that an emptied cluster weighs exactly 0.
        self.whole_weights = bool(np.all(w == np.floor(w))) and float(w.sum(dtype=np.float64)) < 2**52
        self.sums = np.zeros((n_clusters, X.shape[1]))
        self.counts = np.zeros(n_clusters)

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's distance and is-minimum buffers, reused by every pass (fresh pages fault)."""
        buffers = getattr(self._local, "buffers", None)
        if buffers is None:
            shape = (self.k, self.rows)
            buffers = self._local.buffers = (np.empty(shape, self.X.dtype), np.empty(shape, bool))
        return buffers

    def _labels_of_chunk(self, D: np.ndarray, is_min: np.ndarray, out: np.ndarray) -> None:
        """out[i] = first argmin of column i of D (k x m); D is overwritten.

        numpy's argmin over short rows is slow (about 3x this), so: the column minima (a fast
        vertical reduction), a 0/1 matrix of where they are reached, and its product with the codes.
        """
        if not self.exact_codes:
            np.argmin(D, axis=0, out=out)
            return
        np.equal(D, D.min(axis=0), out=is_min)
        np.copyto(D, is_min)
        code_sum = self.codes @ D
        first = np.floor(code_sum / (self.k + 1))
        code_sum -= first * (self.k + 1)  # now the number of minima in each column
        out[:] = first
        ties = np.flatnonzero(code_sum != 1)
        if ties.size:  # exact ties (duplicate centres): keep the lowest index, like argmin
            out[ties] = np.argmax(is_min[:, ties], axis=0)

    def _block(
        self,
        lo: int,
        hi: int,
        neg2c: np.ndarray,
        c_sq: np.ndarray,
        labels: np.ndarray,
        labels_old: np.ndarray | None,
        update: bool,
    ) -> tuple[np.ndarray | None, np.ndarray | None, int]:
        X, w, k = self.X, self.w, self.k
        dist, is_min = self._buffers()
        sums = np.zeros((k, X.shape[1])) if update else None
        counts = np.zeros(k) if update else None
        n_changed = 0
        for s in range(lo, hi, self.rows):
            e = min(hi, s + self.rows)
            D = dist[:, : e - s]
            np.matmul(neg2c, X[s:e].T, out=D)
            D += c_sq
            self._labels_of_chunk(D, is_min[:, : e - s], labels[s:e])
            if labels_old is None:
                if update:  # first pass: every row into its centre
                    one_hot = sp.csc_array((w[s:e], labels[s:e], self.indptr[: e - s + 1]), shape=(k, e - s))
                    sums += one_hot @ X[s:e]
                continue
            moved = np.flatnonzero(labels[s:e] != labels_old[s:e])
            n_changed += moved.size
            if update and moved.size:
                # +w x into the new centre, -w x out of the old one, for the moved rows only.
                rows = s + moved
                to_from = np.empty(2 * moved.size, dtype=np.intp)
                to_from[0::2], to_from[1::2] = labels[rows], labels_old[rows]
                signed_w = np.empty(2 * moved.size, dtype=X.dtype)
                signed_w[0::2], signed_w[1::2] = w[rows], -w[rows]
                step = sp.csc_array(
                    (signed_w, to_from, self.indptr[: 2 * moved.size + 1 : 2]), shape=(k, moved.size)
                )
                sums += step @ X[rows]
                if self.whole_weights:
                    counts += np.bincount(labels[rows], w[rows], k) - np.bincount(
                        labels_old[rows], w[rows], k
                    )
        if update and (labels_old is None or not self.whole_weights):
            counts = np.bincount(labels[lo:hi], weights=w[lo:hi], minlength=k)
        return sums, counts, n_changed

    def __call__(
        self,
        centers: np.ndarray,
        labels: np.ndarray,
        labels_old: np.ndarray | None = None,
        update: bool = True,
    ) -> int:
        """Fill ``labels`` from ``centers``; returns how many labels differ from ``labels_old``.

        With ``update``, ``self.sums`` and ``self.counts`` become the weighted sum and the weight of
        the rows of each centre: computed afresh without ``labels_old``, else moved along with the
        rows whose label changed (only those rows are read again).
        """
        c_sq = np.einsum("ij,ij->i", centers, centers)[:, None]
        args = (-2 * centers, c_sq, labels, labels_old, update)
        parts = self.map_blocks(self._block, *args)
        if update:
            fresh = labels_old is None
            self.sums = (0 if fresh else self.sums) + sum(p[0] for p in parts)
            fresh_counts = fresh or not self.whole_weights
            self.counts = (0 if fresh_counts else self.counts) + sum(p[1] for p in parts)
        return sum(p[2] for p in parts)

    def inertia(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """Exact weighted sum of squared distances of the rows to their centres."""

        def block(lo: int, hi: int) -> float:
            return _inertia(self.X[lo:hi], self.w[lo:hi], centers, labels[lo:hi])

        return sum(self.map_blocks(block))

    def map_blocks(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        """func(lo, hi, *args) for every block: the first on this thread, the others on the pool."""
        (lo, hi), rest = self.blocks[0], self.blocks[1:]
        futures = [self.pool.submit(func, a, b, *args) for a, b in rest] if rest else []
        return [func(lo, hi, *args)] + [f.result() for f in futures]


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Labels of the nearest centres, computed exactly as during fitting."""
    labels = np.empty(X.shape[0], dtype=np.intp)
    _Assigner(X, np.ones(X.shape[0], dtype=X.dtype), centers.shape[0], None, 1)(centers, labels, update=False)
    return labels


def _relocate_empty(
    X: np.ndarray,
    w: np.ndarray,
    centers: np.ndarray,
    labels: np.ndarray,
    sums: np.ndarray,
    counts: np.ndarray,
    empty: np.ndarray,
) -> None:
    """Move empty clusters onto the weighted rows farthest from their centres.

    A centre that lost all its points would otherwise stay put forever and waste a cluster. The
    moved rows change label, and ``sums``/``counts`` follow, so that all three stay consistent.
    """
    d = _assigned_sq_dist(X, centers, labels).astype(np.float64)
    d[w == 0] = -1.0  # a weightless row cannot hold a centre
    n_move = min(empty.size, int(np.count_nonzero(w)))
    far = np.argpartition(-d, n_move - 1)[:n_move]
    far = far[np.lexsort((far, -d[far]))]  # farthest first; ties by row index
    for j, i in zip(empty[:n_move], far, strict=True):
        old = labels[i]
        wx = w[i] * X[i].astype(np.float64)
        sums[old] -= wx
        counts[old] -= w[i]
        sums[j] = wx
        counts[j] = w[i]
        labels[i] = j


def _lloyd(
    X: np.ndarray,
    w: np.ndarray,
    centers: np.ndarray,
    max_iter: int,
    tol: float,
    assign: _Assigner,
    cancel: CancelToken,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One Lloyd run from ``centers``: returns centres, labels, inertia and iterations used.

    Stops when no label changes (strict convergence) or when the squared centre shift is at most
    ``tol``; in the latter case the labels are assigned once more so that they match the centres.
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.intp)
    labels_old = np.empty(n, dtype=np.intp)
    strict = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is read after the loop
        cancel.raise_if_cancelled()
        first = n_iter == 1
        n_changed = assign(centers, labels, None if first else labels_old)
        sums, counts = assign.sums, assign.counts
        empty = np.flatnonzero(counts <= 0)
        if empty.size:
            _relocate_empty(X, w, centers, labels, sums, counts, empty)
        filled = counts > 0
        new_centers = centers.copy()
        new_centers[filled] = sums[filled] / counts[filled, None]
        shift = float(((new_centers.astype(np.float64) - centers) ** 2).sum())
        centers = new_centers
        if not first and n_changed == 0:
            strict = empty.size == 0  # a relocated centre still needs its points assigned
            break
        if shift <= tol:
            break
        labels, labels_old = labels_old, labels
    if not strict:
        # Stopped on tolerance or max_iter: the centres moved after the last assignment.
        assign(centers, labels, update=False)
    return centers, labels, assign.inertia(centers, labels), n_iter
