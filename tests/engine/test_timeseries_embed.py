"""Time-series embedders: shapes on uni- and multivariate series of unequal length, bad series,
clustering quality on the demo file and on aeon's BasicMotions."""

import os
from pathlib import Path

import numpy as np
import pytest

from engine.embed import get_embedder
from engine.embed.timeseries import series_image, series_text
from engine.items import Collection, Item

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo" / "timeseries"
pytest.importorskip("aeon")


def make_collection(channels: int, n: int = 12, seed: int = 0) -> Collection:
    """Sine waves and random walks of lengths 40-90, each with ``channels`` channels (1 = 1-D arrays)."""
    rng = np.random.default_rng(seed)
    items, series = [], {}
    for i in range(n):
        length = int(rng.integers(40, 90))
        t = np.linspace(0, 4 * np.pi, length)
        if i % 2:
            base = np.sin(t)[:, None] + rng.normal(scale=0.1, size=(length, channels))
        else:
            base = np.cumsum(rng.normal(size=(length, channels)), axis=0)
        series[i] = base[:, 0] * 5 + 10 if channels == 1 else base * np.arange(1, channels + 1)
        items.append(Item(i, Path("s.csv"), "timeseries", label="sine" if i % 2 else "walk", row=i))
    return Collection(items=items, series=series)


@pytest.fixture(scope="module")
def embedders():
    """One instance per embedder for the module, so each model loads once."""
    names = ("ts-catch22", "ts-minirocket", "ts-image")
    made = {name: get_embedder(name, "timeseries") for name in names}
    made["ts-text"] = get_embedder("ts-text", "timeseries", points=16)  # short texts: a quick sentence model
    return made


def _expected_dims(name: str, channels: int, n: int) -> int | None:
    return {"ts-catch22": 24 * channels, "ts-text": 384, "ts-image": 1280}.get(name)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", ["ts-catch22", "ts-minirocket", "ts-text", "ts-image"])
def test_each_embedder_gives_finite_rows_for_unequal_lengths(embedders, name, channels):
    embedder = embedders[name]
    if not embedder.readiness().ready:
        pytest.skip(embedder.readiness().message)
    collection = make_collection(channels)
    vectors = embedder.embed(collection)
    assert vectors.dtype == np.float32 and vectors.shape[0] == 12
    assert np.isfinite(vectors).all()
    expected = _expected_dims(name, channels, 12)
    assert vectors.shape[1] == expected if expected else 2 <= vectors.shape[1] <= 12
    assert np.linalg.matrix_rank(vectors) > 1  # not one repeated vector


def test_fallbacks_and_cacheability_are_declared():
    assert get_embedder("ts-text").fallback == "ts-resampled"
    assert get_embedder("ts-image").fallback == "ts-resampled"
    assert get_embedder("ts-catch22").cacheable and not get_embedder("ts-minirocket").cacheable
    assert get_embedder("ts-catch22").readiness().ready


def test_bad_series_become_problems_and_the_rest_is_embedded():
    collection = make_collection(3, n=8)
    collection.series[1] = collection.series[1][:3]  # too short
    collection.series[2] = collection.series[2].copy()
    collection.series[2][5, 1] = np.nan
    collection.series[3] = collection.series[3][:, :2]  # 2 channels where the others have 3
    problems = []
    vectors = get_embedder("ts-catch22").embed(collection, problems=problems)
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1)).tolist()
    assert bad == [1, 2, 3] and len(problems) == 3
    text = " ".join(p.message for p in problems)
    assert (
        "too short" in text
        and "missing or infinite" in text
        and "2 channel(s) but most series here have 3" in text
    )


def test_series_text_stays_within_the_sentence_model_budget():
    text = series_text(np.sin(np.linspace(0, 6, 500)) * 100 + 7)
    numbers = [float(v) for v in text.split()]
    assert len(numbers) == 64 and max(abs(v) for v in numbers) < 2.0
    multi = series_text(np.random.default_rng(0).normal(size=(80, 4)))
    assert multi.count("|") == 3 and len(multi.replace("|", " ").split()) == 64


def test_series_image_draws_one_strip_per_channel():
    image = series_image(np.column_stack([np.sin(np.linspace(0, 6, 100)), np.zeros(100)]))
    assert image.size == (224, 224) and image.mode == "RGB"
    pixels = np.asarray(image)
    inked_rows = np.flatnonzero((pixels < 128).any(axis=(1, 2)))
    assert inked_rows.min() < 112 <= inked_rows.max()  # the sine in the top strip, the flat line below


def test_catch22_groups_the_demo_sensors_through_the_pipeline():
    from engine.pipeline import Spec, run

    result = run(Spec(paths=(str(DEMO),), embedder="ts-catch22", k=3))
    assert result.modality == "timeseries" and len(result.analysed.items) == 120
    assert result.embeddings.shape == (120, 24)
    assert result.metrics["ari"] > 0.8


def test_basic_motions_loads_offline_and_catch22_finds_the_activities():
    import aeon
    from aeon.datasets import load_classification
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    X, y = load_classification(
        "BasicMotions", extract_path=os.path.join(os.path.dirname(aeon.__file__), "datasets", "data")
    )
    assert X.shape == (80, 6, 100)
    items = [
        Item(i, Path("BasicMotions.ts"), "timeseries", label=str(label), row=i) for i, label in enumerate(y)
    ]
    collection = Collection(items=items, series={i: x.T for i, x in enumerate(X)})
    vectors = get_embedder("ts-catch22").embed(collection)
    found = KMeans(4, n_init=10, random_state=0).fit_predict(vectors)
    assert adjusted_rand_score(y, found) > 0.8


def test_minirocket_groups_the_demo_sensors():
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from engine.ingest import scan

    collection = scan([DEMO]).only("timeseries")
    vectors = get_embedder("ts-minirocket").embed(collection)
    assert vectors.shape == (120, 64)
    found = KMeans(3, n_init=10, random_state=0).fit_predict(vectors)
    assert adjusted_rand_score(collection.labels(), found) > 0.8
