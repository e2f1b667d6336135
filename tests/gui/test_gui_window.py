"""The main window with a stand-in engine: dropping input, showing results, re-running, cancel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.items import Problem
from engine.pipeline import PipelineError
from gui.main_window import MainWindow


class FakeEngine:
    """Returns hand-made results; ``delay_s`` lets a test press Cancel mid-run."""

    def __init__(self, make_result, fake_k_curve) -> None:
        self.make_result = make_result
        self.k_curve = fake_k_curve
        self.delay_s = 0.0
        self.calls: list[tuple] = []

    def __call__(self, spec, progress, cancel, previous=None):
        self.calls.append((spec, previous))
        end = time.monotonic() + self.delay_s
        while time.monotonic() < end:
            cancel.raise_if_cancelled()
            progress("embed", 1, 2)
            time.sleep(0.01)
        if not spec.paths[0].endswith("in"):
            raise PipelineError("No usable items were found.")
        problems = [Problem(Path(spec.paths[0]) / "bad.csv", "ingest", "Not a CSV file.")]
        result = self.make_result(
            n=150, k=3, problems=problems, k_curve=self.k_curve if spec.k is None else None
        )
        result.spec = spec
        return result


@pytest.fixture
def window(qtbot, make_result, fake_k_curve):
    engine = FakeEngine(make_result, fake_k_curve)
    win = MainWindow(settings=None, run_fn=engine)
    win.engine = engine
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_empty_window_shows_the_drop_hint(window):
    assert window.central.currentWidget() is window.drop_hint
    assert "Drop folders or files here" in window.drop_hint.text()
    assert window.problems_dock.windowTitle() == "Problems (0)"
    assert not window.cancel_button.isEnabled()


def test_drop_runs_and_fills_every_view(qtbot, window, tmp_path, drop):
    folder = tmp_path / "in"
    folder.mkdir()
    with qtbot.waitSignal(window.worker.finished, timeout=5000):
        drop(window, folder)
    assert window.settings_panel.spec.paths == (str(folder),)
    assert window.central.currentWidget() is window.scatter
    assert window.scatter.point_count() == 150
    assert window.problems_dock.windowTitle() == "Problems (1)"
    assert window.problems.row_texts()[0][0] == "bad.csv"
    assert "Silhouette" in window.metrics.toPlainText()
    assert window.k_curve_dock.isVisible() and window.k_curve.chosen_k == 3
    assert window.stage_label.text().startswith("Done")


def test_a_setting_change_reruns_with_the_previous_result(qtbot, window, tmp_path):
    window.open_paths([tmp_path / "in"])
    with qtbot.waitSignal(window.result_shown, timeout=5000) as first:
        pass
    with qtbot.waitSignal(window.result_shown, timeout=5000) as second:
        window.settings_panel.k_auto.setChecked(False)
    spec, previous = window.engine.calls[-1]
    assert previous is first.args[0]
    assert spec is window.settings_panel.spec and spec.k is not None
    assert second.args[0].spec.k == spec.k
    assert not window.k_curve_dock.isVisible()


def test_failure_is_shown_without_a_dialog(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.worker.failed, timeout=5000):
        window.open_paths([tmp_path / "empty"])
    assert "No usable items" in window.stage_label.text()
    assert "No usable items" in window.drop_hint.text()
    assert window.central.currentWidget() is window.drop_hint


def test_cancel_keeps_the_window_usable(qtbot, window, tmp_path):
    window.engine.delay_s = 30
    with qtbot.waitSignal(window.worker.progress, timeout=5000):
        window.open_paths([tmp_path / "in"])
    assert window.cancel_button.isEnabled()
    with qtbot.waitSignal(window.worker.cancelled, timeout=1000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert window.stage_label.text() == "Cancelled" and not window.cancel_button.isEnabled()
    window.engine.delay_s = 0
    with qtbot.waitSignal(window.worker.finished, timeout=5000):
        window.run_now()
    assert window.scatter.point_count() == 150


def test_close_during_a_run_stops_the_thread(qtbot, window, tmp_path):
    window.engine.delay_s = 30
    with qtbot.waitSignal(window.worker.progress, timeout=5000):
        window.open_paths([tmp_path / "in"])
    start = time.monotonic()
    window.close()
    assert not window.worker.running and time.monotonic() - start < 2
