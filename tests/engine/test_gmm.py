"""Gaussian mixtures: k by BIC/AIC, covariance types, soft assignments, dimension reduction, cancel."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from engine.cluster import cluster, gmm
from engine.cluster.gmm import (
    UNCERTAIN_BELOW,
    CriterionCurve,
    certainty,
    fit_gmm,
    fit_mixture,
    select_mixture,
)
from engine.cluster.gmm_shape import MAX_DIMS
from engine.pipeline import Spec, run
from engine.progress import CHOOSE_K, Cancelled, CancelToken


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(400, centers=4, n_features=3, cluster_std=0.6, random_state=3)
    return X.astype(np.float32), y


def _fit(X, **spec):
    return fit_gmm(X, **spec)


def test_bic_finds_the_number_of_blobs(blobs):
    X, y = blobs
    result = cluster(X, "gmm", k=None, k_min=1, k_max=6)
    curve = result.curve
    assert isinstance(curve, CriterionCurve) and curve.criterion == "bic"
    assert curve.ks == list(range(1, 7)) and len(curve.bic) == len(curve.aic) == 6
    assert curve.best_k == 4 == int(np.argmin(curve.bic)) + 1
    assert adjusted_rand_score(y, result.labels) > 0.99
    assert np.array_equal(curve.labels, result.labels)
    data = json.loads(json.dumps(curve.to_dict()))  # plain JSON types
    assert data["best_k"] == 4 and data["criterion"] == "bic" and len(data["labels"]) == len(X)
    assert result.info["k"] == 4 and result.info["covariance_type"] == "full"


def test_aic_is_used_when_asked(blobs):
    X, _ = blobs
    result = _fit(X, k=None, k_min=2, k_max=5, criterion="aic")
    assert (
        result.curve.criterion == "aic"
        and result.curve.best_k == result.curve.ks[np.argmin(result.curve.aic)]
    )


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_every_covariance_type_separates_round_blobs(blobs, covariance_type):
    X, y = blobs
    result = _fit(X, k=4, covariance_type=covariance_type)
    assert result.curve is None and result.info["covariance_type"] == covariance_type
    assert adjusted_rand_score(y, result.labels) > 0.99


def _rotation(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])


def test_full_covariance_follows_stretched_clusters_that_spherical_splits():
    rng = np.random.default_rng(0)
    # Three long, thin clusters at different angles: one Gaussian each when covariances may stretch.
    parts = [(0, (0, 0)), (60, (25, 0)), (120, (12, 22))]
    X = np.vstack([rng.normal(size=(200, 2)) * [5.0, 0.4] @ _rotation(a) + c for a, c in parts])
    y = np.repeat(np.arange(3), 200)
    full = _fit(X, k=None, k_min=2, k_max=5, covariance_type="full")
    spherical = _fit(X, k=None, k_min=2, k_max=5, covariance_type="spherical")
    assert full.curve.best_k == 3 and adjusted_rand_score(y, full.labels) > 0.99
    curve = spherical.curve  # round components need several pieces per cluster; BIC counts pieces
    assert curve.ks[int(np.argmin(curve.bic))] > 3 and "BIC alone would pick" in curve.reason
    assert curve.best_k == 3  # the pieces are not stable between random halves, the clusters are


def test_soft_assignments_and_uncertain_items():
    X, y = make_blobs(300, centers=[[0, 0], [2.2, 0]], cluster_std=1.0, random_state=0)
    result = _fit(X, k=2)
    proba = result.probabilities
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(proba.argmax(axis=1), result.labels)  # column j is cluster j
    sure = certainty(proba)
    assert sure.shape == (300,) and np.all((sure >= 0.5) & (sure <= 1.0))
    assert result.info["uncertain_threshold"] == UNCERTAIN_BELOW == 0.8
    assert result.info["uncertain"] == int(np.sum(sure < 0.8)) > 10  # the overlap is uncertain
    middle = np.abs(X[:, 0] - 1.1) < 0.2
    assert sure[middle].mean() < sure[~middle].mean()


def test_certainty_rejects_a_flat_array():
    with pytest.raises(ValueError, match="items x clusters"):
        certainty(np.ones(5))


def test_few_items_per_cluster_in_long_vectors_beat_scikit_learns_default():
    """300 x 1280 in 10 clusters (the shape of 300 digit images' CNN features): tied covariances."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    latent = rng.normal(size=(10, 24))[y] + rng.normal(size=(300, 24)) * rng.uniform(0.3, 1.2, 24)
    X = latent @ rng.normal(size=(24, 1280)) + 0.5 * rng.normal(size=(300, 1280))
    result = _fit(X, k=10)
    assert (result.info["covariance_type"], result.info["dims"]) == ("tied", 32)
    assert "tied covariances in the top 32 principal components" in result.info["note"]
    # scikit-learn's GaussianMixture(10, random_state=0) scores 0.85 here (8 s, so not rerun); we had 0.75.
    assert adjusted_rand_score(y, result.labels) > 0.95


def test_high_dimensional_vectors_get_a_shape_their_items_can_estimate():
    X, y = make_blobs(300, centers=3, n_features=200, random_state=1)
    result = _fit(X.astype(np.float32), k=None, k_min=2, k_max=5)
    # 300 items cannot estimate full covariances in 64 principal components for 4 or 5 clusters.
    assert result.info["dims"] <= MAX_DIMS and "principal components" in result.info["note"]
    assert result.curve.best_k == 3 and adjusted_rand_score(y, result.labels) > 0.99
    diag = _fit(X.astype(np.float32), k=3, covariance_type="diag")
    assert diag.info["dims"] == MAX_DIMS and adjusted_rand_score(y, diag.labels) > 0.99


def test_many_items_choose_k_on_a_sample_and_fit_it_on_all(blobs, monkeypatch):
    X, y = blobs
    monkeypatch.setattr(gmm, "SCAN_SAMPLE", 150)
    result = _fit(X, k=None, k_min=2, k_max=6)
    assert "random sample of 150 of the 400 items" in result.info["note"]
    assert result.curve.best_k == 4 and result.probabilities.shape == (400, 4)
    assert adjusted_rand_score(y, result.labels) > 0.99


def test_duplicated_items_still_fit():
    X = np.repeat(np.random.default_rng(0).normal(size=(12, 3)), 10, axis=0)
    result = _fit(X, k=4)
    assert len(set(result.labels.tolist())) == 4 and result.info["reg_covar"] > 0


@pytest.mark.parametrize("seed", range(20))
def test_a_small_cluster_in_few_directions_of_many_still_fits(seed):
    # 12 items spanning 3 of 40 directions: their covariance is nearly singular and its inverse
    # came out asymmetric enough for scikit-learn to refuse the start (2 of these 20 seeds failed).
    rng = np.random.default_rng(seed)
    flat = 20 + rng.normal(size=(12, 3)) @ rng.normal(size=(3, 40)) * rng.uniform(0.1, 10, size=40)
    X = np.vstack([rng.normal(size=(300, 40)), flat])
    model = fit_mixture(X, 2, "full", n_init=1, random_state=0)
    assert sorted(np.bincount(model.predict(X)).tolist()) == [12, 300]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"k": 4, "covariance_type": "round"}, "covariance_type must be one of full, tied, diag, spherical"),
        ({"k": None, "criterion": "silhouette"}, "criterion must be bic or aic"),
        ({"k": 0}, "k must be between 1 and the number of items"),
        ({"k": 1000}, "k must be between 1 and the number of items"),
    ],
)
def test_bad_parameters_get_clear_messages(blobs, spec, message):
    with pytest.raises(ValueError, match=message):
        _fit(blobs[0], **spec)


def test_scan_range_is_checked(blobs):
    with pytest.raises(ValueError, match="k_min must be an integer >= 1"):
        select_mixture(blobs[0], 0, 3)
    with pytest.raises(ValueError, match="Cannot scan k from 6 with 5 items"):
        select_mixture(blobs[0][:5], 6, 8)


def test_progress_per_k_and_cancel_between_ks(blobs):
    X, _ = blobs
    calls = []
    select_mixture(X, 2, 5, progress=lambda *a: calls.append(a))
    assert calls[0] == (CHOOSE_K, 0, 4) and calls[-1] == (CHOOSE_K, 4, 4)
    token = CancelToken()
    seen = []

    def cancel_after_first(stage, done, total):
        seen.append(done)
        if done == 1:
            token.cancel()

    with pytest.raises(Cancelled):
        select_mixture(X, 2, 8, progress=cancel_after_first, cancel=token)
    assert max(seen) == 1  # stopped before the second k was finished


def test_cancel_stops_a_long_fit():
    token = CancelToken()
    token.cancel()
    X = np.random.default_rng(0).normal(size=(200, 2))
    with pytest.raises(Cancelled):
        fit_mixture(X, 3, cancel=token)


def test_pipeline_end_to_end_on_a_table(tmp_path):
    X, y = make_blobs(240, centers=3, n_features=4, cluster_std=0.7, random_state=5)
    table = pd.DataFrame(X, columns=[f"f{i}" for i in range(4)])
    table["label"] = [f"group{v}" for v in y]
    folder = tmp_path / "table"
    folder.mkdir()
    table.to_csv(folder / "blobs.csv", index=False)
    result = run(Spec(paths=(str(folder),), algorithm="gmm", k=None, k_min=1, k_max=6, use_cache=False))
    assert result.n_clusters == 3 and result.metrics["ari"] > 0.95
    assert isinstance(result.k_curve, CriterionCurve) and result.k_curve.best_k == 3
    assert result.clustering.probabilities.shape == (240, 3)
