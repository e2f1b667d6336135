"""MiniRocket (Dempster, Schmidt and Webb, KDD 2021) in plain numpy: no numba, no compile wait.

Each of the 84 fixed kernels (nine weights, three of them 2 and six -1) is convolved with the
series at several dilations, and each feature is the proportion of positive values (PPV) of one
convolution minus one bias; the biases are quantiles of the convolution of a randomly chosen
series of the collection. Given the same integer seed, :class:`MiniRocket` draws the same channel
combinations and example series as aeon's ``MiniRocket(random_state=seed)`` and adds in the same
float32 order, so its features are aeon's: cluster results do not move with the implementation.

The transform is vectorised over a chunk of series and all 84 kernels at once; the chunk is
sized so that the temporary arrays stay near :data:`CHUNK_BYTES`.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np

KERNELS = np.array(list(combinations(range(9), 3)), dtype=np.intp)
"""(84, 3): the positions, among a kernel's nine, of its three weights 2 (the other six are -1)."""

CHUNK_BYTES = 16 * 2**20
"""About how much memory the transform's temporary arrays may take at once."""


def fit_dilations(length: int, per_kernel: int, max_dilations: int) -> tuple[np.ndarray, np.ndarray]:
    """Dilations spread evenly on a log scale up to the series length, and the features of each.

    A dilation that rounding makes appear twice gets the features of both; the features left
    over by the integer split go one by one to the smallest dilations (as in the paper's code).
    """
    n_dilations = min(per_kernel, max_dilations)
    top = np.log2((length - 1) / 8)  # the kernel spans 8 dilations + 1 points
    dilations, repeats = np.unique(
        np.logspace(0, top, n_dilations, base=2).astype(np.int32), return_counts=True
    )
    per_dilation = (repeats * (per_kernel / n_dilations)).astype(np.int32)
    left = per_kernel - int(per_dilation.sum())
    np.add.at(per_dilation, np.arange(left) % len(per_dilation), 1)
    return dilations, per_dilation


def golden_quantiles(n: int) -> np.ndarray:
    """The quantile of each bias: fractional parts of multiples of the golden ratio, low-discrepancy."""
    return ((np.arange(1, n + 1, dtype=np.float64) * ((np.sqrt(5.0) + 1) / 2)) % 1).astype(np.float32)


def _shifted(series: np.ndarray, dilation: int) -> tuple[np.ndarray, np.ndarray]:
    """``alpha``: the sum of -x over the nine taps; ``gamma[g]``: 3x at tap g (zeros off the ends).

    A kernel's convolution is ``alpha + gamma[a] + gamma[b] + gamma[c]`` for its three taps of
    weight 2 (-1 + 3). Taps are added in aeon's order (centre, the four before, the four after)
    so the float32 sums round alike.
    """
    length = series.shape[-1]
    minus = -series
    alpha = minus.copy()
    gamma = np.zeros((9, *series.shape), dtype=np.float32)
    gamma[4] = series * np.float32(3)
    for tap in range(9):
        shift = (tap - 4) * dilation  # tap 0 reads 4 dilations back, tap 8 four ahead
        if shift < 0:
            alpha[..., -shift:] += minus[..., : length + shift]
            gamma[tap][..., -shift:] = gamma[4][..., : length + shift]
        elif shift > 0:
            alpha[..., : length - shift] += minus[..., shift:]
            gamma[tap][..., : length - shift] = gamma[4][..., shift:]
    return alpha, gamma


def _convolve(alpha: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """The 84 kernels' convolutions of every series, (84, ...), from :func:`_shifted`'s arrays.

    Summed left to right (alpha, then the three taps of weight 3 in order), the float32 order of
    aeon's compiled transform. Kernels are in lexicographic order of their taps, so those sharing
    the first two taps are one block: their partial sum is computed once.
    """
    out = np.empty((84, *alpha.shape), dtype=np.float32)
    first = alpha + gamma[:7]
    k = 0
    for a in range(7):
        for b in range(a + 1, 8):
            np.add(first[a] + gamma[b], gamma[b + 1 :], out=out[k : k + 8 - b])
            k += 8 - b
    return out


def _convolve_examples(alpha: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Each kernel's convolution of its own example series: alpha and gamma hold one series per kernel.

    The taps of weight 3 are summed first, then added to alpha: the order numba's fastmath gives
    aeon's fit, with which the biases are aeon's bit for bit.
    """
    kernels = np.arange(84)
    taps = [gamma[KERNELS[:, i], kernels] for i in range(3)]
    return alpha + (taps[0] + taps[1] + taps[2])


def _combine(per_channel: np.ndarray, channels: np.ndarray) -> np.ndarray:
    """Sum each kernel's channels (84, series, channels, length) over its combination, in its order.

    ``channels`` is (84, most channels) with -1 where a combination has fewer.
    """
    if channels.shape[1] == 1:
        return per_channel[:, :, channels[0, 0]]  # one channel: nothing to add
    kernels = np.arange(len(channels))
    total = per_channel[kernels, :, channels[:, 0]]
    for column in channels.T[1:]:
        used = column >= 0
        total[used] += per_channel[kernels[used], :, column[used]]
    return total


class MiniRocket:
    """MiniRocket features of equal-length series, shape (series, channels, length), length >= 9.

    ``n_kernels`` is the number of features asked for; it is rounded down to a multiple of 84
    (10 000 gives 9 996) and is at least 84. ``random_state`` is an integer seed.
    """

    def __init__(self, n_kernels: int = 10_000, max_dilations_per_kernel: int = 32, random_state: int = 0):
        self.n_kernels = n_kernels
        self.max_dilations_per_kernel = max_dilations_per_kernel
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> MiniRocket:
        """Dilations from the length; channel combinations and biases drawn from the series."""
        X = np.asarray(X, dtype=np.float32)
        n_series, n_channels, length = X.shape
        if length < 9:
            raise ValueError(f"MiniRocket needs series of at least 9 points, not {length}")
        per_kernel = max(self.n_kernels, 84) // 84
        self.dilations_, self.features_per_dilation_ = fit_dilations(
            length, per_kernel, self.max_dilations_per_kernel
        )
        n_combinations = 84 * len(self.dilations_)
        # aeon draws the combinations from numpy's global generator seeded with random_state ...
        draw = np.random.RandomState(self.random_state)
        sizes = (2 ** draw.uniform(0, np.log2(min(n_channels, 9) + 1), n_combinations)).astype(np.int32)
        self.channels_ = np.full((n_combinations, sizes.max()), -1, dtype=np.intp)
        for row, size in zip(self.channels_, sizes, strict=True):
            row[:size] = draw.choice(n_channels, size, replace=False)
        # ... and the example series in numba, whose generator seeded with the same integer gives
        # numpy's legacy stream, with the same masked rejection for integers below a bound.
        examples = np.random.RandomState(self.random_state).randint(n_series, size=n_combinations)
        quantiles = golden_quantiles(84 * per_kernel).astype(np.float64)
        biases = []
        for j, dilation in enumerate(self.dilations_):
            block = slice(84 * j, 84 * (j + 1))
            alpha, gamma = _shifted(X[examples[block]], int(dilation))
            per_channel = _convolve_examples(alpha, gamma)
            convolved = _combine(per_channel[:, None], self.channels_[block])[:, 0]
            nf = int(self.features_per_dilation_[j])
            start = 84 * int(self.features_per_dilation_[:j].sum())
            biases.append(_linear_quantiles(convolved, quantiles[start : start + 84 * nf].reshape(84, nf)))
        self.biases_ = np.concatenate([b.ravel() for b in biases])
        return self

    @property
    def n_features(self) -> int:
        return len(self.biases_)

    def transform(self, X: np.ndarray, between_chunks: Callable[[], None] | None = None) -> np.ndarray:
        """The features of each series, float32 (series, features), in chunks of bounded memory.

        ``between_chunks`` is called before each chunk (a few hundredths of a second apart): a
        cancel check that raises stops the transform there.
        """
        X = np.asarray(X, dtype=np.float32)
        n_series, n_channels, length = X.shape
        compared = 42 * int(self.features_per_dilation_.max()) * length  # bools per series at once
        chunk = max(1, CHUNK_BYTES // (4 * 84 * n_channels * length * 5 + compared))
        scratch = np.empty(min(chunk, n_series) * compared, dtype=bool)
        features = np.empty((n_series, self.n_features), dtype=np.float32)
        for start in range(0, n_series, chunk):
            if between_chunks is not None:
                between_chunks()
            features[start : start + chunk] = self._transform_chunk(X[start : start + chunk], scratch)
        return features

    def _transform_chunk(self, X: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        n_series, _, length = X.shape
        blocks = []
        start = 0
        for j, dilation in enumerate(self.dilations_):
            nf = int(self.features_per_dilation_[j])
            biases = self.biases_[start : start + 84 * nf].reshape(84, nf)
            start += 84 * nf
            alpha, gamma = _shifted(X, int(dilation))
            per_channel = _convolve(alpha, gamma)
            convolved = _combine(per_channel, self.channels_[84 * j : 84 * (j + 1)])  # (84, series, length)
            ppv = np.empty((84, n_series, nf), dtype=np.float64)
            padding = 4 * int(dilation)
            # Alternate kernels (shifted by one at each dilation) skip the zero-padded ends.
            for first, trim in ((j % 2, 0), (1 - j % 2, padding)):
                part = convolved[first::2, :, trim : length - trim]
                ppv[first::2] = _proportion_above(part, biases[first::2], scratch)
            blocks.append(ppv.transpose(1, 0, 2).reshape(n_series, -1))
        return np.concatenate(blocks, axis=1).astype(np.float32)


def _proportion_above(values: np.ndarray, biases: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """(kernels, series, features): the share of each row of ``values`` above each of its kernel's biases.

    ``scratch`` is a flat bool buffer reused from call to call: a fresh array this size each
    time doubles the cost (the memory is handed back and faulted in again).
    """
    kernels, n_series, length = values.shape
    above = scratch[: kernels * n_series * biases.shape[1] * length].reshape(kernels, n_series, -1, length)
    np.greater(values[:, :, None, :], biases[:, None, :, None], out=above)
    return above.view(np.uint8).sum(axis=-1, dtype=np.uint32) / length


def _linear_quantiles(values: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Each row's quantiles by linear interpolation between ranks, float64 as numba computes them."""
    ordered = np.sort(values.astype(np.float64), axis=-1)
    rank = 1 + (values.shape[-1] - 1) * ((quantiles * 100.0) / 100.0)
    whole = np.floor(rank)
    part = rank - whole
    below = whole.astype(np.intp) - 1
    lower = np.take_along_axis(ordered, below, axis=-1)
    upper = np.take_along_axis(ordered, below + 1, axis=-1)
    return (lower * (1 - part) + upper * part).astype(np.float32)
