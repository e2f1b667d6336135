"""ts-catch22's numpy catch24 gives aeon's Catch22(catch24=True) vectors, in aeon's order."""

import warnings

import numpy as np
import pytest

from engine.embed.catch22 import catch24

LENGTHS = (5, 9, 10, 41, 97, 300, 1000)


def _channel(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n)
    if kind == "walk":
        return np.cumsum(rng.normal(size=n)) * 4 + 20
    if kind == "sine":
        return np.sin(t / rng.uniform(1, 10)) * 3 + 1
    if kind == "noise":
        return rng.normal(size=n) * 100 + 7
    if kind == "spikes":
        x = rng.normal(size=n) * 0.1
        x[rng.integers(0, n, 3)] += 50
        return x
    if kind == "flat stretch":
        x = np.cumsum(rng.normal(size=n))
        x[n // 4 : 3 * n // 4] = 2.5
        return x
    if kind == "repeated":
        return rng.integers(0, 4, n).astype(np.float64)
    assert kind == "constant"
    return np.full(n, 7.0)


def _cases(channels: int) -> list[np.ndarray]:
    """Series of every length and kind (length x channels), of unequal lengths in one list."""
    rng = np.random.default_rng(channels)
    kinds = ["walk", "sine", "noise", "spikes", "flat stretch", "repeated", "constant"]
    series = []
    for n in LENGTHS:
        for start in range(0, len(kinds), channels):
            picked = [kinds[(start + c) % len(kinds)] for c in range(channels)]
            series.append(np.column_stack([_channel(kind, n, rng) for kind in picked]))
    return series


@pytest.fixture(scope="module")
def aeons():
    """aeon's vectors for the cases, computed once (its numba code compiles on the first call)."""
    catch22 = pytest.importorskip("aeon.transformations.collection.feature_based")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aeon = catch22.Catch22(catch24=True, replace_nans=True)
        # as the app called it: a list of channels x length arrays (aeon's unequal-length path)
        return {c: aeon.fit_transform([s.T for s in _cases(c)]) for c in (1, 3)}


@pytest.mark.parametrize("channels", [1, 3])
def test_features_equal_aeons_catch24_channel_after_channel(aeons, channels):
    series = _cases(channels)
    ours = catch24(series)
    assert ours.shape == (len(series), 24 * channels) and np.isfinite(ours).all()
    np.testing.assert_allclose(ours, aeons[channels], rtol=1e-9, atol=1e-9)
    flat = [i for i, s in enumerate(series) if np.ptp(s[:, 0]) == 0]
    assert flat and (ours[flat, 22] == 7).all() and (ours[flat, 23] == 0).all()


def test_a_spike_far_above_the_rest_still_gets_features():
    values = np.sin(np.arange(60) / 3)
    values[30] = 1e30  # aeon's numba code divided by zero on this one
    features = catch24([values[:, None], np.sin(np.arange(60) / 3)[:, None]])
    assert np.isfinite(features).all() and features[0, 22] == pytest.approx(1e30 / 60)
    assert not np.allclose(features[0], features[1])


def test_shape_features_ignore_level_and_scale_and_the_rest_follow_them():
    rng = np.random.default_rng(7)
    series = [np.cumsum(rng.normal(size=(n, 1)), axis=0) for n in (50, 300)]
    base = catch24(series)
    moved = catch24([4 * s - 3 for s in series])
    shape = [2, 3, 7, 8, 11, 12, 13, 14, 16, 17, 18, 19, 20]
    np.testing.assert_allclose(moved[:, shape], base[:, shape], rtol=1e-9)
    np.testing.assert_allclose(moved[:, [0, 1, 22]], 4 * base[:, [0, 1, 22]] - 3, rtol=1e-9)
    np.testing.assert_allclose(moved[:, [21, 23]], 4 * base[:, [21, 23]], rtol=1e-9)
    np.testing.assert_allclose(moved[:, 5], 64 * base[:, 5], rtol=1e-9)  # mean cubed step
    np.testing.assert_allclose(moved[:, 15], 16 * base[:, 15], rtol=1e-9)  # power
    for s, row in zip(series, base, strict=True):
        assert row[22] == pytest.approx(s.mean()) and row[23] == pytest.approx(s.std())
