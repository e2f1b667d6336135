"""The catch22 features that fit curves, for :mod:`engine.embed.catch22`: the spline detrend of
PD_PeriodicityWang and the two fluctuation analyses (SC_FluctAnal rescaled range and DFA).

Definitions as in aeon's ``Catch22`` (BSD-3-Clause); what depends on the length only (the spline
basis, the window layout) is built once per length, and each function works on rows of one length.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

_CACHE_VALUES = 1 << 15
"""Values of the window layout handled at once: more, and the arrays leave the processor's cache."""
# ---- periodicity --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _spline_fit(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The least-squares fit by cubic splines on 0..n-1 with one knot at n/2 - 1 (twice
    differentiable there, aeon's two-piece spline): a basis of that space and its pseudo-inverse."""
    t = np.arange(n) / max(n - 1, 1)
    knot = (n / 2 - 1) / max(n - 1, 1)
    basis = np.column_stack([np.ones(n), t, t**2, t**3, np.maximum(t - knot, 0) ** 3])
    return basis, np.linalg.pinv(basis)


def periodicity_wang(X: np.ndarray) -> np.ndarray:
    """Per row: the first autocorrelation peak, after a spline detrend, 0.01 above its trough."""
    n = X.shape[1]
    basis, inverse = _spline_fit(n)
    residuals = X - (X @ inverse.T) @ basis.T
    acmax = int(np.ceil(n / 3.0))
    pairs = n - np.arange(1, acmax + 1)
    return np.array([_first_clear_peak(_lagged_means(r, acmax, pairs)) for r in residuals], dtype=np.float64)


def _lagged_means(residual: np.ndarray, acmax: int, pairs: np.ndarray) -> np.ndarray:
    sums = np.correlate(np.concatenate([residual, np.zeros(acmax)]), residual, "valid")
    return sums[1:] / pairs


def _first_clear_peak(acf: np.ndarray) -> int:
    slope_in, slope_out = np.diff(acf)[:-1], np.diff(acf)[1:]
    troughs = np.flatnonzero((slope_in < 0) & (slope_out > 0)) + 1
    peaks = np.flatnonzero((slope_in > 0) & (slope_out < 0)) + 1
    for peak in peaks:
        before = np.searchsorted(troughs, peak) - 1
        if before < 0 or acf[peak] - acf[troughs[before]] < 0.01 or acf[peak] < 0:
            continue
        return int(peak)
    return 0


# ---- fluctuation analysis -----------------------------------------------------------------------


class _Lines(NamedTuple):
    """Least-squares lines through chosen points of a fixed x: the masks and the x sums."""

    mask: np.ndarray
    count: np.ndarray
    sum_x: np.ndarray
    sum_x2: np.ndarray


class _Windows(NamedTuple):
    """What aeon's fluctuation analysis of a series of one length needs besides the values."""

    sizes: np.ndarray  # the window sizes (aeon's tau), 12 or more
    source: np.ndarray  # for each point of the flat layout, its index in the summed series
    starts: np.ndarray  # where each window begins in the flat layout
    window_size: np.ndarray  # per window, as floats
    window_owner: np.ndarray  # per window, the index of its size
    point_window: np.ndarray  # per point, its window
    position: np.ndarray  # per point, 1..size within its window
    counts: np.ndarray  # windows per size
    first_window: np.ndarray  # per size, its first window
    fits: tuple[np.ndarray, ...]  # per window: sum of x, of x squared, the denominator, it or 1
    lines: _Lines  # the left and the right line of each split of the log-log curve


@lru_cache(maxsize=64)
def _windows(n: int, length: int) -> _Windows | None:
    """aeon's window sizes for a series of n points and the flat layout of all windows of each.

    ``length`` is the summed series' (n, or n // 2 for the DFA's every other point). None below
    12 sizes, where aeon gives NaN.
    """
    lo = 1.6094379124341003
    step = (np.log(n / 2) - lo) / 49
    sizes = [5]
    for i in range(1, 50):
        size = round(float(np.exp(lo + step * i)) + 0.000000000001)  # half to even, as np.round
        if size != sizes[-1]:
            sizes.append(size)
    if len(sizes) < 12:
        return None
    source, counts = [], []
    for size in sizes:
        windows = length // size
        if windows == 0:  # aeon's one short window: the first size - 1 points and a zero
            source.append(np.append(np.arange(size - 1), length))
        else:
            source.append(np.arange(windows * size))
        counts.append(max(windows, 1))
    size_arr = np.asarray(sizes)
    window_owner = np.repeat(np.arange(len(sizes)), counts)
    tau = size_arr[window_owner].astype(np.float64)
    starts = np.concatenate([[0], np.cumsum(tau.astype(np.int64))[:-1]])
    point_window = np.repeat(np.arange(len(tau)), tau.astype(np.int64))
    position = (np.arange(len(point_window)) - starts[point_window] + 1).astype(np.float64)
    sum_x = tau * (tau + 1) / 2.0
    sum_x2 = tau * (tau + 1) * (2 * tau + 1) / 6.0
    denom = tau * sum_x2 - sum_x * sum_x
    log_sizes = np.log(size_arr)
    m = len(sizes)
    idx = np.arange(m)[None, :]
    splits = np.arange(6, m - 5)[:, None]
    mask = np.concatenate([idx < splits, idx >= splits - 1])  # left lines, then right lines
    lines = _Lines(mask, mask.sum(axis=1), mask @ log_sizes, mask @ log_sizes**2)
    return _Windows(
        size_arr,
        np.concatenate(source),
        starts,
        tau,
        window_owner,
        point_window,
        position,
        np.asarray(counts),
        np.concatenate([[0], np.cumsum(counts)[:-1]]),
        (sum_x, sum_x2, denom, np.where(denom == 0, 1.0, denom)),
        lines,
    )


def fluctuation(cs: np.ndarray, n: int, dfa: bool) -> np.ndarray:
    """Per row of summed series: where the log-log fluctuation curve is best split into two lines,
    as a share of its points (NaN below 12 window sizes, as aeon).

    ``n`` is the series' length. ``dfa``: detrended fluctuation (residual sum of squares of a line
    per window); otherwise the rescaled range (range of the residuals from that line).
    """
    w = _windows(n, cs.shape[1])
    if w is None:
        return np.full(len(cs), np.nan)
    step = max(1, _CACHE_VALUES // len(w.source))
    if len(cs) > step:
        return np.concatenate([fluctuation(cs[i : i + step], n, dfa) for i in range(0, len(cs), step)])
    # points down the first axis and series across: numpy reduces each window over all series at once
    y = np.concatenate([cs.T, np.zeros((1, len(cs)))])[w.source]
    sum_x, sum_x2, denom, safe = (a[:, None] for a in w.fits)
    position, size = w.position[:, None], w.window_size[:, None]
    sum_y = np.add.reduceat(y, w.starts)
    sum_xy = np.add.reduceat(position * y, w.starts)
    slope = np.where(denom == 0, 0.0, (size * sum_xy - sum_x * sum_y) / safe)
    if dfa:
        intercept = np.where(denom == 0, 0.0, (sum_y * sum_x2 - sum_x * sum_xy) / safe)
        sum_y2 = np.add.reduceat(y * y, w.starts)
        per_window = np.maximum(sum_y2 - slope * sum_xy - intercept * sum_y, 0.0)
        f = np.sqrt(np.add.reduceat(per_window, w.first_window) / (w.counts * w.sizes)[:, None])
    else:
        # the intercept shifts every residual of a window alike, so the range does without it
        residual = y - slope[w.point_window] * position
        ranges = np.maximum.reduceat(residual, w.starts) - np.minimum.reduceat(residual, w.starts)
        f = np.sqrt(np.add.reduceat(ranges**2, w.first_window) / w.counts[:, None])
    errors = _residual_norm(w.lines, np.log(w.sizes), np.log(f.T))
    errors = errors.reshape(len(cs), 2, -1).sum(axis=1)
    return (np.argmin(errors, axis=1) + 6) / len(w.sizes)


def _residual_norm(lines: _Lines, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row of y and row of the mask: the norm of the residuals of the least-squares line
    through those points."""
    sy, sxy = y @ lines.mask.T, (x * y) @ lines.mask.T
    count, sx, sx2 = lines.count, lines.sum_x, lines.sum_x2
    denom = count * sx2 - sx * sx
    safe = np.where(denom == 0, 1.0, denom)
    slope = np.where(denom == 0, 0.0, (count * sxy - sx * sy) / safe)
    intercept = np.where(denom == 0, 0.0, (sy * sx2 - sx * sxy) / safe)
    fitted = x * slope[:, :, None] + intercept[:, :, None]
    residual = np.where(lines.mask, fitted - y[:, None, :], 0.0)
    return np.sqrt((residual**2).sum(axis=2))
