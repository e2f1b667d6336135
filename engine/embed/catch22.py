"""catch24 in numpy: the 22 catch22 features plus mean and spread of every channel, without numba.

The definitions follow aeon's ``Catch22`` (BSD-3-Clause, aeon 1.x, ``outlier_norm=True``) and
the catch22 paper (Lubba et al. 2019, Data Mining and Knowledge Discovery 33(6)): the features
see the raw channel, except the two outlier-timing ones, which see it z-normalised. Vectors are
aeon's to float rounding, so caches written while the app used aeon's numba code stay valid.
The code is our own: channels of one length are stacked and each feature works on the stack
(the curve fits are in :mod:`engine.embed.catch22_fits`); the few features whose work differs
per channel (lags, thresholds) loop over its rows.
"""

from __future__ import annotations

import numpy as np

from engine.embed.catch22_fits import fluctuation, periodicity_wang

N_FEATURES = 24
_INV_E = 0.36787944117144233
_CHUNK = 1 << 16
"""Values per stack of channels: bounds the memory of the padded autocorrelations (8 per value)."""


def catch24(series: list[np.ndarray]) -> np.ndarray:
    """24 features of each channel, channels one after another (aeon's order); NaN and inf become 0.

    ``series`` are arrays of length x channels, all with the same number of channels.
    """
    channels = series[0].shape[1] if series else 1
    out = np.zeros((len(series), channels, N_FEATURES))
    by_length: dict[int, list[int]] = {}
    for i, s in enumerate(series):
        by_length.setdefault(len(s), []).append(i)
    for n, rows in by_length.items():
        step = max(1, _CHUNK // (n * channels))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            stack = np.stack([np.asarray(series[i], dtype=np.float64).T for i in chunk]).reshape(-1, n)
            out[chunk] = features(stack).reshape(len(chunk), channels, N_FEATURES)
    return np.nan_to_num(out.reshape(len(series), -1), nan=0.0, posinf=0.0, neginf=0.0)


def features(X: np.ndarray) -> np.ndarray:
    """aeon's catch24 of each row of X (rows of one length), NaN where aeon gives NaN."""
    rows, n = X.shape
    lo, hi = X.min(axis=1), X.max(axis=1)
    # a flat channel's mean is its value: a rounded sum would leave noise that the autocorrelation
    # and the spectrum read as signal (aeon's sum gives the value back there)
    mean = np.where(lo == hi, lo, X.mean(axis=1))
    centred = X - mean[:, None]
    diffs = np.diff(X, axis=1)
    spread = np.sqrt(np.mean(centred**2, axis=1))
    z = np.where(spread[:, None] > 1e-8, centred / np.where(spread > 1e-8, spread, 1.0)[:, None], centred)
    ac = _autocorrelations(centred)
    first_zero = _first(ac[:, 1:] <= 0, ac.shape[1] - 1) + 1
    out = np.empty((rows, N_FEATURES))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out[:, 0] = _histogram_mode(X, 5, lo, hi)
        out[:, 1] = _histogram_mode(X, 10, lo, hi)
        out[:, 2] = _first_1_over_e(ac, n)
        out[:, 3] = _first_minimum(ac, n)
        out[:, 4] = _histogram_ami(X, lo, hi)
        out[:, 5] = np.mean(diffs**3, axis=1)
        out[:, 6] = np.mean(np.abs(diffs) * 1000 > 40, axis=1)
        out[:, 7] = _longest_stretch(centred[:, :-1] > 0, True)
        out[:, 9] = periodicity_wang(X)
        out[:, 12] = _tau_ratio(diffs, first_zero)
        out[:, 15], out[:, 20] = _welch(centred)
        out[:, 16] = _longest_stretch(diffs >= 0, False)
        out[:, 17] = _motif_entropy(X)
        out[:, 18] = fluctuation(np.cumsum(X, axis=1), n, dfa=False)
        out[:, 19] = fluctuation(np.cumsum(X[:, : 2 * (n // 2) : 2], axis=1), n, dfa=True)
        out[:, 21] = _mean3_error(X)
        out[:, 22] = mean
        out[:, 23] = X.std(axis=1)
        for r in range(rows):
            x, lag = X[r], int(first_zero[r])
            out[r, 8] = _transition_matrix(x[::lag])
            out[r, 10] = _embedding_distance(x, lag)
            out[r, 11] = _gaussian_ami_first_minimum(x)
            out[r, 13] = _outlier_timing(z[r])
            out[r, 14] = _outlier_timing(-z[r])
    return out


def _first(mask: np.ndarray, default: int) -> np.ndarray:
    """Per row, the index of the first True, or ``default`` where there is none."""
    at = mask.argmax(axis=1)
    return np.where(mask[np.arange(len(mask)), at], at, default)


# ---- histograms, stretches, symbols -------------------------------------------------------------


def _histogram_mode(X: np.ndarray, bins: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Centre of the fullest of ``bins`` equal bins (ties: the mean of their centres)."""
    width = (hi - lo) / bins
    safe = np.where(width == 0, 1.0, width)
    cells = np.minimum(((X - lo[:, None]) / safe[:, None]).astype(np.int64), bins - 1)
    counts = _row_bincount(cells, bins)
    edges = np.arange(bins + 1) * width[:, None] + lo[:, None]
    centres = (edges[:, :-1] + edges[:, 1:]) / 2
    top = counts == counts.max(axis=1, keepdims=True)
    return np.where(width == 0, np.nan, np.where(top, centres, 0.0).sum(axis=1) / top.sum(axis=1))


def _row_bincount(codes: np.ndarray, size: int) -> np.ndarray:
    """Counts of 0..size-1 in each row of ``codes``."""
    offsets = np.arange(len(codes))[:, None] * size
    return np.bincount((codes + offsets).ravel(), minlength=len(codes) * size).reshape(len(codes), size)


def _histogram_ami(X: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mutual information of x[t] and x[t+2] on a 5 x 5 grid widened by 0.1 each side."""
    start = lo - 0.1
    width = (hi + 0.1 - start) / 5
    # a value far above the rest can round onto the grid's upper edge, past which aeon's numba
    # code reads outside its grid (its crash on such series): it belongs to the top cell
    cells = np.minimum(((X - start[:, None]) / width[:, None]).astype(np.int64), 4)
    joint = _row_bincount(cells[:, :-2] * 5 + cells[:, 2:], 25).reshape(-1, 5, 5) / (X.shape[1] - 2)
    ratio = joint / joint.sum(axis=2)[:, :, None] / joint.sum(axis=1)[:, None, :]
    return np.where(joint > 0, joint * np.log(np.where(joint > 0, ratio, 1.0)), 0.0).sum(axis=(1, 2))


def _longest_stretch(flags: np.ndarray, value: bool) -> np.ndarray:
    """aeon's run length: the largest gap between successive breaks of ``value`` (the end counts)."""
    breaks = flags != value
    breaks[:, -1] = True
    at = np.arange(flags.shape[1])
    latest = np.maximum.accumulate(np.where(breaks, at, 0), axis=1)
    before = np.concatenate([np.zeros((len(flags), 1), dtype=latest.dtype), latest[:, :-1]], axis=1)
    return np.where(breaks, at - before, 0).max(axis=1)


def _coarse_grain(rows: np.ndarray) -> np.ndarray:
    """Labels 0, 1, 2 for the lower, middle and upper third of each row (quantile bounds)."""
    ordered = np.sort(rows, axis=1)
    low, high = (_quantile(ordered, q)[:, None] for q in (1 / 3, 1 / 3 + 1 / 3))
    return (rows > low).astype(np.int64) + (rows > high)


def _quantile(ordered: np.ndarray, q: float) -> np.ndarray:
    """aeon's quantile (linear between the points at (i + 0.5) / n) of each sorted row."""
    n = ordered.shape[1]
    if q < 0.5 / n:
        return ordered[:, 0]
    if q > 1 - 0.5 / n:
        return ordered[:, -1]
    at = n * q - 0.5
    left = int(np.floor(at))
    return ordered[:, left] + (at - left) * (ordered[:, left + 1] - ordered[:, left])


def _transition_matrix(sampled: np.ndarray) -> float:
    """Summed column variances of the 3-symbol transition matrix of every first_zero-th value."""
    if len(sampled) < 2:
        return np.nan
    labels = _coarse_grain(sampled[None, :])[0]
    counts = np.bincount(labels[:-1] * 3 + labels[1:], minlength=9).reshape(3, 3)
    return float(np.var(counts / (len(sampled) - 1), axis=0, ddof=1).sum())


def _motif_entropy(X: np.ndarray) -> np.ndarray:
    """Entropy of successive 3-symbol pairs."""
    labels = _coarse_grain(X)
    p = _row_bincount(labels[:, :-1] * 3 + labels[:, 1:], 9) / (X.shape[1] - 1.0)
    return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)


# ---- autocorrelation ----------------------------------------------------------------------------


def _autocorrelations(centred: np.ndarray) -> np.ndarray:
    """Autocorrelation of each centred row over aeon's zero-padded FFT length (zeros when flat)."""
    n = centred.shape[1]
    k = int(np.log2(n))
    size = 4 * n if 2**k == n else 2 ** (k + 2) * 2
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    ac = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=size, axis=1)
    lag0 = ac[:, :1]
    return np.where(lag0 != 0, ac / np.where(lag0 != 0, lag0, 1.0), 0.0)


def _first_1_over_e(ac: np.ndarray, n: int) -> np.ndarray:
    below = ac[:, 1:-1] < _INV_E
    i = below.argmax(axis=1)
    rows = np.arange(len(ac))
    slope = ac[rows, i + 1] - ac[rows, i]
    crossing = np.where(slope == 0, float(n), i + (_INV_E - ac[rows, i]) / np.where(slope == 0, 1.0, slope))
    return np.where(below.any(axis=1), crossing, float(ac.shape[1]))


def _first_minimum(ac: np.ndarray, n: int) -> np.ndarray:
    inner = ac[:, 1:-1]
    return _first((inner < ac[:, :-2]) & (inner < ac[:, 2:]), n - 1) + 1


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
    inner = ami[1:-1]
    hits = np.flatnonzero((inner < ami[:-2]) & (inner < ami[2:]))
    return float(hits[0] + 1) if len(hits) else float(tau)


def _tau_ratio(diffs: np.ndarray, first_zero: np.ndarray) -> np.ndarray:
    """First zero crossing of the differenced series' autocorrelation over the series' own."""
    centred = diffs - diffs.mean(axis=1, keepdims=True)
    lag1 = np.einsum("ij,ij->i", centred[:, :-1], centred[:, 1:])
    out = 1 / first_zero  # nearly always: differencing anticorrelates neighbours
    for r in np.flatnonzero(lag1 > 0):
        covariances = np.correlate(centred[r], centred[r], "full")[diffs.shape[1] :]
        hits = np.flatnonzero(covariances <= 0)
        if len(hits):
            out[r] = (hits[0] + 1) / first_zero[r]
        else:
            ac = _autocorrelations(centred[r][None, :])[0]
            out[r] = (_first(ac[None, 1:] <= 0, len(ac) - 1)[0] + 1) / first_zero[r]
    return out


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


def _mean3_error(X: np.ndarray) -> np.ndarray:
    """Spread of the errors of forecasting each value by the mean of the three before it."""
    if X.shape[1] < 6:
        return np.zeros(len(X))
    errors = X[:, 3:] - (X[:, :-3] + X[:, 1:-2] + X[:, 2:-1]) / 3
    return errors.std(axis=1, ddof=1)


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


def _welch(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """aeon's rectangular-window periodogram: power of the lowest fifth of frequencies, centroid."""
    n = centred.shape[1]
    size = int(np.power(2, np.ceil(np.log(n) / np.log(2))))
    spectrum = np.fft.fft(centred, n=size, axis=1)[:, : size // 2 + 1]
    power = (spectrum.real**2 + spectrum.imag**2) / n / (2 * np.pi)
    power[:, 1:-1] *= 2
    freqs = np.arange(power.shape[1]) * (1.0 / size) * np.pi * 2
    area = power[:, : power.shape[1] // 5].sum(axis=1) * (freqs[1] - freqs[0])
    cumulative = np.cumsum(power, axis=1)
    past_half = cumulative[:, 1:] > cumulative[:, -1:] / 2
    centroid = np.where(past_half.any(axis=1), freqs[past_half.argmax(axis=1) + 1], np.nan)
    return area, centroid
