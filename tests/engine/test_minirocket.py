"""MiniRocket in numpy: aeon's features bit for bit, and the embedder's progress and Cancel."""

from pathlib import Path

import numpy as np
import pytest

from engine.embed import get_embedder
from engine.embed.minirocket import MiniRocket, fit_dilations
from engine.items import Collection, Item
from engine.progress import Cancelled, CancelToken


def _walks(n: int, channels: int, length: int, seed: int = 1) -> np.ndarray:
    """Random walks with a level per series and channel, as float32 (series, channels, length)."""
    rng = np.random.default_rng(seed)
    walks = np.cumsum(rng.normal(size=(n, channels, length)), axis=-1) + rng.normal(size=(n, channels, 1)) * 5
    return walks.astype(np.float32)


def test_features_have_the_asked_count_and_see_shape():
    series = _walks(12, 2, 60)
    series[6:] = np.sin(np.linspace(0, 12, 60, dtype=np.float32))  # half sines, half walks
    rocket = MiniRocket(n_kernels=1000, random_state=0).fit(series)
    features = rocket.transform(series)
    assert features.shape == (12, 84 * (1000 // 84)) and features.dtype == np.float32
    assert ((features >= 0) & (features <= 1)).all()
    assert np.abs(features[6:] - features[6]).max() == 0  # equal series, equal features
    assert np.abs(features[:6] - features[6]).max(axis=1).min() > 0.1
    for length in range(9, 400, 7):  # every feature is given to some dilation
        for per_kernel in (1, 11, 119):
            dilations, per_dilation = fit_dilations(length, per_kernel, 32)
            assert per_dilation.sum() == per_kernel and dilations.max() * 8 <= length - 1


@pytest.mark.slow  # aeon compiles its numba code on first use (cached afterwards)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("length", [9, 10, 100, 300])
@pytest.mark.parametrize("n_kernels", [84, 10_000])
def test_features_equal_aeons_minirocket(channels, length, n_kernels):
    aeon = pytest.importorskip("aeon.transformations.collection.convolution_based")
    series = _walks(24, channels, length, seed=length + channels)
    ours = MiniRocket(n_kernels=n_kernels, random_state=0).fit(series)
    theirs = aeon.MiniRocket(n_kernels=n_kernels, random_state=0).fit(series)
    np.testing.assert_array_equal(ours.biases_, theirs.parameters[4])
    np.testing.assert_array_equal(ours.transform(series[::-1]), theirs.transform(series[::-1]))


def _collection(n: int) -> Collection:
    series = _walks(n, 3, 50)
    items = [Item(i, Path("walks.csv"), "timeseries", row=i) for i in range(n)]
    return Collection(items=items, series={i: s.T for i, s in enumerate(series)})


def test_the_embedder_reports_each_batch_and_stops_on_cancel():
    embedder = get_embedder("ts-minirocket", "timeseries", kernels=840, dims=8)
    embedder.batch_size = 10
    seen = []
    vectors = embedder.embed(_collection(35), progress=lambda *step: seen.append(step))
    assert vectors.shape == (35, 8) and np.isfinite(vectors).all()
    features = [done for stage, done, _ in seen if stage.startswith("features")]
    assert features == [0, 10, 20, 30, 35]

    token = CancelToken()

    def cancel_after_the_first_batch(stage, done, total):
        if stage.startswith("features") and done == 10:
            token.cancel()

    with pytest.raises(Cancelled):
        embedder.embed(_collection(35), progress=cancel_after_the_first_batch, cancel=token)


def test_the_transform_calls_back_between_chunks(monkeypatch):
    import engine.embed.minirocket as minirocket

    monkeypatch.setattr(minirocket, "CHUNK_BYTES", 1)  # one series per chunk
    series = _walks(5, 1, 40)
    rocket = MiniRocket(n_kernels=84).fit(series)
    calls = []

    def stop_at_the_third():
        calls.append(1)
        if len(calls) == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        rocket.transform(series, between_chunks=stop_at_the_third)
    assert len(calls) == 3
