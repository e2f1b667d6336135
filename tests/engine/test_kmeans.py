"""Our from-scratch K-Means: scikit-learn's estimator contract, correctness against scikit-learn,
and the engine's own promises (float32 kept, weights, relocation, cancel, chunking), plus choose_k."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import engine.cluster.kmeans as kmeans_module
from engine.cluster import lloyd as lloyd_module
from engine.cluster.choose_k import KCurve, choose_k, elbow
from engine.cluster.kmeans import KMeans, k_means
from engine.progress import Cancelled, CancelToken


@parametrize_with_checks([KMeans()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def blobs(n=600, d=5, k=4, std=0.5, seed=0):
    X, y = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=std, random_state=seed)
    return X, y


def test_recovers_well_separated_blobs():
    X, y = blobs()
    model = KMeans(4, random_state=0).fit(X)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert model.labels_.shape == (len(X),)
    assert model.cluster_centers_.shape == (4, X.shape[1])
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.score(X) == pytest.approx(-model.inertia_)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inertia_matches_sklearn_from_the_same_start(dtype):
    X, _ = blobs(n=3000, d=16, k=8, std=3.0, seed=1)
    X = X.astype(dtype)
    init, _ = kmeans_plusplus(X, 8, random_state=0)
    ours = KMeans(8, init=init, n_init=1).fit(X)
    theirs = SklearnKMeans(8, init=init, n_init=1, algorithm="lloyd").fit(X)
    assert ours.inertia_ <= theirs.inertia_ * 1.001
    assert ours.inertia_ >= theirs.inertia_ / 1.001


def test_float32_stays_float32():
    X, _ = blobs()
    X32 = X.astype(np.float32)
    model = KMeans(4, random_state=0).fit(X32)
    assert model.cluster_centers_.dtype == np.float32
    assert model.transform(X32).dtype == np.float32
    centers, labels, inertia, n_iter = k_means(X32, 4, random_state=0)
    assert centers.dtype == np.float32
    assert labels.dtype.kind == "i" and isinstance(inertia, float) and n_iter >= 1


@pytest.mark.parametrize("seed", range(10))
def test_sample_weight_equals_repeated_rows(seed):
    rng = np.random.RandomState(seed)
    X = rng.rand(40, 6)
    weights = rng.randint(0, 4, size=40)
    repeated = KMeans(5, random_state=seed).fit(X.repeat(weights, axis=0))
    order = rng.permutation(40)  # row order must not matter either
    weighted = KMeans(5, random_state=seed).fit(X[order], sample_weight=weights[order])
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(weighted.predict(X), repeated.predict(X))
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-10)


@pytest.mark.parametrize("threads", [1, 2])
def test_fractional_weights_give_weighted_means(monkeypatch, threads):
    monkeypatch.setattr(kmeans_module, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(kmeans_module, "_n_threads", lambda: threads)
    X, _ = blobs(n=800, k=5, std=2.0)
    weights = np.random.RandomState(1).uniform(0.1, 3.0, size=len(X))
    init, _ = kmeans_plusplus(X, 5, random_state=0)
    model = KMeans(5, init=init, n_init=1).fit(X, sample_weight=weights)
    for j in range(5):
        members = model.labels_ == j
        expected = np.average(X[members], axis=0, weights=weights[members])
        np.testing.assert_allclose(model.cluster_centers_[j], expected, rtol=1e-9)
    theirs = SklearnKMeans(5, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=weights)
    assert model.inertia_ == pytest.approx(theirs.inertia_, rel=1e-3)


def test_row_order_does_not_change_the_result():
    X, _ = blobs(n=500, k=6, std=2.0)
    perm = np.random.RandomState(3).permutation(len(X))
    a = KMeans(6, random_state=7).fit(X)
    b = KMeans(6, random_state=7).fit(X[perm])
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(a.labels_[perm], b.labels_)


def test_empty_cluster_is_relocated():
    X, _ = blobs(k=3)
    init = np.vstack([X[:3], np.full(X.shape[1], 1e3)])  # the last centre attracts no point
    model = KMeans(4, init=init, n_init=1).fit(X)
    assert np.unique(model.labels_).size == 4
    assert np.abs(model.cluster_centers_).max() < 100
    # Each centre is the mean of its points: no stale centre survived.
    for j in range(4):
        np.testing.assert_allclose(model.cluster_centers_[j], X[model.labels_ == j].mean(axis=0), rtol=1e-6)


def test_random_state_makes_runs_repeatable():
    X, _ = blobs(k=6, std=2.0)
    for init in ("k-means++", "random"):
        a = KMeans(6, init=init, random_state=42).fit(X)
        b = KMeans(6, init=init, random_state=42).fit(X)
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
        np.testing.assert_array_equal(a.labels_, b.labels_)


def test_cancel_stops_the_fit_and_progress_counts_runs():
    X, _ = blobs()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        k_means(X, 4, cancel=token)

    calls = []
    token = CancelToken()

    def progress(stage, done, total):
        calls.append((stage, done, total))
        if done == 1:
            token.cancel()  # the user presses Cancel during the second restart

    with pytest.raises(Cancelled):
        KMeans(4, n_init=3, progress=progress, cancel=token).fit(X)
    assert calls == [("k-means", 0, 3), ("k-means", 1, 3)]

    calls.clear()
    k_means(X, 4, n_init=2, progress=lambda *a: calls.append(a))
    assert calls == [("k-means", 0, 2), ("k-means", 1, 2), ("k-means", 2, 2)]


def test_chunked_and_threaded_passes_match_one_block(monkeypatch):
    X, _ = blobs(n=2000, d=8, k=7, std=3.0)
    X = X.astype(np.float32)
    init, _ = kmeans_plusplus(X, 7, random_state=0)
    whole = KMeans(7, init=init, n_init=1).fit(X)

    monkeypatch.setattr(lloyd_module, "_CHUNK_BYTES", 7 * 4 * 13)  # 13 rows per distance block
    chunked = KMeans(7, init=init, n_init=1).fit(X)
    monkeypatch.setattr(kmeans_module, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(kmeans_module, "_n_threads", lambda: 3)
    threaded = KMeans(7, init=init, n_init=1).fit(X)

    for other in (chunked, threaded):
        np.testing.assert_array_equal(other.labels_, whole.labels_)
        np.testing.assert_allclose(other.cluster_centers_, whole.cluster_centers_, rtol=1e-5)
        assert other.n_iter_ == whole.n_iter_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [9, 400])  # 400: beyond the float32 codes, plain argmin
def test_nearest_centre_matches_argmin_including_ties(dtype, k):
    rng = np.random.RandomState(0)
    X = rng.randint(-3, 4, size=(3000, 4)).astype(dtype)  # many exact ties
    centers = rng.randint(-3, 4, size=(k, 4)).astype(dtype)
    centers[5] = centers[2]  # duplicate centre: the lower index must win, as with argmin
    expected = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(kmeans_module._nearest(X, centers), expected)


def test_data_far_from_the_origin_is_clustered_like_centred_data():
    X, y = blobs(d=3, std=0.5)
    X32 = (X + 1e4).astype(np.float32)
    model = KMeans(4, random_state=0).fit(X32)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    assert model.cluster_centers_.dtype == np.float32
    assert np.all(np.abs(model.cluster_centers_ - 1e4) < 20)


def test_transform_gives_distances_to_centres():
    X, _ = blobs()
    model = KMeans(4, random_state=0).fit(X)
    D = model.transform(X)
    expected = np.sqrt(((X[:, None, :] - model.cluster_centers_[None]) ** 2).sum(axis=2))
    np.testing.assert_allclose(D, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(D.argmin(axis=1), model.labels_)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_clusters": 0}, "n_clusters must be an integer >= 1"),
        ({"n_clusters": 2.5}, "n_clusters must be an integer >= 1"),
        ({"n_clusters": 11}, "n_samples=10 should be >= n_clusters=11"),
        ({"n_clusters": 2, "n_init": 0}, "n_init must be"),
        ({"n_clusters": 2, "max_iter": 0}, "max_iter must be"),
        ({"n_clusters": 2, "tol": -1.0}, "tol must be"),
        ({"n_clusters": 2, "init": "kmeans"}, "init must be"),
        ({"n_clusters": 2, "init": np.zeros((3, 2))}, r"init array must have shape"),
    ],
)
def test_bad_parameters_give_clear_errors(kwargs, message):
    X = np.random.RandomState(0).rand(10, 2)
    with pytest.raises(ValueError, match=message):
        KMeans(**kwargs).fit(X)


def test_bad_sample_weight_gives_clear_errors():
    X = np.random.RandomState(0).rand(10, 2)
    with pytest.raises(ValueError, match="non-negative"):
        k_means(X, 2, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="shape"):
        k_means(X, 2, sample_weight=np.ones(9))


def test_choose_k_finds_four_blobs():
    X, y = blobs(n=800, d=6, k=4, std=0.7, seed=3)
    calls = []
    curve = choose_k(X, 2, 9, progress=lambda *a: calls.append(a))
    assert isinstance(curve, KCurve)
    assert curve.ks == list(range(2, 10))
    assert len(curve.inertia) == len(curve.silhouette) == len(curve.ks)
    assert curve.best_k == 4 and curve.elbow_k == 4
    assert adjusted_rand_score(y, curve.labels) == 1.0
    assert [c for c in calls if c[0] == "choose k"][-1] == ("choose k", 8, 8)
    assert calls[-1] == ("choose k (stability)", 8, 8)
    assert json.loads(json.dumps(curve.to_dict()))["best_k"] == 4


def test_choose_k_samples_large_inputs_and_clips_k_max():
    X, _ = blobs(n=400, d=4, k=3, std=0.5, seed=5)
    curve = choose_k(X, 2, 5, sample_size=100)
    assert curve.best_k == 3
    assert choose_k(X[:5], 2, 10).ks == [2, 3, 4]


def test_choose_k_on_identical_points_falls_back_to_k_min():
    curve = choose_k(np.ones((30, 3)), 2, 5)
    assert curve.best_k == 2
    assert all(np.isnan(curve.silhouette))
    assert curve.to_dict()["silhouette"] == [None] * 4
    assert curve.inertia == [0.0] * 4


def test_choose_k_can_be_cancelled():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        choose_k(blobs()[0], 2, 5, cancel=token)


def test_elbow_of_a_bent_curve():
    assert elbow([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8]) == 3
    assert elbow([2, 3], [5.0, 1.0]) == 2


def test_a_cloned_estimator_listens_to_the_same_cancel_token():
    from sklearn.base import clone

    from engine.progress import CancelToken

    token = CancelToken()
    copy = clone(KMeans(n_clusters=2, cancel=token))
    assert copy.cancel is token


def test_callable_init_is_called_as_scikit_learn_calls_it():
    X, _ = blobs(k=4)
    seen = []

    def first_rows(data, n_clusters, random_state):
        seen.append((data.shape, n_clusters, type(random_state).__name__))
        return data[:n_clusters]

    model = KMeans(4, init=first_rows, n_init=2, random_state=0).fit(X)
    assert seen == [(X.shape, 4, "RandomState")] * 2  # once per run
    same_start = KMeans(4, init=X[:4], n_init=1).fit(X)
    np.testing.assert_allclose(model.cluster_centers_, same_start.cluster_centers_)
    with pytest.raises(ValueError, match="init array must have shape"):
        KMeans(4, init=lambda data, k, rs: data[:2]).fit(X)


def test_an_init_array_with_several_starts_warns_and_runs_once():
    X, _ = blobs(k=4)
    calls = []
    with pytest.warns(RuntimeWarning, match="running once instead of n_init=3"):
        k_means(X, 4, init=X[:4], n_init=3, progress=lambda *call: calls.append(call))
    assert calls[-1] == ("k-means", 1, 1)
