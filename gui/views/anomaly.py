"""Outlier scores: a histogram with a draggable threshold, and the most unusual items first.

The threshold lives in the shared view state: moving the line puts it there (at most every
``FLAG_INTERVAL_MS`` while dragging), and every view re-flags from the stored scores (no refit);
the map rings the outliers at that threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.anomaly import score_text
from gui.view_state import ViewState
from gui.views.widgets import hint_label, plain_plot

if TYPE_CHECKING:
    from engine.pipeline import Result

NO_RESULT = "No analysis yet."
NO_DETECTOR = "Choose a detector in the settings to score outliers."
TOP_ROWS = 500
"""The table lists this many of the most unusual items."""
FLAG_INTERVAL_MS = 100
COLUMNS = ("#", "Item", "Score", "Cluster")
_NORMAL = (120, 150, 190)
_OUTLIER = (214, 39, 40)


def histogram_bins(n: int) -> int:
    """Enough bins to show the tail, few enough to keep each bar readable."""
    return int(np.clip(np.sqrt(max(n, 1)) * 2, 10, 80))


def histogram_range(scores: np.ndarray) -> tuple[float, float]:
    """Score range drawn: the full range, unless a few extreme scores would squash the rest into one bar."""
    lo, hi = float(scores.min()), float(scores.max())
    q = float(np.percentile(scores, 99))
    if q > lo and hi - q > 1000 * (q - lo):  # LOF on duplicate items can give scores of 1e10
        hi = q + 0.25 * (q - lo)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


class AnomalyView(QWidget):
    """Histogram of ``Result.anomaly.scores`` with a threshold line, above a table of the top items."""

    item_activated = Signal(int)
    """Index of a double-clicked item (the window opens its file)."""

    def __init__(self, state: ViewState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else ViewState(self)
        self.message = hint_label(NO_RESULT)

        self.plot = plain_plot()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("bottom", "outlier score (higher is more unusual)")
        self.plot.setLabel("left", "items")
        for axis in ("left", "bottom"):  # "(x0.001)" beside raw scores reads as a unit
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x0=[], x1=[], height=[], pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(_OUTLIER, width=2))
        self.line.setHoverPen(pg.mkPen(_OUTLIER, width=4))
        self.line.setToolTip("Drag to change which items count as outliers.")
        self.plot.addItem(self.line)

        self.summary = QLabel()
        self.log_counts = QCheckBox("log counts")
        self.log_counts.setToolTip("Show counts on a log scale, so the few items in the tail are visible.")
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("Back to the threshold the contamination setting gives.")
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.log_counts)
        bar.addWidget(self.reset)
        self.notes = hint_label(centred=False)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col in (0, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in (1, 3):  # item and cluster share the rest: a long cluster name hid the item's
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.plot, 1)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.notes)
        # Side by side: the dock is wide and short under the map, and the histogram needs height.
        content = QSplitter(Qt.Orientation.Horizontal)
        content.addWidget(top)
        content.addWidget(self.table)
        content.setStretchFactor(0, 3)
        content.setStretchFactor(1, 2)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self._scores = np.zeros(0)
        self._flags = np.zeros(0, dtype=bool)
        self._default_threshold = 0.0
        self._counts = np.zeros(0, dtype=int)
        self._edges = np.zeros(0)
        self._rows = np.zeros(0, dtype=int)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLAG_INTERVAL_MS)
        self._timer.timeout.connect(self._line_dropped)
        self.line.sigPositionChanged.connect(self._on_line_moved)
        self.line.sigPositionChangeFinished.connect(lambda _: self._line_dropped())
        self.log_counts.toggled.connect(lambda _: self._draw_bars())
        self.reset.clicked.connect(lambda: self.set_threshold(self._default_threshold))
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        self.table.cellDoubleClicked.connect(self._on_double_click)
        self.state.threshold_changed.connect(lambda *_: self._show_threshold())
        self.state.selection_changed.connect(self._on_selection)
        self.state.clusters_changed.connect(lambda _source: self._show_clusters())
        self.state.labels_changed.connect(lambda *_: self._show_clusters())

    # ---- data -------------------------------------------------------------------------------
    def set_result(self, result: Result | None) -> None:
        """Show a result's outlier scores, flagged at the view state's threshold."""
        if result is not None and self.state.result is not result:
            self.state.reset_for(result)
        anomaly = None if result is None else result.anomaly
        self._timer.stop()
        if anomaly is None:
            n = 0 if result is None else len(result.labels)
            self.message.setText(NO_RESULT if result is None else NO_DETECTOR)
            self.stack.setCurrentWidget(self.message)
            self._scores, self._flags, self._rows = (
                np.zeros(0),
                np.zeros(n, dtype=bool),
                np.zeros(0, dtype=int),
            )
            self.table.setRowCount(0)
            return
        self._scores = np.asarray(anomaly.scores, dtype=np.float64).ravel()
        self._default_threshold = float(anomaly.threshold)
        lo, hi = histogram_range(self._scores)
        self._edges = np.linspace(lo, hi, histogram_bins(len(self._scores)) + 1)
        self._counts, _ = np.histogram(np.clip(self._scores, lo, hi), bins=self._edges)
        pad = 0.02 * (hi - lo)
        self.line.setBounds((lo - pad, hi + pad))
        self.plot.setXRange(lo - pad, hi + pad, padding=0)
        self.plot.setTitle(
            f"{anomaly.detector}, contamination {anomaly.contamination:.3g}", color="#444", size="9pt"
        )
        notes = list(getattr(anomaly, "notes", []) or [])
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self._fill_table(result)
        self.stack.setCurrentWidget(self.stack.widget(1))
        self._show_threshold()
        self._on_selection(self.state.selected, None)

    def _fill_table(self, result: Result) -> None:
        scores = self._scores
        top = min(TOP_ROWS, len(scores))
        rows = np.argpartition(-scores, top - 1)[:top] if top < len(scores) else np.arange(len(scores))
        self._rows = rows[np.argsort(-scores[rows], kind="stable")]
        items = result.analysed.items
        spread = float(np.ptp(scores)) if len(scores) else 0.0
        with QSignalBlocker(self.table):
            self.table.clearSelection()
            self.table.setRowCount(len(self._rows))
            for row, index in enumerate(self._rows.tolist()):
                cells = (
                    QTableWidgetItem(str(row + 1)),
                    QTableWidgetItem(items[index].display_name),
                    QTableWidgetItem(score_text(float(scores[index]), spread)),
                    QTableWidgetItem(),
                )
                cells[0].setData(Qt.ItemDataRole.UserRole, index)
                cells[1].setToolTip(str(items[index].path))
                for col in (0, 2):
                    cells[col].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                for col, cell in enumerate(cells):
                    self.table.setItem(row, col, cell)
        self._show_clusters()

    def _show_clusters(self) -> None:
        """Each listed item's cluster as the view state has it now: after a rename, a picked colour
        or a moved dendrogram cut too."""
        labels = self.state.labels
        if len(labels) != len(self._scores):
            return
        for row, index in enumerate(self._rows.tolist()):
            cell, cluster = self.table.item(row, 3), int(labels[index])
            cell.setText(self.state.name_of(cluster))
            cell.setData(Qt.ItemDataRole.DecorationRole, QColor(*self.state.colour_of(cluster)))

    # ---- facts the tests and the window read --------------------------------------------------
    @property
    def threshold(self) -> float | None:
        return self.state.threshold

    @property
    def flags(self) -> np.ndarray:
        """The outliers at the current threshold (a copy)."""
        return self._flags.copy()

    def flag_count(self) -> int:
        return int(self._flags.sum())

    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """Counts per bar and the bar edges, as drawn (scores past the drawn range count in the end bars)."""
        return self._counts.copy(), self._edges.copy()

    def top_indices(self) -> list[int]:
        """Item indices in table order, most unusual first."""
        return self._rows.tolist()

    @property
    def selected(self) -> list[int]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return sorted(int(self._rows[r]) for r in rows)

    # ---- threshold --------------------------------------------------------------------------
    def set_threshold(self, value: float) -> None:
        """Make ``value`` the threshold of every view (as a drag would)."""
        self.state.set_threshold(value, source=self)

    def _on_line_moved(self, _line: object) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _line_dropped(self) -> None:
        self._timer.stop()
        if len(self._scores):
            self.set_threshold(float(self.line.value()))

    def _show_threshold(self) -> None:
        """Draw the state's threshold: the line, the summary, the bars and the table's scores."""
        flags, threshold = self.state.outlier_flags(), self.state.threshold
        if not len(self._scores) or flags is None or len(flags) != len(self._scores):
            return
        self._timer.stop()
        self._flags = flags
        with QSignalBlocker(self.line):
            self.line.setValue(threshold)
        count, n = int(flags.sum()), len(flags)
        above = score_text(threshold, float(np.ptp(self._scores)))
        self.summary.setText(f"{count:,} of {n:,} items ({100 * count / n:.1f}%) above {above}")
        self._draw_bars()
        outlier, normal = QColor(*_OUTLIER), self.table.palette().text().color()  # white in a dark theme
        for row, index in enumerate(self._rows.tolist()):
            cell = self.table.item(row, 2)
            if cell is not None:
                cell.setForeground(outlier if flags[index] else normal)

    def _draw_bars(self) -> None:
        if not len(self._counts):
            self.bars.setOpts(x0=[], x1=[], height=[])
            return
        log = self.log_counts.isChecked()
        heights = np.log10(1 + self._counts) if log else self._counts.astype(float)
        centres = 0.5 * (self._edges[:-1] + self._edges[1:])
        threshold = np.inf if self.state.threshold is None else self.state.threshold
        brushes = [pg.mkBrush(*(_OUTLIER if c > threshold else _NORMAL)) for c in centres]
        self.bars.setOpts(x0=self._edges[:-1], x1=self._edges[1:], height=heights, brushes=brushes)
        self.plot.setLabel("left", "log10(items + 1)" if log else "items")
        self.plot.setYRange(0, max(1.0, float(heights.max())) * 1.05, padding=0)

    # ---- selection --------------------------------------------------------------------------
    def _on_selection(self, selected: np.ndarray, source: object) -> None:
        """Select the rows of the listed items that the table shows (the top items only)."""
        if source is self:
            return  # the user's own table selection stands as it is
        wanted = set(selected.tolist())
        model = self.table.selectionModel()
        selection = QItemSelection()
        last = self.table.columnCount() - 1
        for row, index in enumerate(self._rows.tolist()):
            if index in wanted:
                selection.select(self.table.model().index(row, 0), self.table.model().index(row, last))
        with QSignalBlocker(self.table):
            model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        # The selection model's own signals were not blocked; the viewport needs a repaint.
        self.table.viewport().update()

    def _on_table_selection(self) -> None:
        self.state.select(self.selected, source=self)

    def _on_double_click(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._rows):
            self.item_activated.emit(int(self._rows[row]))
