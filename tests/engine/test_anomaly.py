"""Anomaly detection on data with planted outliers: every detector, thresholds, sample fits, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import roc_auc_score

from engine import anomaly
from engine.anomaly import DETECTORS, detect, flags_at, threshold_for
from engine.progress import Cancelled, CancelToken


def planted(n: int = 600, d: int = 5, share: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tight blobs plus points drawn uniformly over their bounding box (the outliers, marked 1)."""
    rng = np.random.default_rng(seed)
    m = int(n * share)
    X, _ = make_blobs(
        n - m, n_features=d, centers=4, cluster_std=0.6, center_box=(-10, 10), random_state=seed
    )
    noise = rng.uniform(X.min(axis=0) - 2, X.max(axis=0) + 2, size=(m, d))
    return np.vstack([X, noise]).astype(np.float32), np.r_[np.zeros(n - m), np.ones(m)]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return planted()


# Outliers scattered between the blobs: the distance-based detectors find them all; ECOD and COPOD
# judge each feature's tails and only see those outside the blobs' range (their known limit).
MIN_AUC = {"knn": 0.98, "iforest": 0.98, "lof": 0.98, "ocsvm": 0.9, "ecod": 0.8, "copod": 0.8}
MIN_PRECISION = {"knn": 0.9, "iforest": 0.9, "lof": 0.9, "ocsvm": 0.8, "ecod": 0.3, "copod": 0.3}


@pytest.mark.parametrize("name", DETECTORS)
def test_every_detector_ranks_the_planted_outliers_first(data, name):
    X, truth = data
    result = detect(X, name, contamination=0.05)
    assert result.detector == name and result.contamination == 0.05
    assert result.scores.shape == (len(X),) and np.isfinite(result.scores).all()
    assert roc_auc_score(truth, result.scores) > MIN_AUC[name]
    # The flags are exactly the scores above the threshold, about 5% of the items.
    assert result.flags.dtype == bool and np.array_equal(result.flags, result.scores > result.threshold)
    assert result.threshold == pytest.approx(threshold_for(result.scores, 0.05))
    assert 0.03 * len(X) <= result.flags.sum() <= 0.05 * len(X)
    assert truth[result.flags].mean() >= MIN_PRECISION[name]


@pytest.mark.parametrize("name", DETECTORS)
def test_every_detector_finds_items_far_outside_the_data(name):
    X, _ = make_blobs(500, n_features=4, centers=3, cluster_std=0.5, random_state=4)
    far = np.random.default_rng(4).normal(size=(10, 4)) * 3 + np.sign(np.arange(10) % 2 - 0.5)[:, None] * 30
    result = detect(np.vstack([X, far]).astype(np.float32), name, contamination=0.02)
    assert set(np.argsort(result.scores)[-10:]) == set(range(500, 510))


def test_every_detector_has_a_description():
    assert (
        set(anomaly.DETECTOR_DESCRIPTIONS)
        == set(DETECTORS)
        == {"knn", "iforest", "lof", "ecod", "copod", "ocsvm"}
    )
    assert all(text.strip() for text in anomaly.DETECTOR_DESCRIPTIONS.values())


def test_the_threshold_moves_without_refitting(data):
    X, _ = data
    result = detect(X, "iforest", contamination=0.05)
    lower = threshold_for(result.scores, 0.2)
    assert lower < result.threshold
    assert flags_at(result.scores, lower).sum() == pytest.approx(0.2 * len(X), abs=2)
    assert flags_at(result.scores, result.scores.max()).sum() == 0
    assert flags_at(result.scores, result.scores.min() - 1).all()


def test_contamination_sets_the_share_flagged(data):
    X, _ = data
    counts = [detect(X, "ecod", contamination=c).flags.sum() for c in (0.01, 0.1, 0.5)]
    assert counts[0] < counts[1] < counts[2]
    assert counts[2] == pytest.approx(0.5 * len(X), abs=2)


def test_same_seed_same_scores(data):
    X, _ = data
    a = detect(X, "iforest", random_state=3).scores
    assert np.array_equal(a, detect(X, "iforest", random_state=3).scores)
    assert not np.array_equal(a, detect(X, "iforest", random_state=4).scores)


@pytest.mark.parametrize("bad", [0, -0.1, 0.6, 1, "many", None, float("nan")])
def test_contamination_must_be_a_share_up_to_one_half(data, bad):
    with pytest.raises(ValueError, match="contamination"):
        detect(data[0], "knn", contamination=bad)
    with pytest.raises(ValueError, match="contamination"):
        threshold_for(np.arange(5.0), bad)


def test_unknown_detector_lists_the_choices(data):
    with pytest.raises(ValueError, match="Unknown detector 'nope'.*knn, iforest, lof, ecod, copod, ocsvm"):
        detect(data[0], "nope")


def test_bad_vectors_are_refused():
    with pytest.raises(ValueError, match="at least 2 items"):
        detect(np.ones((1, 3)), "knn")
    with pytest.raises(ValueError, match="2-D"):
        detect(np.ones(5), "knn")
    X = np.ones((5, 2))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        detect(X, "ecod")
    with pytest.raises(ValueError, match="no scores"):
        threshold_for(np.zeros(0), 0.1)


@pytest.mark.parametrize("name", ["knn", "lof"])
def test_few_items_lower_the_number_of_neighbours_with_a_note(name):
    X = np.array([[0, 0], [0.1, 0], [0, 0.1], [0.1, 0.1], [0.05, 0.12], [5, 5]], dtype=np.float32)
    result = detect(X, name, contamination=0.2)
    assert any("used 2 neighbours" in note for note in result.notes)
    assert int(np.argmax(result.scores)) == 5 and result.flags.tolist() == [False] * 5 + [True]


@pytest.mark.parametrize("name", DETECTORS)
def test_two_items_are_enough(name):
    result = detect(np.array([[0.0, 1.0], [1.0, 0.0]]), name, contamination=0.5)
    assert result.scores.shape == (2,) and np.isfinite(result.scores).all()


def test_constant_features_are_ignored_and_all_constant_data_flags_nothing(data):
    X, truth = data
    widened = np.hstack([X, np.full((len(X), 2), 7.0, dtype=np.float32)])
    for name in ("ecod", "copod"):  # a constant column would make their scores NaN
        scores = detect(widened, name).scores
        assert np.isfinite(scores).all() and np.allclose(scores, detect(X, name).scores)
    flat = detect(np.full((20, 3), 2.0), "knn")
    assert not flat.flags.any() and np.all(flat.scores == 0)
    assert any("same value" in note for note in flat.notes)


def test_wide_vectors_are_reduced_with_pca_first():
    X, truth = planted(n=400, d=300, seed=1)
    result = detect(X, "knn")
    assert any("300-dimensional vectors were reduced to 100 with PCA" in note for note in result.notes)
    assert roc_auc_score(truth, result.scores) > 0.9
    # The note names the vectors as the user knows them (the map said 1280, the note 1230).
    padded = np.hstack([X, np.zeros((len(X), 20))])
    said = " ".join(detect(padded, "knn").notes)
    assert "The 320-dimensional vectors (20 constant ones left out) were reduced to 100" in said


@pytest.mark.parametrize("name", ["knn", "lof", "ocsvm"])
def test_large_inputs_fit_a_sample_and_score_the_rest_in_chunks(monkeypatch, data, name):
    monkeypatch.setitem(anomaly.FIT_SAMPLE, name, 250)
    monkeypatch.setattr(anomaly, "SCORE_CHUNK", 100)
    X, truth = data
    seen: list[tuple[str, int, int]] = []
    result = detect(X, name, progress=lambda s, d, t: seen.append((s, d, t)))
    assert any("sample of 250 of the 600" in note for note in result.notes)
    assert np.isfinite(result.scores).all() and roc_auc_score(truth, result.scores) > 0.9
    # prepare + fit + 4 chunks of the 350 items left out of the sample; the fit itself is estimated
    counted = [(d, t) for s, d, t in seen if s == "anomaly"]
    assert [d for d, _ in counted] == [0, 1, 2, 3, 4, 5, 6, 6] and {t for _, t in counted} == {6}
    assert {s for s, _, _ in seen} == {"anomaly", f"anomaly (fitting {name}, estimate)"}


def test_cancel_before_start_and_between_chunks(monkeypatch, data):
    X, _ = data
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        detect(X, "ecod", cancel=token)
    monkeypatch.setitem(anomaly.FIT_SAMPLE, "knn", 200)
    monkeypatch.setattr(anomaly, "SCORE_CHUNK", 100)
    token = CancelToken()
    chunks: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "anomaly" and done >= 3:  # the first chunk of the rest has been scored
            chunks.append(done)
            token.cancel()

    with pytest.raises(Cancelled):
        detect(X, "knn", progress=progress, cancel=token)
    assert chunks == [3]


def test_pipeline_scores_outliers_end_to_end(tmp_path):
    from engine.pipeline import Spec, run

    X, truth = planted(n=300, d=4, seed=2)
    labels = np.where(truth == 1, "outlier", "normal")
    header = ",".join([f"f{j}" for j in range(X.shape[1])] + ["label"])
    rows = [",".join([*(f"{v:.5f}" for v in row), lab]) for row, lab in zip(X, labels, strict=True)]
    (tmp_path / "points.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    spec = Spec(paths=(str(tmp_path),), algorithm="kmeans", k=4, detector="iforest", contamination=0.05)
    result = run(spec)
    assert result.anomaly is not None and result.anomaly.detector == "iforest"
    assert len(result.anomaly.scores) == len(result.analysed.items) == 300
    known = np.array([item.label == "outlier" for item in result.analysed.items])
    assert roc_auc_score(known, result.anomaly.scores) > 0.9
    assert set(result.scores) == {"anomaly_score", "outlier"}
    assert result.scores["outlier"].sum() == result.anomaly.flags.sum() > 0
    # Another contamination re-scores but neither re-embeds nor re-clusters.
    again = run(spec.replace(contamination=0.1), previous=result)
    assert "anomaly" in again.timings and "cluster" not in again.timings
    assert again.anomaly.flags.sum() > result.anomaly.flags.sum()
