"""Previews for the cluster panel (thumbnails, spectrograms, snippets, their disk cache) and the
numbers it shows (member order, cluster summaries, series band, table cell deviations)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from engine.embed import ItemError
from engine.members import (
    ColumnStats,
    borderline_order,
    cluster_summaries,
    distinctive_columns,
    outlier_order,
    series_mean_band,
    typicality_order,
)
from engine.thumbnails import (
    ThumbnailCache,
    audio_thumbnail,
    cached_picture,
    document_snippet,
    image_thumbnail,
    thumbnail_key,
)


def test_an_image_thumbnail_keeps_colour_and_aspect(tmp_path):
    path = tmp_path / "red.jpg"
    Image.new("RGB", (1200, 600), (220, 20, 20)).save(path, quality=95)
    pixels = image_thumbnail(path, 96)
    assert pixels.shape == (48, 96, 3) and pixels.dtype == np.uint8
    assert np.abs(pixels.reshape(-1, 3).mean(0) - (220, 20, 20)).max() < 6


def test_broken_images_say_why(tmp_path):
    truncated = tmp_path / "cut.png"
    Image.new("RGB", (200, 200), (0, 200, 0)).save(tmp_path / "whole.png")
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:300])
    with pytest.raises(ItemError, match="truncated|damaged|decoded"):
        image_thumbnail(truncated)
    with pytest.raises(ItemError, match="cannot be read"):
        image_thumbnail(tmp_path / "gone.png")
    with pytest.raises(ItemError, match="moved or deleted"):
        thumbnail_key(tmp_path / "gone.png", 96, "image")


def test_the_disk_cache_serves_an_unchanged_file_and_notices_an_edit(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (64, 64), (0, 0, 250)).save(path)
    cache = ThumbnailCache(tmp_path / "cache")
    calls = []

    def make(p, size):
        calls.append(p)
        return image_thumbnail(p, size)

    first = cached_picture(path, "image", make, cache)
    again = cached_picture(path, "image", make, cache)
    assert len(calls) == 1 and np.abs(first.astype(int) - again.astype(int)).max() < 8
    assert cache.size_bytes() > 0
    Image.new("RGB", (64, 64), (250, 250, 0)).save(path)
    os.utime(path, ns=(1, 1))  # a new mtime even on coarse file systems
    edited = cached_picture(path, "image", make, cache)
    assert len(calls) == 2 and edited[..., 0].mean() > 200 and edited[..., 2].mean() < 30
    for entry in (tmp_path / "cache").rglob("*.*"):
        entry.write_bytes(b"junk")  # a damaged entry is a miss, made again
    cached_picture(path, "image", make, cache)
    assert len(calls) == 3


def test_a_clip_becomes_a_small_spectrogram_and_a_document_a_snippet(tmp_path):
    import soundfile as sf

    sr = 22050
    t = np.arange(sr) / sr
    sf.write(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * t), sr)
    picture = audio_thumbnail(tmp_path / "tone.wav", 96)
    assert picture.shape == (72, 96, 3) and picture.std() > 10
    (tmp_path / "doc.txt").write_text("A title\n\nFirst   line.\nSecond line " + "word " * 500)
    title, text = document_snippet(tmp_path / "doc.txt", chars=200)
    assert title == "A title" and text.startswith("First line. Second line") and len(text) <= 200
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ItemError):
        document_snippet(tmp_path / "junk.txt")


def test_members_order_by_typicality_and_by_outlier_score():
    embeddings = np.array([[0.0], [5.0], [1.0], [2.0], [100.0], [101.0]])
    labels = np.array([0, 0, 0, 0, 1, 1])
    rows = np.array([0, 1, 2, 3])
    assert typicality_order(embeddings, rows).tolist() == [3, 2, 0, 1]  # centre 2.0
    assert typicality_order(embeddings, np.arange(6), labels).tolist()[:2] == [3, 4]
    scores = np.array([0.1, 0.9, 0.5, 0.2, 0.0, 0.0])
    assert outlier_order(scores, rows).tolist() == [1, 2, 3, 0]


def test_cluster_summaries_count_outliers_and_silhouettes():
    labels = np.array([0, 0, 1, 1, 1, -1])
    flags = np.array([True, False, False, False, True, True])
    summaries = cluster_summaries(labels, flags, np.array([0, 1, 2]), np.array([0.5, 0.7, 0.2]))
    assert [s.cluster for s in summaries] == [0, 1, -1]
    assert [s.size for s in summaries] == [2, 3, 1]
    assert summaries[0].outlier_share == 0.5 and summaries[1].outlier_share == pytest.approx(1 / 3)
    assert summaries[0].silhouette == pytest.approx(0.6) and summaries[1].silhouette == pytest.approx(0.2)
    assert summaries[2].silhouette is None
    assert cluster_summaries(labels)[0].outlier_share is None


def test_series_band_and_column_deviation():
    mean, sd = series_mean_band(
        [np.zeros(10), np.full(30, 2.0), np.column_stack([np.ones(5), np.ones(5)])], 20
    )
    assert mean.shape == (20,) and np.allclose(mean, 1.0) and np.allclose(sd, np.std([0, 2, 1]))
    table = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, np.nan]])
    stats = ColumnStats.of(table)
    z = np.array([[stats.deviation(table[r, c], c) for c in range(2)] for r in range(3)])
    assert z[1, 0] > 0 > z[0, 0] and z[2, 0] == 0 and np.all(z[:, 1] == 0)  # constant, or missing
    assert z[1, 0] == pytest.approx(1 / np.std([1, 3, 2]))


def test_distinctive_columns_put_the_largest_shift_of_the_rows_first_either_way():
    table = np.array([[0, 10, 5], [0, 10, 5], [1, 10, 5], [1, 0, 5], [1, 0, 6]], dtype=float)
    stats = ColumnStats.of(table)
    order, shift = distinctive_columns(stats, table, np.array([3, 4]))
    assert order.tolist() == [1, 0, 2]  # below the mean counts as much as above it
    assert shift[1] < -1.2 and 0.8 < shift[0] < 0.82 and 0.7 < shift[2] < 0.8
    order, shift = distinctive_columns(stats, table, np.array([], dtype=int))
    assert order.tolist() == [0, 1, 2] and not shift.any()  # nothing shown: the file's order


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_shift_over_many_rows_equals_the_mean_of_the_cells_deviations(dtype):
    # Many rows take one matrix-vector product, few rows a gather, missing values a NaN-aware sum:
    # every path must give the mean of the cells' deviations (a missing cell counts as 0).
    rng = np.random.default_rng(1)
    table = (rng.normal(size=(2000, 7)) * [1, 10, 100, 1e3, 1e4, 0, 1] + 50).astype(dtype)
    stats = ColumnStats.of(table)
    for holes in (False, True):
        if holes:
            table[rng.random(table.shape) < 0.05] = np.nan
            stats = ColumnStats.of(table)
        assert stats.complete is not holes
        for rows in (np.arange(2000), rng.choice(2000, 1500, replace=False), np.array([3, 9, 400])):
            cells = [[stats.deviation(table[r, c], c) for c in range(7)] for r in rows]
            assert np.allclose(stats.shift(table, rows), np.mean(cells, axis=0), atol=1e-4)


def test_the_cache_stays_under_its_limit_dropping_the_least_recently_shown_first(tmp_path, monkeypatch):
    import engine.thumbnails as thumbnails

    monkeypatch.setattr(thumbnails, "TRIM_EVERY", 5)
    monkeypatch.setattr(thumbnails, "_puts", iter(range(10**6)))
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 255, (96, 96, 3), dtype=np.uint8) for _ in range(4)]
    cache = ThumbnailCache(tmp_path / "cache", limit_bytes=10**9)
    cache.put("aa01", noise[0])
    one = cache.size_bytes()
    cache.limit_bytes = int(3.5 * one)  # room for three pictures
    for n, key in enumerate(("bb02", "cc03"), 1):
        cache.put(key, noise[n])
        old = 1_000_000 + n
        os.utime(cache._path(key), (old, old))  # written long ago...
    assert cache.get("bb02") is not None  # ...but bb02 was just shown again
    cache.put("dd04", noise[3])
    cache.put("ee05", noise[0])  # the fifth write checks the size
    kept = {key for key in ("aa01", "bb02", "cc03", "dd04", "ee05") if cache.get(key) is not None}
    assert cache.size_bytes() <= cache.limit_bytes
    assert kept == {"bb02", "dd04", "ee05"}
    assert cache.trim(0) > 0 and cache.size_bytes() == 0  # the Clear-cache action


def test_borderline_members_are_those_nearest_another_cluster_and_noise_comes_last():
    x = np.array([[0.0, 0], [1, 0], [4, 0], [9, 0], [10, 0], [11, 0], [5, 5]])
    labels = np.array([0, 0, 0, 1, 1, 1, -1])  # item 2 sits between cluster 0's centre and cluster 1
    # (b - a) / max(a, b) against the centres 1.67 and 10: item 2 0.61, item 0 0.83, item 1 0.93
    assert borderline_order(x, np.array([0, 1, 2, 6]), labels).tolist() == [2, 0, 1, 6]
    assert borderline_order(x, np.arange(6), labels)[:3].tolist() == [2, 0, 3]  # item 3: 0.86
    one = np.zeros(7, dtype=int)
    assert borderline_order(x, np.array([3, 0, 2]), one).tolist() == [3, 0, 2]  # nothing to border on


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("picked", [1200, 100])  # measured in place, or copied out first
@pytest.mark.parametrize("far", [3, 300])  # clusters far from the origin: own centres measured again
def test_member_orders_of_many_clusters_follow_exact_distances(dtype, picked, far):
    # The orders measure distances to centres in one matrix product (a 100 000 x 384 selection took
    # 0.9 s on the GUI thread before); they must still follow the exact float64 distances.
    rng = np.random.default_rng(3)
    labels = rng.integers(-1, 40, 3000)
    x = (rng.normal(size=(40, 64))[labels] * far + rng.normal(size=(3000, 64))).astype(dtype)
    rows = rng.choice(3000, picked, replace=False)
    exact = x.astype(np.float64)
    ids = np.arange(40)
    centres = np.stack([exact[labels == c].mean(axis=0) for c in ids])
    distances = np.linalg.norm(exact[:, None, :] - centres[None], axis=2)
    own = np.maximum(labels, 0)
    a = distances[np.arange(3000), own]
    b = np.where(ids[None, :] == own[:, None], np.inf, distances).min(axis=1)
    score = np.where(labels < 0, np.inf, (b - a) / np.maximum(a, b))
    ordered = score[borderline_order(x, rows, labels)]
    assert np.all(np.diff(ordered[np.isfinite(ordered)]) >= -1e-5)
    assert np.isinf(ordered[len(rows) - np.sum(labels[rows] < 0) :]).all()  # noise last
    for group in (None, labels):
        order = typicality_order(x, rows, group)
        keys = np.zeros(3000, dtype=int) if group is None else labels
        centre = {c: exact[rows][keys[rows] == c].mean(axis=0) for c in np.unique(keys[rows])}
        spread = np.array([np.linalg.norm(exact[r] - centre[keys[r]]) for r in order])
        assert sorted(order.tolist()) == sorted(rows.tolist())
        assert np.all(np.diff(spread) >= -1e-4 * spread.max())
