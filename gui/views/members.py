"""The member view: the items of the chosen clusters (or of the current selection), each shown the way
its modality reads best, ordered by typicality or by outlier score.

Images, audio, documents and series go into one virtualised ``QListView`` painted by
:class:`gui.views.member_delegate.MemberDelegate`; table rows go into a ``QTableView`` whose cells
are tinted by how far they are from their column's mean (red above, blue below). Selecting members
selects them in the view state (and so on the map); double-click opens the file in the system's
viewer; an audio tile's play button asks the window to play it. Nothing here writes to user files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QRectF,
    QSignalBlocker,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.members import (
    ORDERS,
    ColumnStats,
    borderline_order,
    cell_text,
    distinctive_columns,
    outlier_order,
    series_mean_band,
    typicality_order,
)
from engine.thumbnails import PICTURE_MAKERS, ThumbnailCache, cached_picture, document_snippet
from gui.thumbnails import Failed, PreviewLoader, to_qimage
from gui.views.member_delegate import PREVIEW_ROLE, ROW_ROLE, MemberDelegate, plot_path
from gui.views.widgets import ColumnFitter, hint_label

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.view_state import ViewState


class MemberModel(QAbstractListModel):
    """Rows of ``Result.analysed.items`` in display order; previews come from the loader on demand."""

    def __init__(self, loader: PreviewLoader, cache: ThumbnailCache | None) -> None:
        super().__init__()
        self.loader, self.cache = loader, cache
        self.result: Result | None = None
        self.rows = np.zeros(0, dtype=np.intp)
        self._position: dict[int, int] = {}
        loader.ready.connect(self._on_ready)

    def set_rows(self, result: Result | None, rows: np.ndarray) -> None:
        self.beginResetModel()
        self.result, self.rows = result, np.asarray(rows, dtype=np.intp)
        self._position = {int(r): i for i, r in enumerate(self.rows.tolist())}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.result is None or not index.isValid():
            return None
        row = int(self.rows[index.row()])
        item = self.result.analysed.items[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.display_name
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(item.path) + (f", row {item.row}" if item.row is not None else "")
        if role == PREVIEW_ROLE:
            return self._preview(row, item)
        return None

    def _preview(self, row: int, item: Any) -> object:
        if item.modality == "timeseries":
            return self.result.analysed.series.get(row)
        if item.modality == "text":
            return self.loader.get(row, lambda path=item.path: document_snippet(path))
        make = PICTURE_MAKERS.get(item.modality)
        if make is None:
            return Failed(f"no preview for {item.modality} items")
        cache, kind = self.cache, item.modality
        return self.loader.get(row, lambda path=item.path: to_qimage(cached_picture(path, kind, make, cache)))

    def _on_ready(self, row: object) -> None:
        position = self._position.get(row)  # type: ignore[call-overload]
        if position is not None:
            index = self.index(position)
            self.dataChanged.emit(index, index, [PREVIEW_ROLE])


class TableMemberModel(QAbstractTableModel):
    """Members' table values; each cell's background says how far it is from its column's mean; the
    columns most distinctive of the shown rows come first (:func:`engine.members.distinctive_columns`)."""

    def __init__(self) -> None:
        super().__init__()
        self.result: Result | None = None
        self.rows = np.zeros(0, dtype=np.intp)
        self.names: list[str] = []
        self._table: np.ndarray | None = None
        self._stats: ColumnStats | None = None
        self.order = np.zeros(0, dtype=np.intp)
        """Column shown at each position."""
        self.shift = np.zeros(0)
        """Per column: the shown rows' mean distance from the column's mean, in standard deviations."""

    def set_result(self, result: Result | None) -> None:
        """Column statistics come from every analysed row, computed once per result when first shown."""
        self._table = None if result is None else result.analysed.table_features
        self.names = [] if self._table is None else list(result.analysed.feature_names)
        self._stats = None

    @property
    def stats(self) -> ColumnStats:
        """Made by :meth:`prepare` off the GUI thread, or here if asked for before it is done."""
        if self._stats is None:
            self._stats = ColumnStats.of(self._table if self._table is not None else np.zeros((0, 0)))
        return self._stats

    def prepare(self, table: np.ndarray) -> None:
        """Compute ``table``'s column statistics on a pool thread as its result arrives, so the first
        chosen cluster does not (0.06-0.17 s for 100 000 x 384 on the GUI thread)."""
        stats = ColumnStats.of(table)
        if self._table is table and self._stats is None:
            self._stats = stats

    def set_rows(self, result: Result | None, rows: np.ndarray) -> None:
        self.beginResetModel()
        self.result, self.rows = result, np.asarray(rows, dtype=np.intp)
        if self._table is None or not len(self.rows):
            self.order, self.shift = np.arange(len(self.names)), np.zeros(len(self.names))
        else:
            self.order, self.shift = distinctive_columns(self.stats, self._table, self.rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if self.result is None or self.result.analysed.table_features is None else len(self.rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return len(self.names)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.ToolTipRole and section < len(self.order):
            z = float(self.shift[self.order[section]])
            side = "above" if z >= 0 else "below"
            return f"These rows average {abs(z):.1f} standard deviations {side} the column's mean"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if horizontal:
            return self.names[self.order[section]] if section < len(self.order) else None
        return self.result.analysed.items[int(self.rows[section])].display_name

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.result is None:
            return None
        row, column = int(self.rows[index.row()]), int(self.order[index.column()])
        if role == ROW_ROLE:
            return row
        value = float(self.result.analysed.table_features[row, column])
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            return deviation_colour(self.stats.deviation(value, column))
        if role == Qt.ItemDataRole.ForegroundRole:
            return INK  # the tints are light: the palette's text, white in a dark theme, vanished on them
        if role == Qt.ItemDataRole.ToolTipRole:
            z = self.stats.deviation(value, column)
            return f"{abs(z):.1f} standard deviations {'above' if z >= 0 else 'below'} the column's mean"
        return None


INK = QColor(20, 20, 20)
"""Text on the light deviation tints, in light and dark themes alike."""


def deviation_colour(z: float) -> QColor:
    """White at the column's mean, deepening to red above it and to blue below it (full at 3 SD)."""
    strength = min(abs(z) / 3.0, 1.0)
    base = (214, 39, 40) if z > 0 else (31, 119, 180)
    return QColor(*(round(255 + (c - 255) * strength * 0.75) for c in base))


class SeriesBand(QWidget):
    """The cluster's mean series with a band of one standard deviation, over the member plots."""

    def __init__(self) -> None:
        super().__init__()
        self.mean = np.zeros(0)
        self.sd = np.zeros(0)
        self.count = 0
        self.setMinimumHeight(70)

    def set_series(self, series: list[np.ndarray]) -> None:
        self.count = len(series)
        self.mean, self.sd = series_mean_band(series) if series else (np.zeros(0), np.zeros(0))
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802
        if not len(self.mean):
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        area = QRectF(self.rect()).adjusted(6, 16, -6, -4)
        painter.fillRect(self.rect(), QColor(252, 252, 252))
        low, high = float((self.mean - self.sd).min()), float((self.mean + self.sd).max())
        upper = plot_path(self.mean + self.sd, area, low, high)
        lower = plot_path(self.mean - self.sd, area, low, high)
        band = QPainterPath(upper)
        for i in reversed(range(lower.elementCount())):
            band.lineTo(lower.elementAt(i).x, lower.elementAt(i).y)
        band.closeSubpath()
        painter.fillPath(band, QColor(31, 119, 180, 50))
        painter.setPen(QPen(QColor(31, 119, 180), 2))
        painter.drawPath(plot_path(self.mean, area, low, high))
        painter.setPen(QColor(90, 90, 90))
        painter.drawText(6, 12, f"mean of {self.count} series ± 1 SD (start to end)")


class MemberView(QWidget):
    """A title, an order box, then the members (grid for media and series, table for table rows)."""

    item_activated = Signal(int)
    """A member was double-clicked: open its file (row index)."""
    play_requested = Signal(int)
    """An audio member's play button was clicked (row index)."""

    def __init__(self, state: ViewState, cache: ThumbnailCache | None = None) -> None:
        super().__init__()
        self.state = state
        self.result: Result | None = None
        self.rows = np.zeros(0, dtype=np.intp)
        self.loader = PreviewLoader(parent=self)
        self.model = MemberModel(self.loader, cache if cache is not None else ThumbnailCache())
        self.table_model = TableMemberModel()
        self.delegate = MemberDelegate(self)
        self.delegate.play_requested.connect(self.play_requested)

        self.title = QLabel()
        self.title.setWordWrap(True)  # a long cluster name wraps rather than cutting off the count
        self.order = QComboBox()
        for key, label in ORDERS.items():
            self.order.addItem(label, key)
        self.order.currentIndexChanged.connect(lambda _i: self._fill())
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.order)

        self.band = SeriesBand()
        self.grid = QListView()
        self.grid.setModel(self.model)
        self.grid.setItemDelegate(self.delegate)
        self.grid.setUniformItemSizes(True)
        self.grid.setMouseTracking(True)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.grid.viewport().installEventFilter(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.columns = ColumnFitter(self.table)
        self.empty = hint_label("Choose a cluster above, or select items on the map.")
        self.stack = QStackedWidget()
        for widget in (self.empty, self.grid, self.table):
            self.stack.addWidget(widget)
        for view in (self.grid, self.table):
            view.doubleClicked.connect(lambda index: self.item_activated.emit(int(index.data(ROW_ROLE))))
            view.selectionModel().selectionChanged.connect(lambda *_a, v=view: self._selected_in(v))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.band)
        layout.addWidget(self.stack, 1)
        self.set_result(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and watched is self.grid.viewport():
            width = self.grid.viewport().width() - 4
            if self.delegate.width != width:
                self.delegate.width = width  # document rows follow the view's width
                if self.delegate.modality == "text":
                    self.grid.doItemsLayout()
        return super().eventFilter(watched, event)

    # ---- content ------------------------------------------------------------------------------
    def set_result(self, result: Result | None) -> None:
        self.result = result
        self.loader.clear()
        self.table_model.set_result(result)
        if result is not None and result.analysed.table_features is not None:
            table = result.analysed.table_features
            self.loader.pool.start(lambda: self.table_model.prepare(table))
        modality = result.modality if result is not None else "image"
        self.delegate.modality = modality
        text_like = modality == "text"
        self.grid.setViewMode(QListView.ViewMode.ListMode if text_like else QListView.ViewMode.IconMode)
        self.grid.setFlow(QListView.Flow.TopToBottom if text_like else QListView.Flow.LeftToRight)
        self.grid.setWrapping(not text_like)
        if result is not None and (modality in PICTURE_MAKERS or modality == "text"):
            # The first preview imports the readers (pandas comes with them): do it before it is asked.
            self.loader.pool.start(_import_readers)
        scores = result is not None and result.anomaly is not None
        self.order.model().item(self.order.findData("unusual")).setEnabled(scores)
        if not scores:
            self.order.setCurrentIndex(0)
        self.show_rows(np.zeros(0, dtype=np.intp), "")

    def set_keywords(self, keywords: list[str]) -> None:
        """Words to highlight in document previews (the chosen cluster's keywords)."""
        self.delegate.keywords = list(keywords)
        self.grid.viewport().update()

    def show_rows(self, rows: np.ndarray, title: str) -> None:
        """Show these items (in the chosen order) under ``title``; a search's results best first."""
        self.rows = np.asarray(rows, dtype=np.intp)
        self.title.setText(title)
        ranked = self._ranked()
        self.order.model().item(self.order.findData("ranked")).setEnabled(ranked)
        with QSignalBlocker(self.order):
            if ranked:
                self.order.setCurrentIndex(self.order.findData("ranked"))
            elif self.order.currentData() == "ranked":
                self.order.setCurrentIndex(self.order.findData("typical"))
        self._fill()

    def ordered_rows(self) -> np.ndarray:
        """The shown rows in display order."""
        if self.result is None or not len(self.rows):
            return self.rows
        if self.order.currentData() == "unusual" and self.result.anomaly is not None:
            return outlier_order(self.result.anomaly.scores, self.rows)
        if self.order.currentData() == "borderline":
            return borderline_order(self.result.embeddings, self.rows, self.state.labels)
        if self.order.currentData() == "ranked" and self._ranked():
            return self.state.ranking
        return typicality_order(self.result.embeddings, self.rows, self.state.labels)

    def _ranked(self) -> bool:
        """Whether the shown rows are a search's selection, whose ranking the panel can show."""
        ranking = self.state.ranking
        return ranking is not None and np.array_equal(np.sort(ranking), np.sort(self.rows))

    def _fill(self) -> None:
        rows = self.ordered_rows()
        table = self.result is not None and self.result.analysed.table_features is not None
        self.model.set_rows(None if table else self.result, rows)
        columns = self.table_model.order
        self.table_model.set_rows(self.result if table else None, rows)
        self.stack.setCurrentWidget(self.empty if not len(rows) else self.table if table else self.grid)
        if table:
            if not np.array_equal(columns, self.table_model.order):  # the most distinctive, at the left
                self.table.horizontalScrollBar().setValue(0)
            self.columns.refit()
        series = self.result is not None and self.result.modality == "timeseries" and len(rows)
        self.band.setVisible(bool(series))
        if series:
            self.band.set_series(
                [self.result.analysed.series[int(r)] for r in rows if int(r) in self.result.analysed.series]
            )

    def _selected_in(self, view: QAbstractItemView) -> None:
        rows = [int(index.data(ROW_ROLE)) for index in view.selectionModel().selectedIndexes()]
        if rows:
            self.state.select(rows, source=self)

    def visible_rows(self) -> list[int]:
        """Rows whose tiles are on screen now (tests and benchmarks).

        Tiles are laid out in reading order, so their tops never decrease: two binary searches
        find the first and last visible tile among any number of members.
        """
        viewport = self.grid.viewport().rect()
        rect = lambda position: self.grid.visualRect(self.model.index(position))  # noqa: E731
        count = self.model.rowCount()
        first = _bisect(count, lambda p: rect(p).bottom() >= viewport.top())
        last = _bisect(count, lambda p: rect(p).top() > viewport.bottom())
        return [int(r) for r in self.model.rows[first:last]]

    def preview(self, row: int) -> object:
        """The preview the grid holds for ``row`` now (None while loading)."""
        position = int(np.flatnonzero(self.model.rows == row)[0])
        return self.model.index(position).data(PREVIEW_ROLE)


def _bisect(count: int, reached: Callable[[int], bool]) -> int:
    """The first position in ``range(count)`` where ``reached`` holds (``count`` if none); monotone."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if reached(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _import_readers() -> None:
    import engine.embed.audio  # noqa: F401
    import engine.ingest.documents  # noqa: F401
    import engine.ingest.images  # noqa: F401
