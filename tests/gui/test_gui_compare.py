"""Tools › Compare embedders and Compare methods: the command line's compare in its own process,
shown as a table."""

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


@pytest.fixture(scope="module")
def moons(tmp_path_factory):
    """Two interleaved crescents with their classes: a density method finds them, K-Means cannot."""
    from sklearn.datasets import make_moons

    points, classes = make_moons(240, noise=0.05, random_state=0)
    folder = tmp_path_factory.mktemp("moons")
    rows = [f"{x:.5f},{y:.5f},{'upper' if c else 'lower'}" for (x, y), c in zip(points, classes, strict=True)]
    (folder / "moons.csv").write_text("x,y,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return run(Spec(paths=(str(folder),)))  # k = auto


def _table(dialog):
    return {
        dialog.table.item(r, dialog._column).text(): [
            dialog.table.item(r, c).text() for c in range(dialog.table.columnCount())
        ]
        for r in range(dialog.table.rowCount())
    }


def test_the_command_asks_for_the_shown_items_and_the_k_on_screen_when_there_are_no_classes(series, tmp_path):
    command = compare_command(series, tmp_path, ["ts-catch22"])
    assert command[command.index("compare") + 1] == series.spec.paths[0]
    assert command[command.index("--modality") + 1] == "timeseries"
    assert command[command.index("--out") + 1] == str(tmp_path)
    assert "--k" not in command  # three known classes: compare takes k = 3 itself
    unlabelled = run(Spec(paths=series.spec.paths, embedder="ts-resampled", k=4, label_column=""))
    command = compare_command(unlabelled, tmp_path)
    assert command[command.index("--k") + 1] == "4" and "--embedders" not in command
    assert command[command.index("--algorithms") + 1] == "kmeans"  # the shown method
    methods = compare_command(series, tmp_path, [series.embedder], ["kmeans", "hdbscan"])
    assert methods[methods.index("--algorithms") + 1] == "kmeans,hdbscan"
    assert methods[methods.index("--embedders") + 1] == "ts-resampled"


def test_the_comparison_runs_apart_and_a_chosen_row_becomes_the_embedder(qtbot, series):
    dialog = CompareDialog(series, names=["ts-resampled", "ts-catch22"])
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
    assert dialog.use_button.isEnabled() and dialog.use_button.text() == "Use this embedder"
    with qtbot.waitSignal(dialog.settings_chosen) as chosen:
        dialog.use_button.click()
    assert chosen.args == [{"embedder": "ts-catch22"}]  # k = 3 on screen already


def test_methods_are_compared_on_the_same_vectors_and_a_chosen_row_brings_its_k(qtbot, moons):
    assert moons.spec.k is None and moons.spec.algorithm == "kmeans"
    dialog = CompareDialog(moons, names=["kmeans", "hdbscan"], field="algorithm")
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Compare methods" and "at k = 2" in dialog.intro.text()
    qtbot.waitUntil(lambda: not dialog.running, timeout=90_000)
    rows = _table(dialog)
    assert set(rows) == {"kmeans", "hdbscan"}, dialog.status.text()
    assert {row[0] for row in rows.values()} == {moons.embedder}
    assert float(rows["hdbscan"][3]) > 0.9 > float(rows["kmeans"][3])
    assert "silhouettes compare directly" in dialog.status.text()
    order = list(rows)
    bold = [dialog.table.item(order.index(name), 3).font().bold() for name in ("hdbscan", "kmeans")]
    assert bold == [True, False]  # the best ARI stands out
    assert dialog.minimumSizeHint().width() <= 720  # the long intro wraps instead of widening it
    dialog.table.selectRow(order.index("kmeans"))
    assert dialog.chosen_settings() == {"algorithm": "kmeans", "k": 2}  # auto on screen; the row is k = 2
    assert dialog.use_button.text() == "Use this method at k = 2"
    dialog.table.selectRow(order.index("hdbscan"))
    assert dialog.chosen_settings() == {"algorithm": "hdbscan"}  # it finds its own k
    with qtbot.waitSignal(dialog.settings_chosen) as chosen:
        dialog.use_button.click()
    assert chosen.args == [{"algorithm": "hdbscan"}]


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

    dialog = CompareDialog(series, names=["ts-resampled"])
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
    assert not tools.compare_methods_action.isEnabled()
    window.show_result(make_result(), "table", at_once=True)
    tools.update_compare()
    action = tools.compare_action
    assert not action.isEnabled() and "table items have one embedder" in action.text()
    assert tools.compare_methods_action.isEnabled()  # every kind has several methods
    window.show_result(series, "series", at_once=True)
    tools.update_compare()
    assert action.isEnabled() and action.text() == "Compare &embedders…"
    dialog = tools.compare(field="algorithm")
    dialog.settings_chosen.emit({"algorithm": "gmm", "k": 4})  # as "Use this method at k = 4" does
    dialog.reject()
    spec = window.settings_panel.spec
    assert (spec.algorithm, spec.k) == ("gmm", 4)
    window.worker.shutdown(timeout_ms=2000)
