"""The cluster panel's members table: cells coloured by their distance from the column's mean, the
most distinctive columns first, readable numbers and ink, and a big or wide table that never holds
the window (columns fitted as they come into view, column statistics made off the GUI thread)."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from engine.members import cell_text
from gui.views.members import TableMemberModel
from gui.views.widgets import WIDTH_SAMPLE_ROWS
from tests.gui.conftest import show, table_result


def test_table_cells_are_red_above_and_blue_below_the_mean(panel, make_result):
    state, widget = panel
    table = np.tile(np.array([[1.0, 10.0]]), (30, 1))
    table[0] = [9.0, 10.0]  # far above column 0's mean
    table[3] = [-7.0, 10.0]  # far below it
    show(state, table_result(make_result, table))
    widget.choose([0])
    model = widget.members.table_model
    assert widget.members.stack.currentWidget() is widget.members.table
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == ["size", "flat"]
    position = {int(r): p for p, r in enumerate(model.rows)}
    high = model.index(position[0], 0).data(Qt.ItemDataRole.BackgroundRole)
    low = model.index(position[3], 0).data(Qt.ItemDataRole.BackgroundRole)
    flat = model.index(position[0], 1).data(Qt.ItemDataRole.BackgroundRole)
    assert high.red() > high.blue() + 100 and low.blue() > low.red() + 100
    assert flat.getRgb()[:3] == (255, 255, 255) and model.index(position[0], 0).data() == "9"


def test_a_big_clusters_table_fits_the_columns_in_view_to_a_sample_of_rows(panel, make_result, monkeypatch):
    # Qt fits every column to 1 000 rows: choosing a cluster of a 100 000 x 384 table held the window
    # 8.7 s (tests/benchmarks/bench_interactions.py), at every new order or selection again.
    state, widget = panel
    n, d = 6000, 120
    result = table_result(make_result, np.random.default_rng(0).normal(size=(n, d)) * 1000, n=n)
    names = [f"measurement_{c}" for c in range(d)]
    show(
        state, dataclasses.replace(result, analysed=dataclasses.replace(result.analysed, feature_names=names))
    )
    read: set[tuple[int, int]] = set()
    data = TableMemberModel.data

    def counted(model, index, role=Qt.ItemDataRole.DisplayRole):
        read.add((index.row(), index.column()))
        return data(model, index, role)

    monkeypatch.setattr(TableMemberModel, "data", counted)
    widget.choose([0])
    table = widget.members.table
    assert len(widget.members.table_model.rows) > 1500
    rows, columns = {r for r, _ in read}, {c for _, c in read}
    assert 0 < len(rows) <= WIDTH_SAMPLE_ROWS + 50  # the sample, and the rows on screen
    assert 0 < len(columns) < 20  # the columns in view, not all 120
    shown = max(columns)
    assert table.columnWidth(0) > table.fontMetrics().horizontalAdvance("measurement_0")
    read.clear()
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    assert {c for _, c in read} >= {d - 1}  # scrolled into view: fitted then
    assert table.columnWidth(d - 1) > table.fontMetrics().horizontalAdvance("measurement_119")
    assert shown < d - 1
    members = widget.members
    members.order.setCurrentIndex(members.order.findData("borderline"))  # the same columns
    assert table.horizontalScrollBar().value() == table.horizontalScrollBar().maximum() > 0
    widget.choose([1])  # its own most distinctive columns come first: scrolled back to them
    assert table.horizontalScrollBar().value() == 0


def test_a_tables_column_statistics_are_made_off_the_gui_thread_when_it_arrives(panel, make_result):
    # The first chosen cluster of a 100 000 x 384 table spent 0.06-0.17 s on them on the GUI thread.
    state, widget = panel
    table = np.random.default_rng(2).normal(size=(30, 2)) * [1, 100]
    show(state, table_result(make_result, table))
    widget.members.loader.wait()
    prepared = widget.members.table_model._stats
    assert prepared is not None and np.allclose(prepared.mean, table.mean(axis=0))
    widget.choose([0])
    assert widget.members.table_model.stats is prepared


def test_the_columns_that_set_the_shown_rows_apart_come_first(panel, make_result):
    # The customers demo named a cluster "high age, low visits_per_month", but its members table
    # showed the columns in file order, visits_per_month third and behind a scroll bar.
    state, widget = panel
    labels = make_result(n=30, k=3).labels
    rng = np.random.default_rng(0)
    table = rng.normal(size=(30, 3))
    table[labels == 0, 2] += 6.0  # cluster 0: far above in "visits", a little below in "income"
    table[labels == 0, 1] -= 1.5
    table[labels == 1, 0] += 5.0  # cluster 1: "age"
    result = table_result(make_result, table)
    result = dataclasses.replace(
        result, analysed=dataclasses.replace(result.analysed, feature_names=["age", "income", "visits"])
    )
    show(state, result)
    model = widget.members.table_model
    widget.choose([0])
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert headers == ["visits", "income", "age"]
    first = int(model.rows[0])
    assert model.index(0, 0).data() == cell_text(table[first, 2])  # the cells move with their column
    tip = model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("These rows average") and "below the column's mean" in tip
    widget.choose([1])
    assert model.headerData(0, Qt.Orientation.Horizontal) == "age"


def test_table_cells_read_without_exponents_between_a_thousandth_and_a_million():

    incomes = [cell_text(v) for v in (14900.0, 9600.0, 20000.0, 123456.7)]
    assert incomes == ["14,900", "9,600", "20,000", "123,457"]  # not "1.49e+04" beside "9600"
    assert [cell_text(v) for v in (9.3, 0.0123, -3.25, 0.0)] == ["9.3", "0.0123", "-3.25", "0"]
    assert cell_text(1.5e7) == "1.5e+07" and cell_text(1e-5) == "1e-05" and cell_text(float("nan")) == ""


def _contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 = none, 21 = black on white)."""

    def luminance(c: QColor) -> float:
        parts = [(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4) for v in c.getRgbF()[:3]]
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_table_cells_stay_readable_in_a_dark_theme(qapp, panel, make_result):
    # Windows 11 and macOS in dark mode give white text: on the light tints it vanished.
    state, widget = panel
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Base, "#1f1f1f")):
        dark.setColor(role, QColor(colour))
    widget.setPalette(dark)
    table = np.tile(np.array([[1.0, 10.0]]), (30, 1))
    table[0], table[3] = [9.0, 10.0], [-7.0, 10.0]
    show(state, table_result(make_result, table))
    widget.choose([0])
    model = widget.members.table_model
    for row in range(model.rowCount()):
        for column in range(2):
            index = model.index(row, column)
            ink = index.data(Qt.ItemDataRole.ForegroundRole)
            assert _contrast(ink, index.data(Qt.ItemDataRole.BackgroundRole)) >= 4.5  # WCAG AA
