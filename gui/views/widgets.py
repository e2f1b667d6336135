"""Small widget factories every view shares, so the plots and hints look alike everywhere."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QTableView

from gui.views.plot_export import add_export_menus


def plain_plot(**plot_args: object) -> pg.PlotWidget:
    """A white plot with a short right-click menu (view all, export) instead of pyqtgraph's own.

    pyqtgraph's auto-range button is hidden too (it confuses users). ``plot_args`` go to
    ``pg.PlotWidget`` (a custom ``viewBox``, say).
    """
    plot = pg.PlotWidget(background="w", **plot_args)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    add_export_menus(plot)
    return plot


def hint_label(text: str = "", centred: bool = True) -> QLabel:
    """Grey, wrapped text: what a view says when it has nothing to draw, or a caption under it."""
    label = QLabel(text)
    if centred:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: #777")
    return label


WIDTH_SAMPLE_ROWS = 100
"""Columns fit this many rows: Qt's default of 1 000 held the window 0.4 s on a 25 000-row cluster."""


class ColumnFitter(QObject):
    """Fits a table's columns to their contents as they come into view, each on a sample of rows.

    ``QTableView.resizeColumnsToContents`` reads every column: on a 384-column table it held the
    window 1.2 s at each chosen cluster, for the handful of columns on screen. Call :meth:`refit`
    when the rows or columns change; scrolling and resizing fit the columns that come into view.
    """

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.fitted: set[int] = set()
        table.horizontalHeader().setResizeContentsPrecision(WIDTH_SAMPLE_ROWS)
        table.horizontalScrollBar().valueChanged.connect(lambda _value: self.fit_visible())
        table.viewport().installEventFilter(self)

    def refit(self) -> None:
        self.fitted.clear()
        self.fit_visible()

    def fit_visible(self) -> None:
        """Fit each column in view that is not fitted yet (fitting one moves the next ones)."""
        header = self.table.horizontalHeader()
        column = max(0, header.logicalIndexAt(0))
        while column < header.count() and header.sectionViewportPosition(column) < header.width():
            if column not in self.fitted:
                self.fitted.add(column)
                self.table.resizeColumnToContents(column)
            column += 1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.fit_visible()
        return False
