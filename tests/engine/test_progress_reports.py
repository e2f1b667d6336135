"""Stages that used to be one silent call now report while they work: counted where the work is
chunked (a big CSV file, HDBSCAN's tree), estimated from time where it is one library call (t-SNE).
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import progress as p
from engine.cluster import dbscan, hdbscan_tree
from engine.ingest import csv_frame, csv_reader
from engine.progress import Cancelled, CancelToken, CostModel, Ticker, estimated, estimated_steps

scan = importlib.import_module("engine.ingest.scan")  # the package exports the function under that name


class Recorder:
    def __init__(self) -> None:
        self.reports: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.reports.append((stage, done, total))

    def of(self, word: str) -> list[tuple[int, int]]:
        return [(d, t) for s, d, t in self.reports if word in s]


def _table(path: Path, n: int = 5000) -> Path:
    """Numbers with missing and junk cells, a category, a label: what the reader repairs."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n, 8)).round(4), columns=[f"x{j}" for j in range(8)])
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    frame["label"] = rng.choice(["a", "b"], n)
    text = frame.to_csv(index=False).splitlines()
    text[10] = text[10].replace(text[10].split(",")[0], "", 1)  # a missing cell
    text[4000] = "oops," + text[4000].split(",", 1)[1]  # junk in a numeric column, late in the file
    path.write_text("\n".join(text) + "\n")
    return path


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_frame, "PARSE_CELLS", 10_000)  # 1 000-row chunks on a 10-column file


def test_chunked_read_counts_rows_and_gives_the_one_shot_frame(tmp_path: Path, small_chunks: None) -> None:
    path = _table(tmp_path / "t.csv")
    seen = Recorder()
    chunked = csv_reader.read_csv(path, lambda phase, done, total: seen(phase, done, total))
    whole = csv_reader.read_csv(path)
    pd.testing.assert_frame_equal(chunked.frame, whole.frame)
    assert [pr.message for pr in chunked.problems] == [pr.message for pr in whole.problems]
    assert any("not numbers" in pr.message for pr in whole.problems)
    parsed = seen.of("parsing")
    dones = [d for d, _ in parsed]
    assert len(parsed) >= 5 and dones == sorted(set(dones))
    assert parsed[-1] == (5000, 5000)


def test_a_column_typed_differently_between_chunks_is_read_as_one_shot(
    tmp_path: Path, small_chunks: None
) -> None:
    """Codes that look like numbers for the first chunk stay text ("1.50", not 1.5), as in one read."""
    codes = ["1.50"] * 1500 + [f"A{i}" for i in range(1500)]
    frame = pd.DataFrame({"code": codes, "x": np.arange(3000.0), "y": np.arange(3000.0) % 7})
    path = tmp_path / "codes.csv"
    frame.to_csv(path, index=False)
    chunked = csv_reader.read_csv(path, lambda *_: None)
    pd.testing.assert_frame_equal(chunked.frame, csv_reader.read_csv(path).frame)
    assert chunked.frame["code"].iloc[0] == "1.50"


def test_cancel_during_a_big_file_stops_within_one_chunk(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "REPORTED_CSV_BYTES", 0)
    path = _table(tmp_path / "t.csv")
    token = CancelToken()
    parsed: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if "parsing" in stage:
            parsed.append(done)
            if done >= 2000:
                token.cancel()

    with pytest.raises(Cancelled):
        scan.scan([path], progress=progress, cancel=token)
    assert parsed[-1] == 2000  # the report after the Cancel raised before another chunk was read


def test_a_big_file_reports_its_phases_under_the_ingest_stage(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "REPORTED_CSV_BYTES", 0)
    seen = Recorder()
    collection = scan.scan([_table(tmp_path / "t.csv")], progress=seen)
    assert len(collection.items) == 5000
    assert {p.stage_of(s) for s, _, _ in seen.reports} == {p.INGEST}
    phases = [s.split(": ")[1].rstrip(")") for s, _, _ in seen.reports if ": " in s]
    for phase in ("checking rows", "parsing", "converting columns", "building features", "making items"):
        assert phase in phases
    assert all(d <= t for _, d, t in seen.reports)


def test_estimated_steps_move_and_never_reach_the_end() -> None:
    steps = [estimated_steps(t, 10.0) for t in np.linspace(0, 200, 400)]
    assert steps == sorted(steps)
    assert steps[0] == 0 and max(steps) == p.ESTIMATE_STEPS - 1
    assert estimated_steps(10.0, 10.0) == 90
    assert estimated_steps(15.0, 10.0) > estimated_steps(12.0, 10.0)


class _Waiting(Recorder):
    """Lets the test block until the ticker has reported ``wanted`` times (no sleeping)."""

    def __init__(self, wanted: int, fail_at: int | None = None) -> None:
        super().__init__()
        self.wanted, self.fail_at = wanted, fail_at
        self.enough = threading.Event()

    def __call__(self, stage: str, done: int, total: int) -> None:
        super().__call__(stage, done, total)
        if len(self.reports) >= self.wanted:
            self.enough.set()
        if self.fail_at is not None and len(self.reports) >= self.fail_at:
            raise Cancelled("cancelled by the user")


def test_ticker_reports_until_the_block_ends_and_then_stops() -> None:
    sink = _Waiting(5)
    ticker = Ticker(sink, "HDBSCAN (estimate)", expected_s=0.02, interval_s=0.005)
    with ticker:
        assert sink.enough.wait(10)
    after = len(sink.reports)
    assert not ticker._thread.is_alive() and len(sink.reports) == after
    assert sink.reports[0] == ("HDBSCAN (estimate)", 0, p.ESTIMATE_STEPS)
    assert all(0 <= d < t == p.ESTIMATE_STEPS for _, d, t in sink.reports)


def test_ticker_stops_on_an_error_in_the_block() -> None:
    sink = _Waiting(3)
    ticker = Ticker(sink, "layout (estimate)", expected_s=1.0, interval_s=0.005)
    with pytest.raises(ZeroDivisionError), ticker:
        assert sink.enough.wait(10)
        _ = 1 / 0
    assert not ticker._thread.is_alive()


def test_ticker_stops_reporting_when_the_sink_hears_cancel() -> None:
    """The engine process's sink raises Cancelled; the ticks stop, the call goes on to its end."""
    sink = _Waiting(3, fail_at=3)
    ticker = Ticker(sink, "layout (estimate)", expected_s=1.0, interval_s=0.005)
    with ticker:
        assert sink.enough.wait(10)
        ticker._thread.join(10)  # the thread ends by itself after the Cancel
        assert not ticker._thread.is_alive()
    assert len(sink.reports) == 3


def test_cost_model_learns_the_rate_of_a_finished_call() -> None:
    model = CostModel(1.0, lambda n, d: float(n * d))
    with estimated(Recorder(), p.LAYOUT, model, 10, 2, detail="t-SNE"):
        pass  # too short to learn from: the starting rate stays
    assert model.seconds_per_unit == 1.0
    model.learn(10, 2, 4.0)
    assert model.expected_s(20, 2) == pytest.approx(8.0)


def test_hdbscan_tree_gives_scikit_learns_clusters_and_counts_its_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sklearn.cluster import HDBSCAN
    from sklearn.datasets import make_blobs

    monkeypatch.setattr(hdbscan_tree, "STEP_REPORT", 100)
    X, _ = make_blobs(1500, n_features=20, centers=5, cluster_std=2.0, random_state=1)
    seen = Recorder()
    labels, strengths = hdbscan_tree.hdbscan_fit(
        X, 8, hdbscan_tree.tree_functions(), seen, p.HDBSCAN, "min_cluster_size 8", p.NEVER_CANCELLED
    )
    reference = HDBSCAN(min_cluster_size=8, copy=True).fit(X)
    np.testing.assert_array_equal(labels, reference.labels_)
    np.testing.assert_allclose(strengths, reference.probabilities_, atol=1e-9)
    tree = seen.of("tree")
    assert len(seen.of("neighbours")) >= 1 and len(tree) >= 10
    assert tree[-1] == (1499, 1499) and [d for d, _ in tree] == sorted(d for d, _ in tree)


def test_cancel_inside_hdbscan_tree_is_heard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hdbscan_tree, "STEP_REPORT", 50)
    X = np.random.default_rng(0).normal(size=(600, 8))
    token = CancelToken()

    def progress(stage: str, done: int, total: int) -> None:
        if "tree" in stage and done >= 100:
            token.cancel()

    with pytest.raises(Cancelled):
        dbscan.fit_hdbscan(X, min_samples=5, progress=progress, cancel=token)


def test_tsne_layout_reports_an_estimate_between_start_and_end() -> None:
    from engine.layout import embed_2d

    seen = Recorder()
    X = np.random.default_rng(0).normal(size=(150, 5)).astype(np.float32)
    coords = embed_2d(X, "tsne", progress=seen)
    assert coords.shape == (150, 2)
    estimates = seen.of("t-SNE, estimate")
    assert estimates and estimates[0] == (0, p.ESTIMATE_STEPS)
    assert all(d < t for d, t in estimates)
    assert seen.reports[-1] == (p.LAYOUT, 3, 3)


def _blobs() -> np.ndarray:
    from sklearn.datasets import make_blobs

    return make_blobs(400, n_features=6, centers=3, random_state=2)[0].astype(np.float32)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (lambda X, rec: cluster_with(X, "gmm", rec, k=3), "mixture: fit (k = 3, full: EM steps)"),
        (lambda X, rec: cluster_with(X, "gmm", rec, k=3), "mixture: fit (k = 3, full: K-Means starts)"),
        (lambda X, rec: cluster_with(X, "agglomerative", rec, k=3), "linkage (estimate)"),
        (lambda X, rec: cluster_with(X, "agglomerative", rec, k=None), "choose k (stability)"),
        (lambda X, rec: cluster_with(X, "dbscan", rec, backend="sklearn"), "DBSCAN (estimate)"),
        (
            lambda X, rec: cluster_with(X, "hdbscan", rec, min_samples=None),
            "HDBSCAN (choosing min_cluster_size)",
        ),
        (lambda X, rec: layout_with(X, rec), "layout (PCA, estimate)"),
        (lambda X, rec: detect_with(X, rec), "anomaly (fitting iforest, estimate)"),
    ],
)
def test_long_stages_report_between_their_start_and_end(run, expected: str) -> None:
    seen = Recorder()
    run(_blobs(), seen)
    assert expected in {s for s, _, _ in seen.reports}
    assert all(0 <= d <= t for _, d, t in seen.reports)


def cluster_with(X: np.ndarray, algorithm: str, rec: Recorder, **params: object) -> None:
    from engine.cluster import cluster

    cluster(X, algorithm, progress=rec, **params)


def layout_with(X: np.ndarray, rec: Recorder) -> None:
    from engine.layout import embed_2d

    embed_2d(X, "pca", progress=rec)


def detect_with(X: np.ndarray, rec: Recorder) -> None:
    from engine.anomaly import detect

    detect(X, "iforest", progress=rec)


def test_metrics_stage_reports_its_two_parts() -> None:
    from engine.pipeline import score_clusters

    X = _blobs()
    labels = np.repeat([0, 1, 2, 3], 100)
    seen = Recorder()
    per_item, scores = score_clusters(X, labels, None, 0, seen)
    assert per_item is not None and "silhouette" in scores
    assert seen.reports == [(p.METRICS, 0, 2), (p.METRICS, 1, 2), (p.METRICS, 2, 2)]


def test_table_scaling_is_fitted_in_counted_chunks_with_the_whole_tables_mean_and_spread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine.embed import tabular
    from engine.items import Collection

    monkeypatch.setattr(tabular, "FIT_CHUNK", 7)
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.normal(1e6, 2.0, 50), rng.normal(-3, 0.1, 50), rng.integers(0, 2, 50)])
    collection = Collection(items=[], feature_names=["big", "small", "kind=a"], one_hot={"kind": ["kind=a"]})
    seen: list[tuple[str, int, int]] = []
    embedder = tabular.StandardizedTable()
    embedder.fit(list(rows), collection, lambda *a: seen.append(a), p.NEVER_CANCELLED)
    indicator, mean, std = embedder._scaling
    assert indicator.tolist() == [False, False, True]
    np.testing.assert_allclose(mean, rows[:, :2].mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(std, rows[:, :2].std(axis=0), rtol=1e-5)  # exact though the mean is 1e6
    assert [done for _, done, _ in seen] == [7, 14, 21, 28, 35, 42, 49, 50]
    assert all(p.stage_of(stage) == p.FEATURES for stage, _, _ in seen)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        embedder.fit(list(rows), collection, lambda *a: None, cancel)
