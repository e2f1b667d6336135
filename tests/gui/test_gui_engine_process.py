"""The engine in its own process: the handed-over result equals the in-process one, Cancel is back
to idle within a second in every stage (HDBSCAN's one long C call too), a crash is a message."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engine import pipeline, store
from engine.pipeline import Spec
from gui.main_window import MainWindow
from gui.worker import PipelineWorker


def write_table(folder: Path, n: int, dims: int, seed: int = 0) -> Path:
    """``n`` rows around four centres, in one CSV file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, dims)) + 6.0 * (np.arange(n) % 4)[:, None]
    header = ",".join(f"c{i}" for i in range(dims))
    np.savetxt(folder / "table.csv", values, delimiter=",", header=header, comments="", fmt="%.3f")
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_table(tmp_path_factory.mktemp("small"), 300, 4)


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    return write_table(tmp_path_factory.mktemp("big"), 200_000, 8, seed=2)


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> pipeline.Result:
    """A result the window holds: 15 000 x 16, where HDBSCAN alone takes 4-5 s in-process (one C call)."""
    folder = write_table(tmp_path_factory.mktemp("medium"), 15_000, 16, seed=1)
    return pipeline.run(Spec(paths=(str(folder),), k=4, use_cache=False))


@pytest.fixture(scope="module")
def worker(qapp):
    w = PipelineWorker()
    w.warm_up()
    yield w
    assert w.shutdown(5000)


def finish(qtbot, worker: PipelineWorker, spec: Spec, previous=None) -> pipeline.Result:
    with qtbot.waitSignal(worker.finished, timeout=60_000) as blocker:
        worker.start(spec, previous=previous)
    return blocker.args[0]


def test_the_handed_over_result_equals_the_in_process_one(qtbot, worker, small):
    spec = Spec(paths=(str(small),), k=3, detector="iforest", use_cache=False)
    result = finish(qtbot, worker, spec)
    expected = pipeline.run(spec)
    assert np.array_equal(result.labels, expected.labels)
    assert np.array_equal(result.coords, expected.coords)
    assert np.array_equal(result.embeddings, expected.embeddings)
    assert np.array_equal(result.anomaly.scores, expected.anomaly.scores)
    assert [it.id for it in result.analysed.items] == [it.id for it in expected.analysed.items]
    assert result.metrics == pytest.approx(expected.metrics)

    # The engine kept the result: another k re-clusters without reading or embedding again.
    again = finish(qtbot, worker, spec.replace(k=4), previous=result)
    assert again.n_clusters == 4 and "ingest" not in again.timings and "embed" not in again.timings


def test_an_opened_project_becomes_the_engines_previous_result(qtbot, worker, small, tmp_path):
    spec = Spec(paths=(str(small),), k=3, use_cache=False)
    path = tmp_path / "saved.dm6"
    store.save(pipeline.run(spec), path, {})
    opened, _view = store.load(path)
    worker.adopt(opened, str(path))
    again = finish(qtbot, worker, spec.replace(k=2), previous=opened)
    assert again.n_clusters == 2 and "ingest" not in again.timings and "embed" not in again.timings
    assert path.exists()  # the user's project is read, never consumed


@pytest.mark.parametrize(
    ("stage", "changes"),
    [
        pytest.param("ingest", {"paths": "big"}, marks=pytest.mark.slow),
        ("HDBSCAN", {"algorithm": "hdbscan"}),
        pytest.param("layout", {"layout": "tsne"}, marks=pytest.mark.slow),
        pytest.param("anomaly", {"detector": "knn"}, marks=pytest.mark.slow),
    ],
)
def test_cancel_in_every_stage_is_back_to_idle_within_a_second(qtbot, request, worker, kept, stage, changes):
    """Each run starts from a kept result, so it reaches its stage at once (ingest: a new input)."""
    if "paths" in changes:
        changes = {"paths": (str(request.getfixturevalue(changes["paths"])),)}
    reached: list[float] = []
    worker.progress.connect(lambda name, *_: name.startswith(stage) and reached.append(time.monotonic()))
    worker.start(kept.spec.replace(**changes), previous=kept)
    qtbot.waitUntil(lambda: bool(reached), timeout=30_000)
    with qtbot.assertNotEmitted(worker.finished), qtbot.waitSignal(worker.cancelled, timeout=2000):
        asked = time.monotonic()
        worker.cancel()
    assert time.monotonic() - asked < 1.0
    assert not worker.running
    worker.progress.disconnect()


def test_a_crashing_engine_leaves_a_usable_window_and_the_next_run_works(qtbot, small):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.show()
    window.worker.engine.abort_at("layout")  # test hook: os.abort() in the engine process
    with qtbot.waitSignal(window.worker.failed, timeout=60_000) as blocker:
        window.open_paths([small])
    assert "engine stopped unexpectedly" in blocker.args[0] and "SIGABRT" in blocker.args[0]
    assert "engine stopped unexpectedly" in window.stage_label.text()
    assert not window.cancel_button.isEnabled() and not window.worker.running
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        window.run_now()
    assert shown.args[0].n_clusters >= 2 and window.scatter.point_count() == 300
    window.close()
