"""The embedder template: batching, the on-disk cache, bad items, fallbacks, and the registry."""

from pathlib import Path

import numpy as np
import pytest

import engine.embed as embed
from engine.embed import Embedder, Readiness
from engine.embed.cache import VectorCache
from engine.items import Collection, Item, ItemError
from engine.pipeline import PipelineError, Spec, run
from engine.progress import Cancelled, CancelToken


class CountingEmbedder(Embedder):
    """Embeds a series as (mean, std, length); fails on series containing NaN; counts its calls."""

    name = "test-counting"
    modality = "timeseries"
    batch_size = 4
    calls = 0

    def load(self, item, collection):
        values = collection.series[item.id]
        if np.isnan(values).any():
            raise ItemError("series holds NaN")
        return values

    def embed_batch(self, payloads):
        type(self).calls += len(payloads)
        return np.array([[p.mean(), p.std(), len(p)] for p in payloads])


class MissingModel(CountingEmbedder):
    name = "test-missing"
    needs_weights = True
    fallback = "test-counting"

    def readiness(self):
        return Readiness(False, "nowhere", "Put model.bin into the models folder.")


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setitem(embed._REGISTRY, CountingEmbedder.name, CountingEmbedder)
    monkeypatch.setitem(embed._REGISTRY, MissingModel.name, MissingModel)
    CountingEmbedder.calls = 0


def series_collection(n: int, bad: tuple[int, ...] = ()) -> Collection:
    rng = np.random.default_rng(0)
    items = [Item(id=i, path=Path(f"s{i}.csv"), modality="timeseries") for i in range(n)]
    series = {i: rng.normal(i % 3, 1 + i % 2, 20 + i) for i in range(n)}
    for i in bad:
        series[i][3] = np.nan
    return Collection(items=items, series=series)


def test_batches_progress_and_bad_items(registry):
    seen, problems = [], []
    vectors = CountingEmbedder().embed(
        series_collection(10, bad=(2, 7)), progress=lambda *a: seen.append(a), problems=problems
    )
    assert vectors.shape == (10, 3) and vectors.dtype == np.float32
    assert np.isnan(vectors[[2, 7]]).all() and np.isfinite(np.delete(vectors, [2, 7], axis=0)).all()
    assert [p.path.name for p in problems] == ["s2.csv", "s7.csv"]
    assert "NaN" in problems[0].message
    assert seen[-1][1:] == (10, 10) and len(seen) == 1 + 3  # start + one per batch of 4


def test_cancel_between_batches(registry):
    token = CancelToken()

    def progress(stage, done, total):
        if done >= 4:
            token.cancel()

    with pytest.raises(Cancelled):
        CountingEmbedder().embed(series_collection(12), progress=progress, cancel=token)
    assert CountingEmbedder.calls == 4


def test_cache_returns_the_same_vectors_without_embedding_again(registry, tmp_path):
    cache = VectorCache(tmp_path)
    collection = series_collection(9)
    first = CountingEmbedder().embed(collection, cache=cache)
    assert CountingEmbedder.calls == 9 and len(cache) == 9
    second = CountingEmbedder().embed(collection, cache=cache)
    assert CountingEmbedder.calls == 9
    np.testing.assert_array_equal(first, second)
    changed = CountingEmbedder(length=5)  # other parameters: other keys
    changed.embed(collection, cache=cache)
    assert CountingEmbedder.calls == 18
    cache.close()


def test_cache_trims_to_its_limit_and_clears(tmp_path):
    cache = VectorCache(tmp_path, limit_bytes=40_000)
    for batch in range(15):  # 15 x 4000 bytes: past the limit
        cache.put_many({f"k{batch}-{i}": np.ones(100, np.float32) for i in range(10)})
    assert 0 < cache.size_bytes() <= 40_000
    assert set(cache.get_many(["k14-9", "k0-0"])) == {"k14-9"}  # the oldest went first
    cache.clear()
    assert len(cache) == 0
    assert VectorCache.key(b"abc", "p") != VectorCache.key(b"abc", "q") != VectorCache.key(b"abd", "q")


def test_pipeline_drops_unreadable_items_and_reports_them(registry, tmp_path, monkeypatch):
    monkeypatch.setattr("engine.ingest.scan", lambda *a, **k: series_collection(12, bad=(5,)))
    result = run(Spec(paths=(str(tmp_path),), embedder="test-counting", k=3, use_cache=False))
    assert len(result.analysed.items) == 11 and result.embeddings.shape[0] == 11
    assert [p.path.name for p in result.problems] == ["s5.csv"]
    assert "s5.csv" not in [it.path.name for it in result.analysed.items]


def test_missing_model_falls_back_with_a_note(registry, tmp_path, monkeypatch):
    monkeypatch.setattr("engine.ingest.scan", lambda *a, **k: series_collection(12))
    result = run(Spec(paths=(str(tmp_path),), embedder="test-missing", k=2, use_cache=False))
    assert result.embedder == "test-counting"
    assert any("test-missing is not ready" in n and "model.bin" in n for n in result.notes)


def test_all_items_unreadable_is_a_clear_error(registry, tmp_path, monkeypatch):
    monkeypatch.setattr("engine.ingest.scan", lambda *a, **k: series_collection(3, bad=(0, 1, 2)))
    with pytest.raises(PipelineError, match="unreadable"):
        run(Spec(paths=(str(tmp_path),), embedder="test-counting", k=2, use_cache=False))


def test_registry_errors_are_clear(registry):
    with pytest.raises(ValueError, match="Unknown embedder 'nope'"):
        embed.get_embedder("nope")
    with pytest.raises(ValueError, match="is for timeseries items, not table items"):
        embed.get_embedder("test-counting", "table")
    names = [e.name for e in embed.list_embedders("table")]
    assert names[0] == embed.default_embedder("table")


def test_new_vectors_invalidate_every_later_stage(registry, tmp_path, monkeypatch):
    monkeypatch.setattr("engine.ingest.scan", lambda *a, **k: series_collection(12))
    first = run(Spec(paths=(str(tmp_path),), embedder="test-counting", k=2, use_cache=False))
    same = run(first.spec.replace(k=3), previous=first)
    assert "embed" not in same.timings and "cluster" in same.timings
    other_model = run(first.spec.replace(model="elsewhere.bin"), previous=first)
    assert {"embed", "cluster", "layout"} <= set(other_model.timings)
    assert "ingest" not in other_model.timings


def test_finish_sees_only_readable_rows_and_may_change_the_width(registry):
    class Centred(CountingEmbedder):
        def finish(self, vectors, progress, cancel):
            assert np.isfinite(vectors).all() and len(vectors) == 8
            return (vectors - vectors.mean(axis=0))[:, :2]

    vectors = Centred().embed(series_collection(10, bad=(0, 9)))
    assert vectors.shape == (10, 2)
    assert np.isnan(vectors[[0, 9]]).all()
    np.testing.assert_allclose(vectors[1:9].mean(axis=0), 0, atol=1e-5)


# ---- the hooks that spare embedders an embed() override -----------------------------------------


def test_cancel_inside_a_batch_stops_at_the_next_check(registry):
    token = CancelToken()
    done = []

    class Slow(CountingEmbedder):
        batch_size = 8

        def embed_batch(self, payloads):
            for payload in payloads:  # one long step per item, e.g. one encode call
                self.check_cancelled()
                done.append(len(payload))
                if len(done) == 3:
                    token.cancel()  # the user presses Cancel while the batch runs
            return super().embed_batch(payloads)

    embedder = Slow()
    with pytest.raises(Cancelled):
        embedder.embed(series_collection(8), cancel=token)
    assert len(done) == 3  # stopped inside the first batch of 8
    embedder.check_cancelled()  # outside a run nothing is cancelled


def test_corpus_wide_fit_sees_every_readable_item_before_embedding(registry, tmp_path):
    calls = []

    class Centred(CountingEmbedder):
        fits_corpus = True

        def fit(self, payloads, collection, progress, cancel):
            calls.append(("fit", len(payloads)))
            self.centre = np.mean([p.mean() for p in payloads])

        def embed_batch(self, payloads):
            calls.append(("batch", len(payloads)))
            return np.array([[p.mean() - self.centre] for p in payloads])

    collection = series_collection(10, bad=(2, 7))
    cache = VectorCache(tmp_path)
    seen = []
    vectors = Centred().embed(collection, progress=lambda *a: seen.append(a), cache=cache)
    assert calls == [("fit", 8), ("batch", 4), ("batch", 4)]
    assert np.isnan(vectors[[2, 7]]).all()
    readable = np.delete(vectors, [2, 7], axis=0)
    np.testing.assert_allclose(readable.mean(), 0.0, atol=1e-5)  # centred on the whole corpus
    assert len(cache) == 0  # corpus-dependent vectors are never cached
    assert ("features (test-counting)", 8, 8) in seen
    cache.close()


class Truncating(CountingEmbedder):
    """Uses every series but warns about the long ones, as the audio loader does for cut files."""

    name = "test-truncating"

    def load(self, item, collection):
        values = super().load(item, collection)
        if len(values) > 25:
            self.warn(item, f"only the first 25 of {len(values)} points are used")
        return values[:25]


def test_load_warnings_reach_the_runs_problems(registry, tmp_path, monkeypatch):
    problems = []
    vectors = Truncating().embed(series_collection(8, bad=(0,)), problems=problems)
    assert np.isfinite(vectors[1:]).all()
    warned = [(p.path.name, p.severity) for p in problems]
    assert warned == [("s0.csv", "error"), ("s6.csv", "warning"), ("s7.csv", "warning")]
    assert "first 25 of 26 points" in problems[1].message
    Truncating().load(Item(0, Path("x.csv"), "timeseries"), series_collection(30))  # no run: dropped

    monkeypatch.setitem(embed._REGISTRY, Truncating.name, Truncating)
    monkeypatch.setattr("engine.ingest.scan", lambda *a, **k: series_collection(8))
    result = run(Spec(paths=(str(tmp_path),), embedder="test-truncating", k=2, use_cache=False))
    warned = [(p.path.name, p.severity) for p in result.problems]
    assert warned == [("s6.csv", "warning"), ("s7.csv", "warning")]
    assert len(result.analysed.items) == 8
