"""DBSCAN (eps from the k-distance knee, memory guard, backends) and HDBSCAN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score

from engine.cluster import cluster
from engine.cluster import dbscan as density
from engine.cluster.dbscan import (
    CURVE_POINTS,
    DensityMemoryError,
    check_memory,
    estimate_neighbourhood_bytes,
    fit_dbscan,
    fit_hdbscan,
    k_distance_curve,
    knee,
    memory_budget,
)
from engine.pipeline import Spec, run
from engine.progress import Cancelled, CancelToken


def _with_noise(X, y, n_noise=40, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.uniform(X.min(axis=0) - 2, X.max(axis=0) + 2, size=(n_noise, X.shape[1]))
    return np.vstack([X, noise]).astype(np.float32), np.r_[y, -np.ones(n_noise, dtype=int)]


@pytest.fixture(scope="module")
def noisy_blobs():
    X, y = make_blobs(800, centers=[[0, 0], [8, 0], [0, 8], [8, 8]], cluster_std=0.7, random_state=0)
    return _with_noise(X, y)


def _dbscan(X, **spec):
    return fit_dbscan(X, backend="sklearn", **spec)


def test_k_distance_is_what_dbscan_compares_with_eps(noisy_blobs):
    X, _ = noisy_blobs
    distances, suggested = k_distance_curve(X, 5)
    assert len(distances) == len(X) and np.all(np.diff(distances) >= 0)
    for eps in (suggested, 0.3, 1.0):
        core = DBSCAN(eps=eps, min_samples=5).fit(X).core_sample_indices_
        assert len(core) == int(np.sum(distances <= eps))  # core point <=> k-distance <= eps


def test_the_knee_sits_where_the_curve_turns_up():
    flat_then_steep = np.r_[np.linspace(1.0, 1.2, 900), np.linspace(1.3, 10.0, 100)]
    assert 1.1 < knee(flat_then_steep) < 1.5
    assert knee(np.linspace(0, 1, 101)) == pytest.approx(0.5)  # a straight line has no knee
    assert knee([2.0, 2.0, 2.0]) == 2.0
    with pytest.raises(ValueError, match="empty"):
        knee([])


def test_auto_eps_finds_the_blobs_and_marks_the_noise(noisy_blobs):
    X, y = noisy_blobs
    result = _dbscan(X)
    info = result.info
    assert info["eps_source"] == "k-distance knee" and info["eps"] > 0 and info["backend"] == "sklearn"
    assert info["n_clusters"] == 4
    real = y >= 0
    assert adjusted_rand_score(y[real], result.labels[real]) > 0.95
    assert np.mean(result.labels[~real] == -1) > 0.7  # most scattered points are noise
    curve = info["k_distance"]
    assert curve["k"] == 5 and curve["eps"] == info["eps"] and curve["suggested_eps"] == info["eps"]
    assert len(curve["distances"]) == len(X) and curve["distances"] == sorted(curve["distances"])
    assert 0 < info["memory_estimate_bytes"] < 50 * 2**20


@pytest.mark.parametrize("min_samples", [5, 10])
@pytest.mark.parametrize("noise", [0.05, 0.2])
def test_dbscan_separates_moons_that_kmeans_cannot(noise, min_samples):
    X, y = make_moons(600, noise=0.06, random_state=0)
    X, y = _with_noise(X, y, n_noise=int(noise * len(X)))
    result = cluster(X, "dbscan", backend="sklearn", min_samples=min_samples)
    assert result.info["n_clusters"] == 2
    real = y >= 0
    assert adjusted_rand_score(y[real], result.labels[real]) > 0.98


def test_a_given_eps_is_used_and_the_curve_is_subsampled_for_drawing():
    X, _ = make_blobs(5000, centers=3, random_state=1)
    result = _dbscan(X, eps=0.5, min_samples=8)
    info = result.info
    assert info["eps"] == 0.5 and info["eps_source"] == "given" and info["min_samples"] == 8
    assert len(info["k_distance"]["distances"]) == CURVE_POINTS < len(X)
    assert info["k_distance"]["n_queried"] == len(X)
    reference = DBSCAN(eps=0.5, min_samples=8).fit(X).labels_
    assert np.array_equal(result.labels, reference)


def test_large_collections_use_a_sample_for_the_curve():
    X = np.random.default_rng(0).normal(size=(3000, 3))
    distances, _ = k_distance_curve(X, 5, sample_size=1000)
    assert len(distances) == 1000


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ({"eps": -1.0}, ValueError, "eps must be positive; got -1.0"),
        ({"eps": 0.0}, ValueError, "eps must be positive"),
        ({"min_samples": 0}, ValueError, "min_samples must be a whole number >= 1; got 0"),
        ({"min_samples": 2.5}, ValueError, "min_samples must be a whole number"),
        ({"backend": "spark"}, ValueError, "dbscan_backend must be one of auto, pycaret, sklearn"),
    ],
)
def test_bad_parameters_get_clear_messages(noisy_blobs, spec, error, message):
    with pytest.raises(error, match=message):
        fit_dbscan(noisy_blobs[0], **spec)


def test_copies_of_a_few_distinct_items_are_one_cluster_each():
    # A table of a few answers repeated: every k-distance is 0, which used to be reported as
    # "All items are identical" although three distinct items were there.
    answers = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    X = np.repeat(answers, [40, 25, 10], axis=0)
    result = _dbscan(X)
    assert sorted(np.bincount(result.labels).tolist()) == [10, 25, 40]
    assert "3 distinct items among 75" in result.info["note"]
    for same in (
        _dbscan(np.repeat(answers[:1], 30, axis=0)),
        fit_hdbscan(np.repeat(answers[:1], 30, axis=0)),
    ):
        assert same.labels.tolist() == [0] * 30 and "All 30 items are identical" in same.info["note"]


@pytest.mark.skipif(density.pycaret_available(), reason="PyCaret is installed here")
def test_without_pycaret_auto_uses_sklearn_and_pycaret_says_how_to_install(noisy_blobs):
    X, _ = noisy_blobs
    auto = fit_dbscan(X, backend="auto")
    assert auto.info["backend"] == "sklearn"
    with pytest.raises(ImportError, match=r'pip install "datamining6\[pycaret\]".*numpy'):
        fit_dbscan(X, backend="pycaret")


def test_memory_budget_is_a_quarter_of_ram():
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemTotal:"))
    assert memory_budget() == total // 4
    assert memory_budget(0.5) == total // 2


def test_memory_estimate_counts_the_neighbourhoods(noisy_blobs):
    X, _ = noisy_blobs
    eps = 1.0
    counts = [len(a) for a in _neighbours(X, eps)]
    expected = len(X) * (np.mean(counts) * density._BYTES_PER_NEIGHBOUR_TREE + density._BYTES_PER_ITEM)
    assert estimate_neighbourhood_bytes(X, eps) == pytest.approx(expected, abs=2)  # all items sampled
    # A radius spanning everything: every item is every item's neighbour, n^2 entries.
    huge = estimate_neighbourhood_bytes(X, 1e6)
    assert huge >= len(X) ** 2 * density._BYTES_PER_NEIGHBOUR_TREE
    wide = np.hstack([X] * 8)  # 16 dimensions: brute-force search, distances kept too
    assert estimate_neighbourhood_bytes(wide, 1e6) >= len(X) ** 2 * density._BYTES_PER_NEIGHBOUR


def _neighbours(X, eps):
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(radius=eps).fit(X).radius_neighbors(X, return_distance=False)


def test_a_radius_too_large_for_memory_is_refused(noisy_blobs, monkeypatch):
    X, _ = noisy_blobs
    with pytest.raises(DensityMemoryError, match="smaller eps.*HDBSCAN.*sample"):
        check_memory(X, 5.0, budget=1_000_000)
    assert check_memory(X, 0.1, budget=10**9) < 10**9
    monkeypatch.setattr(density, "memory_budget", lambda fraction=0.25: 1_000_000)
    with pytest.raises(DensityMemoryError, match=r"eps=50 on 840 items would need about"):
        _dbscan(X, eps=50.0)


def test_cancel_before_and_during_the_curve(noisy_blobs):
    X, _ = noisy_blobs
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        fit_dbscan(X, backend="sklearn", cancel=token)
    token = CancelToken()
    stages = []

    def cancel_on_first_batch(stage, done, total):
        stages.append((stage, done, total))
        token.cancel()

    with pytest.raises(Cancelled):
        k_distance_curve(
            np.random.default_rng(0).normal(size=(1500, 2)), 5, progress=cancel_on_first_batch, cancel=token
        )
    assert stages == [("k-distance curve", 500, 1500)]


def test_hdbscan_finds_clusters_of_different_densities():
    X, y = make_blobs(900, centers=[[0, 0], [10, 0], [5, 10]], cluster_std=[0.3, 1.0, 2.0], random_state=2)
    result = fit_hdbscan(X, min_samples=10)
    info = result.info
    assert info["min_cluster_size"] == 10 and info["n_clusters"] == 3
    kept = result.labels >= 0
    assert adjusted_rand_score(y[kept], result.labels[kept]) > 0.99 and kept.mean() > 0.8
    membership = info["membership"]
    assert membership.shape == (900,) and np.all((membership >= 0) & (membership <= 1))
    assert np.all(membership[~kept] == 0)
    assert info["n_noise"] == int(np.sum(~kept))


def test_hdbscan_checks_its_parameters_and_cancel():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="min_samples must be a whole number >= 1"):
        fit_hdbscan(X, min_samples=-3)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        fit_hdbscan(X, cancel=token)
    small = fit_hdbscan(X[:4], min_samples=50)
    assert small.info["min_cluster_size"] == 4


@pytest.mark.parametrize("algorithm", ["dbscan", "hdbscan"])
def test_pipeline_end_to_end_on_a_table(tmp_path, algorithm):
    X, y = make_moons(400, noise=0.05, random_state=3)
    table = pd.DataFrame(X, columns=["f0", "f1"])
    table["label"] = [f"moon{v}" for v in y]
    folder = tmp_path / "moons"
    folder.mkdir()
    table.to_csv(folder / "moons.csv", index=False)
    spec = Spec(paths=(str(folder),), algorithm=algorithm, min_samples=10, dbscan_backend="sklearn")
    result = run(spec.replace(use_cache=False))
    assert result.n_clusters == 2 and result.metrics["ari"] > 0.9
    if algorithm == "dbscan":
        assert result.clustering.info["eps"] > 0 and "k_distance" in result.clustering.info
    else:
        assert len(result.clustering.info["membership"]) == 400
