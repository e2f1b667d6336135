"""Issue 8: the pipeline's defaults do not lose to plain scikit-learn on the same vectors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_wine, make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from engine.cluster import cluster
from engine.cluster.starts import MOST_STARTS, n_starts
from engine.pipeline import Spec, run

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def text_like(seed: int = 1, n: int = 240, k: int = 6, d: int = 384) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around k topic directions that share a common part, as sentence embeddings do."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=d) + 0.3 * rng.normal(size=(k, d))
    y = np.repeat(np.arange(k), n // k)
    X = centres[y] + rng.normal(size=(n, d))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), y


def test_starts_follow_the_budget():
    assert n_starts(240, 6, 384) == MOST_STARTS  # cheap: all of them
    assert 1 < n_starts(10_000, 10, 384) < MOST_STARTS
    assert n_starts(100_000, 10, 384) == 1


def test_pipeline_kmeans_is_stable_on_text_like_vectors():
    # With 3 starts, seed 2 of these gave ARI 0.67 (measured); the budget's starts agree.
    X, y = text_like()
    scores = [adjusted_rand_score(y, cluster(X, "kmeans", k=6, random_state=s).labels) for s in range(8)]
    assert min(scores) > 0.9, scores


@pytest.mark.parametrize("algorithm", ["kmeans", "agglomerative", "divisive"])
def test_k_auto_on_the_demo_time_series_finds_three(algorithm):
    result = run(Spec(paths=(str(DEMO / "timeseries"),), algorithm=algorithm, use_cache=False))
    assert result.n_clusters == 3 and result.metrics["ari"] > 0.95
    assert "prediction strength" in result.clustering.info["note"]
    assert "silhouette alone would pick k = 2" in result.clustering.curve.reason


def test_k_auto_finds_blobs_of_unequal_size_and_spread():
    X, y = make_blobs(
        [300, 100, 40], centers=[[0, 0], [8, 0], [0, 9]], cluster_std=[2.0, 1.0, 0.5], random_state=0
    )
    result = cluster(X, "kmeans", k=None)
    assert result.curve.best_k == 3 and adjusted_rand_score(y, result.labels) > 0.85  # K-Means itself: 0.88


@pytest.mark.parametrize(
    ("algorithm", "params"),
    [
        ("kmeans", {}),
        ("agglomerative", {"linkage": "ward"}),
        ("agglomerative", {"linkage": "single"}),
        ("divisive", {}),
        ("gmm", {}),
    ],
)
def test_k_auto_on_copies_of_three_answers_finds_three(algorithm, params):
    # Survey-like rows: three distinct answers repeated. Any k looked stable between random halves
    # (K-Means' surplus centres win no items), so the tree cuts chose k = 9 and split copies apart.
    answers = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    X = np.repeat(answers, [40, 30, 20], axis=0)
    result = cluster(X, algorithm, k=None, **params)
    assert sorted(np.bincount(result.labels).tolist()) == [20, 30, 40]


def test_mixture_on_wine_is_not_worse_than_scikit_learn():
    from sklearn.mixture import GaussianMixture

    data = load_wine()
    X = StandardScaler().fit_transform(data.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = adjusted_rand_score(data.target, GaussianMixture(3, random_state=0).fit_predict(X))
    ours = cluster(X, "gmm", k=3)
    assert adjusted_rand_score(data.target, ours.labels) >= reference - 1e-9
    assert ours.info["dims"] == 13 and "full covariances in 13 dimensions" in ours.info["note"]


def test_mixture_falls_back_to_a_shape_the_items_can_estimate():
    X, y = make_blobs(120, centers=3, n_features=100, random_state=1)
    result = cluster(X, "gmm", k=3)
    # 40 items per cluster cannot estimate a 64-dimensional full covariance; the note says what is used.
    note = result.info["note"]
    assert note.startswith("Full covariances in the top 64 principal components cannot be estimated")
    assert "tied covariances in the top 16" in note
    assert adjusted_rand_score(y, result.labels) > 0.99
    # With k open the shape is fitted for the largest k and kept for all: the note says "up to".
    scanned = cluster(X, "gmm", k=None, k_max=4).info["note"]
    assert "from 120 items in up to 4 clusters" in scanned and "the shape used for every k scanned" in scanned


@pytest.mark.parametrize("algorithm", ["dbscan", "hdbscan"])
def test_density_methods_with_automatic_settings_find_the_demo_segments(algorithm):
    result = run(Spec(paths=(str(DEMO / "tables"),), algorithm=algorithm, use_cache=False))
    assert result.n_clusters == 3 and result.metrics["ari"] > 0.9
    assert "chosen automatically" in result.clustering.info["note"]


@pytest.mark.parametrize("kind", ["tables", "timeseries"])
def test_mixture_k_auto_finds_the_demo_groups(kind):
    # BIC alone chose 9 on both (ARI 0.62 and 0.47): collapsed fits on the table, split classes on the series.
    result = run(Spec(paths=(str(DEMO / kind),), algorithm="gmm", use_cache=False))
    assert result.n_clusters == 3 and result.metrics["ari"] > 0.95
    curve = result.clustering.curve
    assert "BIC alone would pick k = " in curve.reason and curve.reason in result.clustering.info["note"]


def test_mixture_k_auto_finds_uniform_blobs_of_unequal_size_and_spread():
    rng = np.random.default_rng(1)
    sizes, widths, centres = [300, 100, 40], [6.0, 3.0, 1.5], np.array([[0, 0], [12, 0], [0, 12]])
    X = np.vstack(
        [c + rng.uniform(-w / 2, w / 2, (s, 2)) for c, s, w in zip(centres, sizes, widths, strict=True)]
    )
    y = np.repeat([0, 1, 2], sizes)
    result = cluster(X, "gmm", k=None)
    curve = result.curve
    assert curve.ks[int(np.argmin(curve.bic))] > 3  # Gaussians fit a square better in pieces
    assert curve.best_k == 3 and adjusted_rand_score(y, result.labels) > 0.99


def test_mixture_fits_that_collapse_onto_a_category_are_left_out():
    from engine.cluster.gmm import fit_mixture
    from engine.cluster.gmm_k import choose, collapsed
    from engine.cluster.gmm_shape import Space

    # The demo table's one-hot channel, on its principal components as the mixture sees them.
    X = Space.of(run(Spec(paths=(str(DEMO / "tables"),), use_cache=False)).embeddings).Z
    assert not collapsed(fit_mixture(X, 3, n_init=3)) and collapsed(fit_mixture(X, 9, n_init=3))
    nan = float("nan")
    best, reason = choose([2, 3, 4], [5.0, 3.0, 1.0], [False, False, True], [nan] * 3, "bic")
    assert best == 1 and reason.startswith("k = 3: the lowest BIC") and "left out k = 4" in reason
