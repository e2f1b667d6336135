"""CSV files of different kinds are separate inputs, offered in the settings panel and on the command line."""

from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from sklearn.datasets import load_iris, load_wine

from engine import cli
from engine.pipeline import Spec, run
from gui.settings_panel import SettingsPanel


@pytest.fixture
def two_kinds(tmp_path) -> Path:
    for name, loader in (("iris.csv", load_iris), ("wine.csv", load_wine)):
        data = loader(as_frame=True)
        data.frame.rename(columns={"target": "class"}).to_csv(tmp_path / name, index=False)
    return tmp_path


def test_the_panel_offers_the_other_kind_of_csv_and_runs_it(qtbot, two_kinds):
    result = run(Spec(paths=(str(two_kinds),), k=3, use_cache=False))
    assert len(result.analysed.items) == 178  # the larger kind: wine
    panel = SettingsPanel(result.spec)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_result(result)
    box = panel.csv_group
    assert panel._form.isRowVisible(box) and box.count() == 2
    assert "wine.csv" in box.currentText()
    iris = next(i for i in range(box.count()) if "iris.csv" in box.itemText(i))
    with qtbot.waitSignal(panel.spec_changed) as changed:
        box.setCurrentIndex(iris)
        box.activated.emit(iris)
    spec = changed.args[0]
    assert spec.csv_group == box.itemData(iris)
    assert len(run(spec.replace(use_cache=False)).analysed.items) == 150


def test_one_kind_of_csv_shows_no_choice(qtbot, two_kinds):
    (two_kinds / "iris.csv").unlink()
    result = run(Spec(paths=(str(two_kinds),), k=3, use_cache=False))
    panel = SettingsPanel(result.spec)
    qtbot.addWidget(panel)
    panel.set_result(result)
    assert not panel._form.isRowVisible(panel.csv_group)


def test_the_command_line_analyses_the_kind_it_is_told(two_kinds, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    status = cli.main(
        ["analyze", str(two_kinds), "--csv-group", "iris.csv", "--k", "3", "--out", str(out), "--quiet"]
    )
    assert status == cli.EXIT_OK
    assert len(pd.read_csv(out / "assignments.csv")) == 150


def test_the_panel_offers_a_workbooks_other_sheets_and_the_cli_reads_the_one_named(qtbot, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "iris"
    book.create_sheet("wine")
    for sheet, loader in ((book["iris"], load_iris), (book["wine"], load_wine)):
        frame = loader(as_frame=True).frame
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([float(v) for v in row])
    (tmp_path / "in").mkdir()
    book.save(tmp_path / "in" / "data.xlsx")
    result = run(Spec(paths=(str(tmp_path / "in"),), k=3, use_cache=False))
    assert len(result.analysed.items) == 150  # the first sheet holding a table
    panel = SettingsPanel(result.spec)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_result(result)
    box = panel.sheet
    assert panel._form.isRowVisible(box) and [box.itemText(i) for i in range(box.count())] == ["iris", "wine"]
    assert box.currentText() == "iris"
    with qtbot.waitSignal(panel.spec_changed) as changed:
        box.setCurrentIndex(1)
        box.activated.emit(1)
    assert changed.args[0].sheet == "wine"
    out = tmp_path / "out"
    code = cli.main(
        ["analyze", str(tmp_path / "in"), "--sheet", "wine", "--k", "3", "--out", str(out), "--quiet"]
    )
    assert code == 0 and len(pd.read_csv(out / "assignments.csv")) == 178


def test_long_choices_do_not_widen_the_panel(qtbot):
    """A long CSV-group label once widened the Settings dock to 1 100 of 1 366 pixels, hiding the map."""
    from engine.items import CsvGroup

    panel = SettingsPanel(Spec())
    qtbot.addWidget(panel)
    panel.show()
    narrow = panel.sizeHint().width()
    long_label = "CET-C1.csv and 125 more: 32256 rows (3 columns: " + ", ".join(
        f"column {i}" for i in range(40)
    )
    groups = [
        CsvGroup(
            key=str(i),
            modality="table",
            files=(Path(f"{i}.csv"),),
            n_items=10,
            label=long_label + str(i),
            analysed=i == 0,
        )
        for i in range(2)
    ]
    panel.set_csv_groups(groups)
    panel.set_label_choices(["a column with a very long name " * 4])
    assert panel._form.isRowVisible(panel.csv_group)
    assert panel.sizeHint().width() <= narrow + 10
    # The whole label is still there to read, where the box cannot show it.
    assert panel.csv_group.itemData(0, Qt.ItemDataRole.ToolTipRole) == groups[0].label
