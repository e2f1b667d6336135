"""Metrics and the 2-D map on data with known structure."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from engine import layout, metrics


def test_metrics_on_perfect_and_random_clusterings():
    X, y = make_blobs(600, centers=4, cluster_std=0.5, random_state=1)
    truth = [f"class{v}" for v in y]
    good = metrics.evaluate(X, y, truth)
    bad = metrics.evaluate(X, np.random.default_rng(0).integers(0, 4, len(y)), truth)
    assert good["ari"] == pytest.approx(1.0) and good["nmi"] == pytest.approx(1.0)
    assert abs(bad["ari"]) < 0.05
    assert good["silhouette"] > 0.6 > bad["silhouette"]
    assert good["davies_bouldin"] < bad["davies_bouldin"]
    assert good["calinski_harabasz"] > bad["calinski_harabasz"]


def test_external_scores_need_two_known_classes():
    X, y = make_blobs(50, centers=2, random_state=0)
    scores = metrics.evaluate(X, y, ["same"] * 50)
    assert "ari" not in scores and "silhouette" in scores
    partly = metrics.evaluate(X, y, [None] * 25 + ["a", "b"] * 12 + ["a"])
    assert "ari" in partly


def test_noise_is_left_out_and_one_cluster_has_no_internal_scores():
    X, _ = make_blobs(40, centers=2, random_state=0)
    labels = np.zeros(40, dtype=int)
    labels[:3] = -1
    scores = metrics.evaluate(X, labels)
    assert scores["n_noise"] == 3 and scores["n_clusters"] == 1
    assert "silhouette" not in scores


def test_silhouette_is_sampled_on_large_inputs(monkeypatch):
    X, y = make_blobs(3000, centers=3, random_state=0)
    exact = metrics.evaluate(X, y)["silhouette"]
    monkeypatch.setattr(metrics, "SILHOUETTE_SAMPLE", 300)
    sampled = metrics.evaluate(X, y)["silhouette"]
    assert sampled != exact and abs(sampled - exact) < 0.05


def test_pca_layout_keeps_separated_groups_apart():
    X, y = make_blobs(300, n_features=20, centers=3, cluster_std=0.3, random_state=2)
    coords = layout.embed_2d(X.astype(np.float32))
    assert coords.shape == (300, 2) and coords.dtype == np.float32
    centroids = np.array([coords[y == c].mean(axis=0) for c in range(3)])
    spread = max(coords[y == c].std(axis=0).max() for c in range(3))
    gaps = [np.linalg.norm(centroids[a] - centroids[b]) for a in range(3) for b in range(a + 1, 3)]
    assert min(gaps) > 3 * spread


def test_layout_of_constant_and_one_dimensional_data():
    assert np.all(layout.embed_2d(np.ones((10, 3))) == 0)
    coords = layout.embed_2d(np.arange(10, dtype=np.float32)[:, None])
    assert np.all(coords[:, 1] == 0) and coords[:, 0].std() > 0
    with pytest.raises(ValueError, match="Unknown layout"):
        layout.embed_2d(np.ones((3, 2)), method="nope")
