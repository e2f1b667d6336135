"""The hover preview of one item: a thumbnail for images, the opening of a document, a small plot
of a time series, a table row's most unusual values.

Files are read off the GUI thread (a small thread pool) and kept in a small cache, so moving the
mouse over a map of photos never waits on a disk or a decoder; thumbnails come from the same disk
cache as the cluster panel's (:mod:`engine.thumbnails`).
"""

from __future__ import annotations

import html
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from engine.members import ColumnStats, cell_text
from gui.background import JobPool

if TYPE_CHECKING:
    from engine.pipeline import Result

THUMB_PX = 96
CACHE_ITEMS = 256
DOC_LINES = 6
DOC_CHARS = 400
TABLE_FIELDS = 12
PLOT_SIZE = (180, 64)


def load_thumbnail(path: Path, size: int = THUMB_PX) -> QImage:
    """A small image of ``path``, through the cluster panel's disk cache of thumbnails."""
    from engine.thumbnails import ThumbnailCache, cached_picture, image_thumbnail
    from gui.thumbnails import to_qimage

    return to_qimage(cached_picture(path, "image", image_thumbnail, ThumbnailCache(), size=size))


def load_opening(path: Path) -> str:
    """The first lines of a document (whatever its format), as written, for a tooltip."""
    from engine.ingest.documents import read_document

    text = read_document(path, max_chars=DOC_CHARS * 4)
    lines = [line.strip() for line in text.splitlines() if line.strip()][:DOC_LINES]
    opening = "\n".join(lines)
    return opening if len(opening) <= DOC_CHARS else opening[:DOC_CHARS].rstrip() + "…"


def series_image(values: np.ndarray, size: tuple[int, int] = PLOT_SIZE) -> QImage:
    """A small line plot of a (multi-channel) series, drawn on the GUI thread (it is cheap)."""
    width, height = size
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(255, 255, 255))
    values = np.asarray(values, dtype=np.float64)
    values = values.reshape(len(values), -1) if values.ndim else values.reshape(1, 1)
    step = max(1, len(values) // (2 * width))  # about two samples a pixel is enough to see the shape
    values = values[::step]
    finite = values[np.isfinite(values)]
    if len(values) < 2 or not len(finite):
        return image
    low, high = float(finite.min()), float(finite.max())
    span = high - low or 1.0
    xs = np.linspace(2, width - 3, len(values))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colours = [QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40)]
    for channel in range(min(values.shape[1], len(colours))):
        ys = height - 3 - (np.nan_to_num(values[:, channel], nan=low) - low) / span * (height - 6)
        painter.setPen(QPen(colours[channel], 1.2))
        painter.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]))
    painter.end()
    return image


def table_row_html(names: list[str], values: np.ndarray, stats: ColumnStats | None = None) -> str:
    """A table row as a two-column HTML table: with ``stats``, its values furthest from their
    column's mean first, each with that distance in standard deviations (red above, blue below, as
    in the members table), so a hover says what is unusual about the row, not what the file lists first.
    """
    values = np.asarray(values, dtype=np.float64)
    if stats is None:
        order, shift = np.arange(len(values)), None
    else:
        shift = np.nan_to_num((values - stats.mean) / stats.sd)
        order = np.argsort(-np.abs(shift), kind="stable")
    rows = []
    for column in order[:TABLE_FIELDS]:
        sd = ""
        if shift is not None:
            colour = "#b2182b" if shift[column] > 0 else "#2166ac"
            sd = f"<td align='right' style='color:{colour}'>{shift[column]:+.1f} sd</td>"
        rows.append(
            f"<tr><td style='color:#555'>{html.escape(str(names[column]))}</td>"
            f"<td align='right'>{cell_text(float(values[column]))}</td>{sd}</tr>"
        )
    more = len(names) - TABLE_FIELDS
    nearer = ", nearer their means" if stats is not None else ""
    tail = f"<tr><td colspan=3 style='color:#777'>… {more} more columns{nearer}</td></tr>" if more > 0 else ""
    return f"<table cellspacing=0 cellpadding=1>{''.join(rows)}{tail}</table>"


def item_preview(loader: PreviewLoader, result: Result, index: int) -> tuple[QImage | None, str]:
    """(picture, HTML body) previewing item ``index``; a file still loading says so and comes later."""
    collection = result.analysed
    if not 0 <= index < len(collection.items):
        return None, ""
    item = collection.items[index]
    if item.modality in ("image", "text"):
        payload = loader.get(item.modality, item.path)
        if isinstance(payload, QImage):
            return payload, ""
        if payload is None:
            return None, "<i style='color:#777'>loading preview…</i>"
        return None, html.escape(str(payload)).replace("\n", "<br>")
    if item.id in collection.series:
        return series_image(collection.series[item.id]), ""
    table = collection.table_features
    if table is not None and index < len(table):
        return None, table_row_html(collection.feature_names, table[index], loader.column_stats(table))
    return None, ""


def _load(loader: PreviewLoader, key: tuple[str, Path]) -> None:
    kind, path = key
    try:
        payload: object = load_thumbnail(path) if kind == "image" else load_opening(path)
    except Exception as error:  # noqa: BLE001 - any unreadable file becomes a message, never a crash
        payload = f"No preview: {error}"
    loader.loaded.emit(key, payload)


class PreviewLoader(QObject):
    """Thumbnails and document openings by (kind, path); ``ready`` once a requested one is loaded."""

    loaded = Signal(object, object)
    """Internal: emitted on a pool thread, delivered on the GUI thread."""
    ready = Signal(object)
    """``(kind, path)`` whose preview is now in the cache."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[tuple[str, Path], object] = OrderedDict()
        self._pending: set[tuple[str, Path]] = set()
        self._pool = JobPool(2, "preview")
        self._stats: tuple[np.ndarray, ColumnStats] | None = None
        self.loaded.connect(self._on_loaded)

    def column_stats(self, table: np.ndarray) -> ColumnStats:
        """What a table row's preview is read against, made once per table (60 ms for 100 000 x 384)."""
        if self._stats is None or self._stats[0] is not table:
            self._stats = (table, ColumnStats.of(table))
        return self._stats[1]

    def get(self, kind: str, path: Path) -> object | None:
        """The cached QImage (image) or text (document, or why there is no preview); None while loading."""
        key = (kind, Path(path))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key not in self._pending:
            self._pending.add(key)
            self._pool.start(lambda: _load(self, key))
        return None

    def wait(self, msecs: int = 5000) -> bool:
        """Wait for the pool to finish (tests and shutdown)."""
        return self._pool.wait(msecs)

    def _on_loaded(self, key: tuple[str, Path], payload: object) -> None:
        self._pending.discard(key)
        self._cache[key] = payload
        while len(self._cache) > CACHE_ITEMS:
            self._cache.popitem(last=False)
        self.ready.emit(key)


class PreviewPopup(QFrame):
    """A tooltip-like window that shows a title, an optional picture and a body text or table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.ToolTip)
        self.setFrameShape(QFrame.Shape.Box)
        # Its own ink on its own paper: the theme's text colour (white in a dark one) vanished here.
        self.setStyleSheet(
            "PreviewPopup { background: #fffff4; border: 1px solid #999; }"
            "PreviewPopup QLabel { color: #141414; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        self.title = QLabel()
        self.picture = QLabel()
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setMaximumWidth(320)
        for label in (self.title, self.body):  # both hold escaped HTML, never plain text
            label.setTextFormat(Qt.TextFormat.RichText)
        for label in (self.title, self.picture, self.body):
            layout.addWidget(label)

    def show_preview(self, at: QPoint, title: str, picture: QImage | None = None, body: str = "") -> None:
        """Show near ``at`` (global coordinates), kept on the screen."""
        self.title.setText(title)
        self.picture.setVisible(picture is not None)
        if picture is not None:
            self.picture.setPixmap(QPixmap.fromImage(picture))
        self.body.setVisible(bool(body))
        self.body.setText(body)
        self.adjustSize()
        pos = at + QPoint(16, 16)
        screen = QGuiApplication.screenAt(at) or QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            pos.setX(min(pos.x(), area.right() - self.width()))
            if pos.y() + self.height() > area.bottom():
                pos.setY(at.y() - 16 - self.height())
        self.move(pos)
        self.show()

    def picture_image(self) -> QImage | None:
        """The picture shown (for tests), or None."""
        pixmap = self.picture.pixmap()
        return None if not self.picture.isVisibleTo(self) or pixmap.isNull() else pixmap.toImage()
