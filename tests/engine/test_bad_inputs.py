"""Hostile numbers and damaged caches (issue 9): each is reported, and the run goes on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from engine.embed import Embedder
from engine.embed.cache import VectorCache, clear_cache, open_cache
from engine.ingest import scan
from engine.pipeline import Spec, run

BAD_NUMBERS = ["1e39", "1e308", "-1e39", "inf", "-inf", "nan", "Infinity"]


def _tables(folder: Path, bad: str) -> Path:
    """Two good table files and one holding ``bad`` in one cell."""
    rng = np.random.default_rng(0)
    for n in range(3):
        rows = ["a,b,c", *(",".join(f"{v:.4f}" for v in rng.normal(n * 3, 1, 3)) for _ in range(15))]
        if n == 2:
            rows[4] = f"{bad},1.5,6.2"
        (folder / f"t{n}.csv").write_text("\n".join(rows) + "\n")
    return folder / "t2.csv"


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_a_huge_or_non_finite_cell_is_reported_and_imputed_not_the_whole_table_lost(tmp_path, bad):
    bad_file = _tables(tmp_path, bad)
    result = run(Spec(paths=(str(tmp_path),), k=3, use_cache=False))
    assert len(result.analysed.items) == 45  # every row of every file
    assert np.isfinite(result.embeddings).all()
    messages = " ".join(p.message for p in result.problems if p.path == bad_file)
    assert "'a'" in messages and ("missing" in messages or "filled" in messages)


@pytest.mark.parametrize("bad", ["1e39", "1e308", "-1e39", "inf"])
def test_a_huge_value_in_a_time_series_is_reported_and_filled(tmp_path, bad):
    values = [f"{np.sin(i / 3):.4f}" for i in range(40)]
    values[17] = bad
    path = tmp_path / "series.csv"
    path.write_text("time,value\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    collection = scan([path], csv_kind="timeseries")
    (series,) = collection.series.values()
    assert np.isfinite(series).all() and np.abs(series).max() < 2
    assert any("beyond" in p.message and p.path == path for p in collection.problems)


class _Fragile(Embedder):
    """Fails on one item as aeon's catch22 does on a degenerate series."""

    name = "fragile"
    modality = "timeseries"
    batch_size = 8

    def load(self, item, collection):
        return collection.series[item.id]

    def embed_batch(self, payloads):
        if any(p.max() > 100 for p in payloads):
            raise ZeroDivisionError("float division by zero")
        return np.stack([[p.mean(), p.std()] for p in payloads])


class _NotFinite(_Fragile):
    name = "not-finite"

    def embed_batch(self, payloads):
        return np.stack([[p.mean(), np.inf if p.max() > 100 else 1.0] for p in payloads])


@pytest.mark.parametrize("embedder", [_Fragile, _NotFinite])
def test_an_embedder_failing_on_one_item_reports_it_and_goes_on(tmp_path, embedder):
    for n in range(6):
        scale = 1000 if n == 3 else 1
        np.savetxt(
            tmp_path / f"s{n}.csv", scale * np.sin(np.arange(30) / (n + 1)), header="value", comments=""
        )
    collection = scan([tmp_path], csv_kind="timeseries")
    problems = []
    vectors = embedder().embed(collection, problems=problems)
    ok = np.isfinite(vectors).all(axis=1)
    assert ok.sum() == 5
    (problem,) = problems
    assert problem.path.name == "s3.csv" and "left out" in problem.message


def test_catch22_embeds_a_spiky_series_that_aeons_catch22_failed_on(tmp_path):
    from engine.embed import get_embedder

    for n in range(5):
        values = np.sin(np.arange(60) / (n + 1))
        if n == 2:
            # aeon's numba code put this spike one cell past the 5 x 5 grid of CO_HistogramAMI_even_2_5
            # and divided by zero (ZeroDivisionError); ours counts it in the top cell
            values[30] = 1e30
        np.savetxt(tmp_path / f"s{n}.csv", values, header="value", comments="")
    problems = []
    vectors = get_embedder("ts-catch22").embed(scan([tmp_path], csv_kind="timeseries"), problems=problems)
    assert np.isfinite(vectors).all() and problems == []
    assert len({tuple(row) for row in vectors.round(4)}) == 5  # the spike's series has features of its own


def test_no_row_is_dropped_without_a_line_in_the_problems(tmp_path, monkeypatch):
    from engine.embed import tabular

    _tables(tmp_path, "1.0")
    original = tabular.StandardizedTable.embed

    def spoiled(self, collection, **kwargs):
        vectors = original(self, collection, **kwargs)
        vectors[[2, 20]] = np.nan  # what an overflow did to rows before the fix
        return vectors

    monkeypatch.setattr(tabular.StandardizedTable, "embed", spoiled)
    result = run(Spec(paths=(str(tmp_path),), k=3, use_cache=False))
    assert len(result.analysed.items) == 43
    lines = [p for p in result.problems if p.stage == "embed"]
    assert {p.path.name for p in lines} == {"t0.csv", "t1.csv"}
    assert all("not finite" in p.message for p in lines)


# ---- damaged vector caches -----------------------------------------------------------------


def _full_cache(folder: Path, n: int = 3000) -> Path:
    cache = VectorCache(folder)
    rng = np.random.default_rng(1)
    cache.put_many({f"k{i}": rng.normal(size=64) for i in range(n)})
    cache._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.close()
    return cache.path


def _garbage(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(2).bytes(50_000))


def _truncated(path: Path) -> None:
    data = _full_cache(path.parent).read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _corrupt_page(path: Path) -> None:
    data = bytearray(_full_cache(path.parent).read_bytes())
    page = 4096
    data[2 * page : 40 * page] = np.random.default_rng(3).bytes(38 * page)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _corrupt_page])
def test_a_damaged_cache_is_moved_aside_and_the_run_goes_on(tmp_path, monkeypatch, damage):
    folder = tmp_path / "cache"
    damage(folder / "vectors.sqlite")
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(folder))
    data = tmp_path / "data"
    data.mkdir()
    for n in range(6):
        np.savetxt(data / f"s{n}.csv", np.sin(np.arange(30) / (n + 1)), header="value", comments="")

    result = run(Spec(paths=(str(data),), k=2, embedder="ts-resampled"))
    assert len(result.analysed.items) == 6
    assert any("vector cache" in n and "damaged" in n or "failed" in n for n in result.notes), result.notes
    assert list(folder.glob("vectors.sqlite.damaged-*")), "the damaged file is kept aside for a look"
    cache, note = open_cache(folder)
    assert note is None and not cache.get_many([f"k{i}" for i in range(3000)])  # a fresh cache
    cache.close()


@pytest.mark.parametrize("damage", [_garbage, _truncated, _corrupt_page])
def test_clear_cache_recovers_a_damaged_cache(tmp_path, damage):
    damage(tmp_path / "vectors.sqlite")
    assert clear_cache(tmp_path) > 0
    cache = VectorCache(tmp_path)
    cache.put_many({"a": np.ones(4)})
    assert len(cache) == 1 and np.array_equal(cache.get_many(["a"])["a"], np.ones(4))
    cache.close()


def test_a_cache_folder_that_cannot_be_created_means_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(blocker / "cache"))
    _tables(tmp_path, "1.0")
    result = run(Spec(paths=(str(tmp_path),), k=3, embedder="table-standardized"))
    assert len(result.analysed.items) == 45
    assert any("cannot be created" in n for n in result.notes)


def test_a_read_only_cache_means_no_cache(tmp_path, monkeypatch):
    # Permissions do not stop root (the test machines run as root), so SQLite's own answer for a
    # read-only folder stands in for one.
    def read_only(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(sqlite3, "connect", read_only)
    cache, note = open_cache(tmp_path)
    assert cache is None and "readonly" in note and "without it" in note
