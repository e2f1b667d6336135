"""Painting one member of a cluster in the member grid: a thumbnail, a spectrogram with a play button,
a mini line plot, or a document's title and first lines with the cluster's keywords highlighted.

One delegate paints every row (Qt's model/view: no widget per item), from previews the
:class:`gui.thumbnails.PreviewLoader` keeps in memory; a row whose preview is not ready yet shows a
grey "loading" tile, and one that cannot be made shows the reason in its place.
"""

from __future__ import annotations

import html
import re

import numpy as np
from PySide6.QtCore import QEvent, QModelIndex, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QPolygonF, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from engine.members import first_channel, resample
from engine.thumbnails import THUMB_SIZE
from gui.thumbnails import Failed

PREVIEW_ROLE = Qt.ItemDataRole.UserRole + 1
"""A row's preview: QImage, ``(title, text)``, a 1-D array of series values, Failed, or None (loading)."""
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
"""The row's index into ``Result.analysed.items``."""

TILE = {  # modality: (width, height) of one cell of the grid
    "image": QSize(THUMB_SIZE + 16, THUMB_SIZE + 30),
    "audio": QSize(THUMB_SIZE + 16, THUMB_SIZE * 3 // 4 + 30),
    "timeseries": QSize(180, 86),
    "text": QSize(420, 76),
}
PLOT_POINTS = 160
"""Points a mini plot draws: about one per pixel of its width."""
_GREY = QColor(236, 236, 236)
_SERIES = QColor(31, 119, 180)


def play_button_rect(cell: QRect) -> QRect:
    """Where an audio tile's play button sits (lower-left corner of the spectrogram)."""
    return QRect(cell.left() + 10, cell.top() + THUMB_SIZE * 3 // 4 - 22, 24, 24)


def highlight(text: str, keywords: list[str]) -> str:
    """HTML of ``text`` with every whole-word occurrence of ``keywords`` in bold on yellow."""
    escaped = html.escape(text)
    words = [re.escape(html.escape(k)) for k in keywords if k.strip()]
    if not words:
        return escaped
    pattern = re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)
    return pattern.sub(r"<b style='background:#ffe58a; color:#141414'>\1</b>", escaped)  # dark themes too


class MemberDelegate(QStyledItemDelegate):
    """Paints members of one modality; ``play_requested(row)`` when an audio tile's button is clicked."""

    play_requested = Signal(int)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.modality = "image"
        self.keywords: list[str] = []
        self.width = TILE["text"].width()
        """Width of a document row: the view's, set by the view when it is resized."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        if self.modality == "text":  # one document per line, as wide as the view
            return QSize(max(200, self.width), TILE["text"].height())
        return TILE.get(self.modality, TILE["image"])

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        cell = option.rect.adjusted(2, 2, -2, -2)
        # A veil of the theme's highlight, not a light fill: the text on it is the theme's (white in dark).
        veil = option.palette.highlight().color()
        if option.state & QStyle.StateFlag.State_Selected:
            veil.setAlpha(80)
            painter.fillRect(cell, veil)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            veil.setAlpha(30)
            painter.fillRect(cell, veil)
        preview = index.data(PREVIEW_ROLE)
        name = str(index.data(Qt.ItemDataRole.DisplayRole))
        if self.modality == "text":
            self._paint_text(painter, cell, name, preview)
        else:
            body = QRect(cell.left() + 6, cell.top() + 4, cell.width() - 12, cell.height() - 26)
            if isinstance(preview, Failed) or preview is None:
                _placeholder(painter, body, preview)
            elif isinstance(preview, QImage):
                _picture(painter, body, preview)
                if self.modality == "audio":
                    _play_button(painter, play_button_rect(option.rect))
            else:
                _mini_plot(painter, body, preview)
            painter.setPen(option.palette.text().color())
            label = QRect(cell.left() + 2, cell.bottom() - 20, cell.width() - 4, 18)
            elided = painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, label.width())
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, elided)
        painter.restore()

    def editorEvent(
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: QModelIndex
    ) -> bool:  # noqa: N802
        if (
            self.modality == "audio"
            and event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and play_button_rect(option.rect).contains(event.position().toPoint())
            and isinstance(index.data(PREVIEW_ROLE), QImage)
        ):
            self.play_requested.emit(int(index.data(ROW_ROLE)))
            return True
        return super().editorEvent(event, model, option, index)

    def _paint_text(self, painter: QPainter, cell: QRect, name: str, preview: object) -> None:
        document = QTextDocument()
        document.setDefaultFont(painter.font())
        document.setHtml(text_card(name, preview, self.keywords))
        document.setTextWidth(cell.width() - 8)
        painter.translate(cell.left() + 4, cell.top() + 2)
        line = painter.fontMetrics().lineSpacing() + 1
        painter.setClipRect(QRect(0, 0, cell.width() - 8, (cell.height() - 4) // line * line))  # whole lines
        document.drawContents(painter)


def text_card(name: str, preview: object, keywords: list[str]) -> str:
    """A document's card: its first line in bold, the file's name (first lines repeat: "Compute
    the weighting..."), then the text, the cluster's keywords marked in both (a short document is
    all first line); or why it cannot be shown."""
    if isinstance(preview, tuple):
        title, text = (highlight(part, keywords) for part in preview)
        source = f" <span style='color:#888'>· {html.escape(name)}</span>"
        return f"<b>{title}</b>{source}<br>{text}"  # in the theme's colour: a fixed grey hid it in dark
    if isinstance(preview, Failed):
        return f"<b>{html.escape(name)}</b><br><i style='color:#a33'>{html.escape(preview.reason)}</i>"
    return f"<b>{html.escape(name)}</b><br><i style='color:#888'>loading…</i>"


def _placeholder(painter: QPainter, rect: QRect, preview: Failed | None) -> None:
    painter.save()
    painter.fillRect(rect, _GREY if preview is None else QColor(250, 232, 232))
    font = painter.font()
    font.setPointSizeF(max(6.5, font.pointSizeF() - 1.5))
    painter.setFont(font)
    painter.setPen(QColor(150, 150, 150) if preview is None else QColor(160, 40, 40))
    text = "loading…" if preview is None else preview.reason
    flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
    painter.drawText(rect.adjusted(3, 3, -3, -3), int(flags), text)
    painter.restore()


def _picture(painter: QPainter, rect: QRect, image: QImage) -> None:
    size = image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, size.width(), size.height())
    target.moveCenter(rect.center())
    painter.drawImage(target, image)


def _play_button(painter: QPainter, rect: QRect) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 220))
    painter.drawEllipse(rect)
    r = QRectF(rect).adjusted(8, 6, -6, -6)
    triangle = QPolygonF([r.topLeft(), QPointF(r.right(), r.center().y()), r.bottomLeft()])
    painter.setBrush(QColor(40, 40, 40))
    painter.drawPolygon(triangle)


def plot_path(values: np.ndarray, rect: QRectF, low: float, high: float) -> QPainterPath:
    """A polyline of ``values`` (already resampled) scaled so ``low..high`` spans ``rect``'s height."""
    span = high - low if high > low else 1.0
    xs = rect.left() + np.linspace(0.0, rect.width(), len(values))
    ys = rect.bottom() - (np.asarray(values) - low) / span * rect.height()
    path = QPainterPath(QPointF(float(xs[0]), float(ys[0])))
    for x, y in zip(xs[1:].tolist(), ys[1:].tolist(), strict=True):
        path.lineTo(x, y)
    return path


def _mini_plot(painter: QPainter, rect: QRect, series: np.ndarray) -> None:
    values = resample(first_channel(series), PLOT_POINTS)
    painter.fillRect(rect, QColor(250, 250, 252))
    painter.setPen(QPen(_SERIES, 1.2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    area = QRectF(rect).adjusted(2, 3, -2, -3)
    painter.drawPath(plot_path(values, area, float(values.min()), float(values.max())))
