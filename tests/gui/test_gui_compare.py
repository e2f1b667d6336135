"""Tools › Compare embedders: the command line's compare in its own process, shown as a table."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from engine.pipeline import Spec, run
from gui.compare_dialog import CompareDialog, compare_command

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    shutil.copy(DEMO / "timeseries" / "sensors.csv", folder / "sensors.csv")
    return run(Spec(paths=(str(folder),), embedder="ts-resampled", k=3))


def test_the_command_asks_for_the_shown_items_and_the_k_on_screen_when_there_are_no_classes(series, tmp_path):
    command = compare_command(series, tmp_path, ["ts-catch22"])
    assert command[command.index("compare") + 1] == series.spec.paths[0]
    assert command[command.index("--modality") + 1] == "timeseries"
    assert command[command.index("--out") + 1] == str(tmp_path)
    assert "--k" not in command  # three known classes: compare takes k = 3 itself
    unlabelled = run(Spec(paths=series.spec.paths, embedder="ts-resampled", k=4, label_column=""))
    command = compare_command(unlabelled, tmp_path)
    assert command[command.index("--k") + 1] == "4" and "--embedders" not in command


def test_the_comparison_runs_apart_and_a_chosen_row_becomes_the_embedder(qtbot, series):
    dialog = CompareDialog(series, embedders=["ts-resampled", "ts-catch22"])
    qtbot.addWidget(dialog)
    seen = []
    dialog.bar.valueChanged.connect(seen.append)
    qtbot.waitUntil(lambda: not dialog.running, timeout=90_000)
    assert dialog.table.rowCount() == 2, dialog.status.text()
    header = [dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())]
    assert header[:4] == ["embedder", "algorithm", "k", "ARI"]
    ari = {dialog.table.item(r, 0).text(): float(dialog.table.item(r, 3).text()) for r in range(2)}
    assert ari["ts-catch22"] > 0.9 > ari["ts-resampled"]
    assert 1 in seen and "2 combinations compared" in dialog.status.text()
    assert not dialog.use_button.isEnabled()
    dialog.table.selectRow(1)
    assert dialog.use_button.isEnabled()
    with qtbot.waitSignal(dialog.embedder_chosen) as chosen:
        dialog.use_button.click()
    assert chosen.args == ["ts-catch22"]


def test_cancel_ends_the_process_and_leaves_no_files(qtbot, series):
    dialog = CompareDialog(series)
    qtbot.addWidget(dialog)
    out = dialog._out
    qtbot.waitUntil(lambda: dialog.running)
    dialog.reject()
    assert not dialog.running and not out.exists()


def test_a_comparison_that_cannot_run_says_why(qtbot, series, tmp_path):
    moved = dataclasses.replace(series, spec=series.spec.replace(paths=(str(tmp_path / "moved"),)))
    dialog = CompareDialog(moved)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.status.text().startswith("No comparison: ") and "does not exist" in dialog.status.text()
    assert dialog.table.rowCount() == 0 and dialog.close_button.text() == "Close"


def test_a_row_that_fell_back_or_failed_cannot_be_used(qtbot, series):
    from PySide6.QtWidgets import QTableWidgetItem

    dialog = CompareDialog(series, embedders=["ts-resampled"])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.running, timeout=90_000)
    dialog.table.setRowCount(3)
    rows = (
        ["image-openclip → image-efficientnet (fallback)", "kmeans", "3", "0.3", "0.4", "0.1", "1.0"],
        ["ts-image", "kmeans", "", "", "", "", "failed: no model"],
        ["ts-catch22", "kmeans", "3", "1.0", "1.0", "0.6", "1.0"],
    )
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            dialog.table.setItem(r, c, QTableWidgetItem(value))
    usable = []
    for r in range(3):
        dialog.table.selectRow(r)
        usable.append(dialog.use_button.isEnabled())
    assert usable == [False, False, True]


def test_the_menu_offers_a_comparison_only_where_there_is_a_choice(qtbot, series, make_result):
    from gui.main_window import MainWindow

    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    tools = window.tools
    tools.update_compare()
    assert not tools.compare_action.isEnabled()  # nothing shown yet
    window.show_result(make_result(), "table", at_once=True)
    tools.update_compare()
    action = tools.compare_action
    assert not action.isEnabled() and "table items have one embedder" in action.text()
    window.show_result(series, "series", at_once=True)
    tools.update_compare()
    assert action.isEnabled() and action.text() == "Compare &embedders…"
    window.worker.shutdown(timeout_ms=2000)
