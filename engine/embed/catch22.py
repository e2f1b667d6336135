"""catch24 in numpy: the 22 catch22 features plus mean and spread of every channel, without numba.

The definitions follow aeon's ``Catch22`` (BSD-3-Clause, aeon 1.x, ``outlier_norm=True``) and
the catch22 paper (Lubba et al. 2019, Data Mining and Knowledge Discovery 33(6)): the features
see the raw channel, except the two outlier-timing ones, which see it z-normalised. Vectors are
aeon's to float rounding, so caches written while the app used aeon's numba code stay valid.
The code is our own: each feature works on whole arrays, and what depends on the length only
(window layouts, the spline basis) is built once per length.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

N_FEATURES = 24
_INV_E = 0.36787944117144233


def catch24(series: list[np.ndarray]) -> np.ndarray:
    """24 features of each channel, channels one after another (aeon's order); NaN and inf become 0.

    ``series`` are arrays of length x channels, all with the same number of channels.
    """
    rows = [np.concatenate([channel_features(s[:, c]) for c in range(s.shape[1])]) for s in series]
    out = np.asarray(rows, dtype=np.float64).reshape(len(series), -1)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def channel_features(x: np.ndarray) -> np.ndarray:
    """aeon's catch24 of one channel (NaN where aeon gives NaN)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = len(x)
    lo, hi = x.min(), x.max()
    # a flat channel's mean is its value: a rounded sum would leave noise that the autocorrelation
    # and the spectrum read as signal (aeon's sum gives the value back there)
    mean = lo if lo == hi else np.mean(x)
    ac = _autocorrelation(x, mean)
    first_zero = _first_at_most_zero(ac)
    diffs = np.diff(x)
    spread = np.sqrt(np.mean((x - mean) ** 2))
    z = (x - mean) / spread if spread > 1e-8 else x - mean
    power, freqs = _power_spectrum(x, mean)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.array(
            [
                _histogram_mode(x, 5, lo, hi),
                _histogram_mode(x, 10, lo, hi),
                _first_1_over_e(ac, n),
                _first_minimum(ac, n),
                _histogram_ami(x, lo, hi),
                np.mean(diffs**3),
                np.mean(np.abs(diffs) * 1000 > 40),
                _longest_stretch(x[:-1] - mean > 0, True),
                _transition_matrix(x[::first_zero]),
                _periodicity_wang(x),
                _embedding_distance(x, first_zero),
                _gaussian_ami_first_minimum(x),
                _tau_ratio(diffs, first_zero),
                _outlier_timing(z),
                _outlier_timing(-z),
                _welch_area(power, freqs),
                _longest_stretch(diffs >= 0, False),
                _motif_entropy(x),
                _fluctuation(np.cumsum(x), n, dfa=False),
                _fluctuation(np.cumsum(x[: 2 * (n // 2) : 2]), n, dfa=True),
                _welch_centroid(power, freqs),
                _mean3_error(x),
                mean,
                np.std(x),
            ]
        )


# ---- histograms and stretches -------------------------------------------------------------------


def _histogram_mode(x: np.ndarray, bins: int, lo: float, hi: float) -> float:
    """Centre of the fullest of ``bins`` equal bins (ties: the mean of their centres)."""
    width = (hi - lo) / bins
    if width == 0:
        return np.nan
    counts = np.bincount(np.minimum(((x - lo) / width).astype(np.int64), bins - 1), minlength=bins)
    edges = np.arange(bins + 1) * width + lo
    centres = (edges[:-1] + edges[1:]) / 2
    top = centres[counts == counts.max()]
    return float(sum(top.tolist()) / len(top))


def _histogram_ami(x: np.ndarray, lo: float, hi: float) -> float:
    """Mutual information of x[t] and x[t+2] on a 5 x 5 grid widened by 0.1 each side."""
    start = lo - 0.1
    width = (hi + 0.1 - start) / 5
    # a value far above the rest can round onto the grid's upper edge, past which aeon's numba
    # code reads outside its grid (its crash on such series): it belongs to the top cell
    cells = np.minimum(((x - start) / width).astype(np.int64), 4)
    joint = np.bincount(cells[:-2] * 5 + cells[2:], minlength=25).reshape(5, 5) / (len(x) - 2)
    rows, cols = joint.sum(axis=1), joint.sum(axis=0)
    i, j = np.nonzero(joint)
    p = joint[i, j]
    return float(np.sum(p * np.log(p / rows[i] / cols[j])))


def _longest_stretch(flags: np.ndarray, value: bool) -> int:
    """aeon's run length: the largest gap between successive breaks of ``value`` (the end counts)."""
    if len(flags) == 0:
        return 0
    breaks = np.flatnonzero(flags != value)
    if len(breaks) == 0 or breaks[-1] != len(flags) - 1:
        breaks = np.append(breaks, len(flags) - 1)
    return int(np.diff(breaks, prepend=0).max())


def _coarse_grain(y: np.ndarray) -> np.ndarray:
    """Labels 0, 1, 2 for the lower, middle and upper third of the values (quantile bounds)."""
    ordered = np.sort(y)
    upper = [_quantile(ordered, q) for q in (1 / 3, 1 / 3 + 1 / 3)]
    return (y > upper[0]).astype(np.int64) + (y > upper[1])


def _quantile(ordered: np.ndarray, q: float) -> float:
    n = len(ordered)
    if q < 0.5 / n:
        return float(ordered[0])
    if q > 1 - 0.5 / n:
        return float(ordered[-1])
    at = n * q - 0.5
    left = int(np.floor(at))
    return float(ordered[left] + (at - left) * (ordered[left + 1] - ordered[left]))


def _transition_matrix(sampled: np.ndarray) -> float:
    """Summed column variances of the 3-symbol transition matrix of every first_zero-th value."""
    if len(sampled) < 2:
        return np.nan
    labels = _coarse_grain(sampled)
    counts = np.bincount(labels[:-1] * 3 + labels[1:], minlength=9).reshape(3, 3)
    return float(np.var(counts / (len(sampled) - 1), axis=0, ddof=1).sum())


def _motif_entropy(x: np.ndarray) -> float:
    """Entropy of successive 3-symbol pairs."""
    labels = _coarse_grain(x)
    p = np.bincount(labels[:-1] * 3 + labels[1:], minlength=9) / (len(x) - 1.0)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


# ---- autocorrelation ----------------------------------------------------------------------------


def _autocorrelation(x: np.ndarray, mean: float) -> np.ndarray:
    """Autocorrelation over aeon's zero-padded FFT length (zeros for a flat series)."""
    n = len(x)
    k = int(np.log2(n))
    size = 4 * n if 2**k == n else 2 ** (k + 2) * 2
    spectrum = np.fft.rfft(x - mean, n=size)
    ac = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=size)
    return ac / ac[0] if ac[0] != 0 else np.zeros(size)


def _first_at_most_zero(ac: np.ndarray) -> int:
    hits = np.flatnonzero(ac[1:] <= 0)
    return int(hits[0]) + 1 if len(hits) else len(ac)


def _first_1_over_e(ac: np.ndarray, n: int) -> float:
    below = np.flatnonzero(ac[1:-1] < _INV_E)
    if not len(below):
        return float(len(ac))
    i = int(below[0])
    slope = ac[i + 1] - ac[i]
    return float(n) if slope == 0 else i + (_INV_E - ac[i]) / slope


def _first_minimum(ac: np.ndarray, n: int) -> int:
    inner = ac[1:-1]
    hits = np.flatnonzero((inner < ac[:-2]) & (inner < ac[2:]))
    return int(hits[0]) + 1 if len(hits) else n


def _gaussian_ami_first_minimum(x: np.ndarray) -> float:
    """First minimum over lags 1..40 of the Gaussian mutual information -log(1 - r^2)/2."""
    n = len(x)
    tau = int(min(40, np.ceil(n / 2)))
    lags = np.arange(1, tau + 1)
    size = n - lags
    inside = np.arange(n)[None, :] < size[:, None]
    sums = np.cumsum(x)
    head_mean = sums[size - 1] / size
    tail_mean = (sums[-1] - sums[lags - 1]) / size
    shifted = np.lib.stride_tricks.sliding_window_view(np.concatenate([x, np.zeros(tau)]), n)[lags]
    head = np.where(inside, x - head_mean[:, None], 0.0)
    tail = np.where(inside, shifted - tail_mean[:, None], 0.0)
    # aeon gives NaN where a lagged copy is flat (a zero divisor); asked directly, as a rounded
    # mean could leave a flat copy a little noise
    changes = np.flatnonzero(x != x[0])
    if not len(changes) or n - tau <= changes[0] or tau > np.flatnonzero(x != x[-1])[-1]:
        return np.nan
    divisor = np.sqrt(np.einsum("ij,ij->i", head, head) * np.einsum("ij,ij->i", tail, tail))
    ami = -0.5 * np.log(1 - (np.einsum("ij,ij->i", head, tail) / divisor) ** 2)
    ami = -0.5 * np.log(1 - ((head * tail).sum(axis=1) / divisor) ** 2)
    inner = ami[1:-1]
    hits = np.flatnonzero((inner < ami[:-2]) & (inner < ami[2:]))
    return float(hits[0] + 1) if len(hits) else float(tau)


def _tau_ratio(diffs: np.ndarray, first_zero: int) -> float:
    """First zero crossing of the differenced series' autocorrelation over the series' own."""
    centred = diffs - np.mean(diffs)
    m = len(centred)
    if m > 1 and np.dot(centred[:-1], centred[1:]) <= 0:  # nearly always: differencing anticorrelates
        return 1 / first_zero
    covariances = np.correlate(centred, centred, "full")[m:]
    hits = np.flatnonzero(covariances <= 0)
    if len(hits):
        return (int(hits[0]) + 1) / first_zero
    return _first_at_most_zero(_autocorrelation(diffs, np.mean(diffs))) / first_zero


def _embedding_distance(x: np.ndarray, first_zero: int) -> float:
    """Mean gap between the histogram of 2-d embedding step lengths and an exponential fit."""
    n = len(x)
    tau = first_zero if first_zero <= n / 10 else int(n / 10)
    steps = np.diff(x)
    d = np.sqrt(steps[: n - tau - 1] ** 2 + steps[tau : n - 1] ** 2)
    if np.std(d) < 0.001:
        return 0.0
    lo, span = d.min(), d.max() - d.min()
    bins = int(np.ceil(span / (3.5 * np.std(d, ddof=1) / len(d) ** 0.3333333333333333)))
    if bins == 0:
        return 0.0
    width = span / bins
    cells = np.clip(((d - lo) / width).astype(np.int64), 0, bins - 1)
    share = np.bincount(cells, minlength=bins) / len(d)
    edges = np.arange(bins + 1) * width + lo
    d_mean = np.mean(d)
    fit = np.maximum(np.exp(-(edges[:-1] + edges[1:]) * 0.5 / d_mean) / d_mean, 0)
    return float(np.mean(np.abs(share - fit)))


def _mean3_error(x: np.ndarray) -> float:
    """Spread of the errors of forecasting each value by the mean of the three before it."""
    if len(x) < 6:
        return 0.0
    errors = x[3:] - (x[:-3] + x[1:-2] + x[2:-1]) / 3
    return float(np.std(errors, ddof=1))


# ---- outliers -----------------------------------------------------------------------------------


def _outlier_timing(z: np.ndarray) -> float:
    """Median timing of the values above thresholds 0, 0.01, 0.02... (aeon's trimmed median)."""
    n = len(z)
    top = max(float(z.max()), 0.0)
    if top < 0.01:
        return 0.0
    count_thresholds = int(top / 0.01) + 1
    positions = np.flatnonzero(z >= 0)
    values = z[positions]
    total = len(positions)
    # the highest threshold each value reaches, by aeon's comparisons (k * 0.01 <= value)
    level = (values / 0.01).astype(np.int64)
    level -= level * 0.01 > values
    level += (level + 1) * 0.01 <= values
    level = np.minimum(level, count_thresholds - 1)
    # values reaching threshold i are those with level >= i: work per distinct level, high to low
    groups, inverse, sizes = np.unique(level, return_inverse=True, return_counts=True)
    groups, sizes, group_of = groups[::-1], sizes[::-1], len(groups) - 1 - inverse
    count = np.cumsum(sizes)
    by_level = positions[np.argsort(group_of, kind="stable")]
    starts = count - sizes
    first = np.minimum.accumulate(np.minimum.reduceat(by_level, starts)) + 1
    last = np.maximum.accumulate(np.maximum.reduceat(by_level, starts)) + 1
    lower = positions[_kth_member(group_of, (count + 1) // 2)]
    upper = positions[_kth_member(group_of, count // 2 + 1)]
    median_pos = (lower + upper + 2) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = np.where(count > 1, (last - first) / (count - 1), 9999999999.0)
    # threshold i belongs to the lowest distinct level at or above it; one above every level
    # (a rounding corner of the top value) has no members and keeps aeon's zeros
    thresholds = np.arange(count_thresholds)
    reached = thresholds <= groups[0]
    owner = len(groups) - 1 - np.searchsorted(groups[::-1], np.minimum(thresholds, groups[0]))
    dists = np.where(reached, (count[owner] - 1) * 100 / total, 0.0)
    medians = np.where(reached, median_pos[owner] / (n / 2) - 1, 0.0)
    above = np.flatnonzero(dists > 2)
    single = np.flatnonzero(reached & (gaps[owner] == 9999999999))
    keep = max(
        int(above[-1]) if len(above) else 0,
        count_thresholds - 1 - int(single[-1]) if len(single) else count_thresholds - 1,
    )
    return float(np.median(medians[: keep + 1]))


def _kth_member(group_of: np.ndarray, k: np.ndarray) -> np.ndarray:
    """For nested groups (group g holds the items with ``group_of <= g``), the index of each
    group's k-th item in item order.

    Counts per block of 16 items find the block, a cumulative count inside it the item: about
    groups x items / 8 steps instead of groups x items.
    """
    block = 16
    n_groups, n_items = len(k), len(group_of)
    n_blocks = -(-n_items // block)
    padded = np.full(n_blocks * block, n_groups)  # padding belongs to no group
    padded[:n_items] = group_of
    per_block = np.bincount(group_of * n_blocks + np.arange(n_items) // block, minlength=n_groups * n_blocks)
    upto = np.cumsum(np.cumsum(per_block.reshape(n_groups, n_blocks), axis=0), axis=1)
    found = (upto < k[:, None]).sum(axis=1)
    rows = np.arange(n_groups)
    left = k - np.where(found > 0, upto[rows, found - 1], 0)
    inside = padded.reshape(n_blocks, block)[found] <= rows[:, None]
    return found * block + (np.cumsum(inside, axis=1) < left[:, None]).sum(axis=1)


# ---- spectrum -----------------------------------------------------------------------------------


def _power_spectrum(x: np.ndarray, mean: float) -> tuple[np.ndarray, np.ndarray]:
    """aeon's one-sided periodogram (rectangular window) and its angular frequencies."""
    n = len(x)
    size = int(np.power(2, np.ceil(np.log(n) / np.log(2))))
    spectrum = np.fft.fft(x - mean, n=size)[: size // 2 + 1]
    power = (spectrum.real**2 + spectrum.imag**2) / n / (2 * np.pi)
    power[1:-1] *= 2
    return power, np.arange(len(power)) * (1.0 / size) * np.pi * 2


def _welch_area(power: np.ndarray, freqs: np.ndarray) -> float:
    return float(np.sum(power[: len(power) // 5]) * (freqs[1] - freqs[0]))


def _welch_centroid(power: np.ndarray, freqs: np.ndarray) -> float:
    cumulative = np.cumsum(power)
    hits = np.flatnonzero(cumulative[1:] > cumulative[-1] / 2)
    return float(freqs[hits[0] + 1]) if len(hits) else np.nan


# ---- periodicity --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _spline_fit(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The least-squares fit by cubic splines on 0..n-1 with one knot at n/2 - 1 (twice
    differentiable there, aeon's two-piece spline): a basis of that space and its pseudo-inverse."""
    t = np.arange(n) / max(n - 1, 1)
    knot = (n / 2 - 1) / max(n - 1, 1)
    basis = np.column_stack([np.ones(n), t, t**2, t**3, np.maximum(t - knot, 0) ** 3])
    return basis, np.linalg.pinv(basis)


def _periodicity_wang(x: np.ndarray) -> int:
    """First autocorrelation peak (after a spline detrend) at least 0.01 above its trough."""
    n = len(x)
    basis, inverse = _spline_fit(n)
    residual = x - basis @ (inverse @ x)
    acmax = int(np.ceil(n / 3.0))
    sums = np.correlate(np.concatenate([residual, np.zeros(acmax)]), residual, "valid")
    acf = sums[1:] / (n - np.arange(1, acmax + 1))
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
        size = int(np.round(np.exp(lo + step * i) + 0.000000000001))
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
        (sum_x, sum_x2, denom, np.where(denom == 0, 1.0, denom)),
        lines,
    )


def _fluctuation(cs: np.ndarray, n: int, dfa: bool) -> float:
    """Where the log-log fluctuation curve is best split into two lines, as a share of its points.

    ``dfa``: detrended fluctuation (residual sum of squares of a line per window); otherwise the
    rescaled range (range of the residuals from that line).
    """
    w = _windows(n, len(cs))
    if w is None:
        return np.nan
    y = np.append(cs, 0.0)[w.source]
    sum_x, sum_x2, denom, safe = w.fits
    sum_y = np.add.reduceat(y, w.starts)
    sum_xy = np.add.reduceat(w.position * y, w.starts)
    slope = np.where(denom == 0, 0.0, (w.window_size * sum_xy - sum_x * sum_y) / safe)
    if dfa:
        intercept = np.where(denom == 0, 0.0, (sum_y * sum_x2 - sum_x * sum_xy) / safe)
        sum_y2 = np.add.reduceat(y * y, w.starts)
        per_window = np.maximum(sum_y2 - slope * sum_xy - intercept * sum_y, 0.0)
        f = np.sqrt(np.bincount(w.window_owner, per_window) / (w.counts * w.sizes))
    else:
        # the intercept shifts every residual of a window alike, so the range does without it
        residual = y - slope[w.point_window] * w.position
        ranges = np.maximum.reduceat(residual, w.starts) - np.minimum.reduceat(residual, w.starts)
        f = np.sqrt(np.bincount(w.window_owner, ranges**2) / w.counts)
    log_a, log_f = np.log(w.sizes), np.log(f)
    errors = _residual_norm(w.lines, log_a, log_f).reshape(2, -1).sum(axis=0)
    return (int(np.argmin(errors)) + 6) / len(w.sizes)


def _residual_norm(lines: _Lines, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row of the mask: the norm of the residuals of the least-squares line through its points."""
    sy, sxy = lines.mask @ y, lines.mask @ (x * y)
    count, sx, sx2 = lines.count, lines.sum_x, lines.sum_x2
    denom = count * sx2 - sx * sx
    safe = np.where(denom == 0, 1.0, denom)
    slope = np.where(denom == 0, 0.0, (count * sxy - sx * sy) / safe)
    intercept = np.where(denom == 0, 0.0, (sy * sx2 - sx * sxy) / safe)
    residual = np.where(lines.mask, x * slope[:, None] + intercept[:, None] - y, 0.0)
    return np.sqrt((residual**2).sum(axis=1))
