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
    with qtbot.waitSignal(window.result_shown, timeout=5000):
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
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.run_now()
    assert window.scatter.point_count() == 150


def test_close_during_a_run_stops_the_thread(qtbot, window, tmp_path):
    window.engine.delay_s = 30
    with qtbot.waitSignal(window.worker.progress, timeout=5000):
        window.open_paths([tmp_path / "in"])
    start = time.monotonic()
    window.close()
    assert not window.worker.running and time.monotonic() - start < 2


def test_the_previous_map_is_dimmed_while_a_new_run_goes_on(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.open_paths([tmp_path / "in"])
    assert not window.scatter.is_stale() and window.windowTitle().replace("[*]", "") == "DataMining6 — in"
    window.engine.delay_s = 30
    with qtbot.waitSignal(window.worker.progress, timeout=5000):
        window.settings_panel.edit(k=5)
        window.run_now()
    assert window.scatter.is_stale() and "previous result" in window.scatter._stale.text()
    window.engine.delay_s = 0
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.worker.cancel()
        window.run_now()
    assert not window.scatter.is_stale() and not window.pending_label.isVisible()


def test_after_cancel_title_settings_and_map_agree(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.open_paths([tmp_path / "in"])
    shown = window.result
    window.engine.delay_s = 30
    with qtbot.waitSignal(window.worker.progress, timeout=5000):
        window.settings_panel.edit(k=7)
        window.open_paths([tmp_path / "other_in"])
    title = window.windowTitle().replace("[*]", "")  # Qt's unsaved-changes mark
    assert title == "DataMining6 — in (analysing other_in…)" and window.scatter.is_stale()
    with qtbot.waitSignal(window.worker.cancelled, timeout=2000):
        qtbot.keyClick(window.scatter.plot, Qt.Key.Key_Escape)  # Esc cancels a run
    assert window.result is shown and not window.scatter.is_stale()
    assert window.windowTitle().replace("[*]", "") == "DataMining6 — in"
    pending = window.pending_label.text()
    assert window.pending_label.isVisible() and "input other_in" in pending and "k auto → 7" in pending
    window.pending_label.linkActivated.emit("revert")
    assert window.settings_panel.spec == shown.spec and not window.pending_label.isVisible()


def test_run_button_and_enter_run_the_current_settings_again(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.open_paths([tmp_path / "in"])
    calls = len(window.engine.calls)
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    assert len(window.engine.calls) == calls + 1
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        qtbot.keyClick(window.scatter.plot, Qt.Key.Key_Return)
    assert len(window.engine.calls) == calls + 2
    assert window.engine.calls[-1][0] == window.settings_panel.spec


def test_selection_count_in_the_status_bar_and_esc_clears_when_idle(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.open_paths([tmp_path / "in"])
    window.view_state.select(range(12))
    assert window.selection_label.text() == "12 selected"
    window.cluster_panel.choose([0])
    assert window.selection_label.text() == "12 selected"
    qtbot.keyClick(window.scatter.plot, Qt.Key.Key_Escape)  # the selection goes first
    name = window.view_state.name_of(0)
    assert (
        window.view_state.selected.tolist() == []
        and window.selection_label.text() == f"showing {name} (Esc: all)"
    )
    assert window.view_state.focused == frozenset({0})
    window._escape()  # then the cluster chosen in the list (the map's own Esc is tested with the map)
    assert window.view_state.focused == frozenset() and window.cluster_panel.chosen_clusters() == []
    assert window.selection_label.text() == ""
    window.status.show_selected(0, ["north, wide, high income", "south, narrow, low income, many visits"])
    assert window.selection_label.text().endswith("… (Esc: all)")  # long names are cut
    window.scatter.tools.query.setText("x")  # Enter in a map text box belongs to the box, not to Run
    calls = len(window.engine.calls)
    qtbot.keyClick(window.scatter.tools.search, Qt.Key.Key_Return)
    assert len(window.engine.calls) == calls and not window.worker.running


def test_a_result_shows_the_map_first_the_other_views_in_later_turns_and_a_newer_one_wins(qtbot, make_result):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    first, second = make_result(n=120, k=3), make_result(n=60, k=2)
    shown: list[object] = []
    window.result_shown.connect(shown.append)
    window.show_result(first, "first")
    assert window.scatter.point_count() == 120 and window.result is first  # the map at once
    assert window.item.result is None and shown == []  # the other views are queued
    window.show_result(second, "second")  # before the first has finished showing
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        pass
    assert shown == [second] and window.item.result is second  # the first's steps were dropped
    assert window.scatter.point_count() == 60


def test_open_files_offers_every_kind_it_reads_and_opens_the_chosen(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from engine.ingest.filetypes import MODALITY_BY_EXTENSION

    asked = []

    def choose(_parent, _title, _folder, filters):
        asked.append(filters.split(";;"))
        return [str(tmp_path / "in" / "book.xlsx")], filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(choose))
    window._ask_files()
    (filters,) = asked
    assert filters[0].startswith("Everything DataMining6 reads (") and filters[-1] == "All files (*)"
    assert {f"*{ext}" for ext in MODALITY_BY_EXTENSION} == set(
        filters[0][filters[0].index("(") + 1 : -1].split()
    )
    assert any(f.startswith("Tables and time series (") and "*.xlsx" in f for f in filters)
    assert window.settings_panel.spec.paths == (str(tmp_path / "in" / "book.xlsx"),)


def test_the_bottom_docks_show_what_explains_a_result_and_then_keep_the_users_tab(qtbot, make_result):
    # A clean K-Means run left an empty Problems list in front of its silhouettes.
    from PySide6.QtWidgets import QApplication

    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    docks = window.analysis

    def front() -> str:
        shown = [d for d in (window.problems_dock, docks.silhouette_dock, docks.dendrogram_dock)
                 if not d.visibleRegion().isEmpty()]  # fmt: skip
        return ",".join(d.objectName() for d in shown)

    clean = make_result(n=120, k=3)  # files of kinds not read are no problem to bring forward
    clean.embed_problems = [
        Problem(Path(f"notes{i}.py"), "ingest", "Unsupported", "skipped") for i in range(2)
    ]
    window.show_result(clean, "done", at_once=True)
    qtbot.waitUntil(lambda: front() == "SilhouetteDock")
    assert window.problems_dock.windowTitle() == "Problems (0, 2 files skipped)"
    window.problems_dock.raise_()  # the user looks at the problems and asks for another k
    window.show_result(make_result(n=120, k=4), "done", at_once=True)
    QApplication.processEvents()
    assert front() == "ProblemsDock"
    docks.silhouette_dock.raise_()
    troubled = make_result(n=120, k=3)  # a run whose input had problems shows them
    troubled.embed_problems = [Problem(Path("bad.png"), "embed", "not a picture")]
    window.show_result(troubled, "done", at_once=True)
    QApplication.processEvents()
    assert front() == "ProblemsDock"
    window.worker.shutdown(timeout_ms=2000)


@pytest.mark.parametrize("width", [1024, 1366])
def test_the_window_fits_a_small_screen_and_the_map_keeps_its_room(qtbot, make_result, width):
    """At 1 024 px the window used to need 1 308 (the map's row of buttons): the docks and the right
    of the map were off screen. Buttons that do not fit now wait behind the tool bar's » menu."""
    from PySide6.QtWidgets import QToolBar

    from gui.views.scatter import PLOT_MIN_WIDTH

    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.resize(width, 700)
    window.show()
    qtbot.waitExposed(window)
    window.show_result(make_result(), "table", at_once=True)
    qtbot.wait(50)
    assert window.minimumSizeHint().width() <= 1024 and window.width() == width
    docks = [window.settings_dock, window.clusters_dock]
    assert all(dock.geometry().right() < width for dock in docks)
    assert window.scatter.plot.width() >= PLOT_MIN_WIDTH
    bar = window.scatter.tools.findChild(QToolBar)
    shown = [a.text() for a in bar.actions() if bar.widgetForAction(a) and bar.widgetForAction(a).isVisible()]
    if width == 1366:  # a laptop's screen: every button is in sight, as before
        assert {"Pan", "Lasso", "Zoom to selection", "Reset view", "More like this"} <= set(shown)
    else:
        assert "Pan" in shown
    window.worker.shutdown(timeout_ms=2000)
