"""The map's tools: rectangle and lasso selection, the toolbar (modes, zoom, search, more like this).

The geometry is plain numpy (and matplotlib's ``Path`` for the lasso), so selecting stays fast at a
million points; the widgets only collect what the user drew or typed and hand it to the map.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from engine.similar import DEFAULT_NEIGHBOURS, nearest
from gui.background import JobPool

MODES = ("pan", "rect", "lasso")
SEARCH_DELAY_MS = 200
"""Selecting by name waits for a pause in typing, so a long list is not searched at every key."""

LASSO_PIECE = 65_536
"""Points tested against a lasso per call (each call holds the interpreter lock)."""

OnSelect = Callable[[str, np.ndarray, bool], None]
"""(shape "rect" or "lasso", polygon as an (m, 2) array in view coordinates, add to the selection)."""


def points_in_shape(coords: np.ndarray, shape: str, polygon: np.ndarray) -> np.ndarray:
    """Indices of the points inside a rectangle (its corners) or a lasso polygon, in index order."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    polygon = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(polygon) < 2 or not len(coords):
        return np.zeros(0, dtype=np.intp)
    low, high = polygon.min(axis=0), polygon.max(axis=0)
    in_box = np.flatnonzero(((coords >= low) & (coords <= high)).all(axis=1))
    if shape == "rect" or len(in_box) == 0:
        return in_box
    if len(polygon) < 3:
        return np.zeros(0, dtype=np.intp)
    from matplotlib.path import Path  # lazy: not needed until the first lasso

    # In pieces: one call over a million points would hold the interpreter lock for a second.
    path, pieces = Path(polygon), range(0, len(in_box), LASSO_PIECE)
    inside = [path.contains_points(coords[in_box[i : i + LASSO_PIECE]]) for i in pieces]
    return in_box[np.concatenate(inside)]


def padded_range(points: np.ndarray, everything: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """[[x0, x1], [y0, y1]] around ``points`` with a margin; never thinner than 1/1000 of ``everything``."""
    low, high = points.min(axis=0), points.max(axis=0)
    least = 1e-3 * max(float(np.ptp(everything, axis=0).max()), 1e-9)
    span = np.maximum(high - low, least)
    return np.stack([low - margin * span, high + margin * span], axis=1)


class StaleOverlay(QLabel):
    """A veil over a plot that dims it and says why; it follows the plot's size, lets clicks through."""

    def __init__(self, plot: QWidget, text: str) -> None:
        super().__init__(text, plot)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setStyleSheet(
            "background: rgba(255, 255, 255, 165); color: #333; font-size: 13pt; padding-top: 28px;"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        plot.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False

    def show_over(self, shown: bool, text: str) -> None:
        self.setText(text)
        self.setGeometry(self.parent().rect())
        self.setVisible(shown)
        self.raise_()


class SelectingViewBox(pg.ViewBox):
    """Pans and zooms as usual; a drag draws a rectangle or a lasso instead when asked to.

    In pan mode, Shift-drag draws a rectangle and Ctrl- or Alt-drag a lasso. In the rectangle or
    lasso mode a plain drag draws that shape and Shift-drag adds to the selection.
    """

    def __init__(self, on_select: OnSelect | None = None) -> None:
        super().__init__()
        self.mode = "pan"
        self.on_select = on_select
        self._trail: list[QPointF] = []
        self._shape = ""
        self._additive = False
        pen = QPen(Qt.GlobalColor.black, 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._outline = QGraphicsPathItem()
        self._outline.setPen(pen)
        self._outline.setBrush(pg.mkBrush(40, 90, 200, 40))
        self._outline.setZValue(20)
        self._outline.hide()
        self.addItem(self._outline, ignoreBounds=True)

    def shape_for(self, modifiers: Qt.KeyboardModifier) -> tuple[str, bool] | None:
        """(shape, additive) a left drag with these modifiers draws, or None when it pans."""
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        if self.mode != "pan":
            return self.mode, shift
        if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return "lasso", False
        return ("rect", False) if shift else None

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.isStart():
            chosen = self.shape_for(ev.modifiers()) if ev.button() == Qt.MouseButton.LeftButton else None
            self._shape, self._additive = chosen if chosen and axis is None else ("", False)
            self._trail = [self.mapSceneToView(ev.buttonDownScenePos())] if self._shape else []
        if not self._shape:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapSceneToView(ev.scenePos())
        if self._shape == "rect":
            self._trail = [self._trail[0], here]
        else:
            self._trail.append(here)
        polygon = self.polygon()
        path = QPainterPath()
        path.moveTo(*polygon[0])
        for x, y in polygon[1:]:
            path.lineTo(x, y)
        path.closeSubpath()
        self._outline.setPath(path)
        self._outline.show()
        if ev.isFinish():
            self._outline.hide()
            shape, self._shape = self._shape, ""
            if self.on_select is not None:
                self.on_select(shape, polygon, self._additive)

    @property
    def drawing(self) -> bool:
        """Whether a rectangle or lasso is being drawn."""
        return bool(self._shape)

    def polygon(self) -> np.ndarray:
        """The shape being drawn as polygon corners in view coordinates."""
        points = np.array([[p.x(), p.y()] for p in self._trail], dtype=np.float64)
        if self._shape == "rect" and len(points) == 2:
            (x0, y0), (x1, y1) = points
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        return points


class _KeepsReturn(QObject):
    """Lets a line edit keep Return for itself, so the window's "Enter runs again" does not fire."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in keys:
            watched.returnPressed.emit()
            return True
        return False


class MapToolBar(QWidget):
    """Selection mode, zoom to selection, reset view, more like this, name search and text query."""

    mode_changed = Signal(str)
    zoom_requested = Signal()
    reset_requested = Signal()
    more_like_this = Signal()
    search_changed = Signal(str)
    query_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 2, 4, 2)
        outer.setSpacing(2)
        row = QHBoxLayout()
        outer.addLayout(row)
        # A tool bar, not a row of buttons: in a narrow window (1 024 px, or half a 1 920 px screen)
        # the buttons that do not fit go behind its » menu instead of widening the window.
        bar = QToolBar()
        row.addWidget(bar, 1)
        self.mode_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        tips = {
            "pan": ("Pan", "Drag to pan, wheel to zoom.\nShift-drag: rectangle; Ctrl- or Alt-drag: lasso."),
            "rect": ("Rectangle", "Drag a rectangle to select the points inside (Shift adds)."),
            "lasso": ("Lasso", "Draw around points to select them (Shift adds)."),
        }
        for mode in MODES:
            text, tip = tips[mode]
            action = QAction(text, self, checkable=True, toolTip=tip)
            action.triggered.connect(lambda _=False, m=mode: self.mode_changed.emit(m))
            group.addAction(action)
            self.mode_actions[mode] = action
            bar.addAction(action)
        self.mode_actions["pan"].setChecked(True)
        bar.addSeparator()
        self.zoom_action = QAction(
            "Zoom to selection",
            self,
            toolTip="Fit the view to the selected points, else to the clusters chosen in the list (Z)",
        )
        self.zoom_action.triggered.connect(self.zoom_requested)
        self.reset_action = QAction("Reset view", self, toolTip="Show every point again (Home)")
        self.reset_action.triggered.connect(self.reset_requested)
        self.more_action = QAction(
            "More like this",
            self,
            toolTip="Select the items most similar (cosine, in the embedding space) to the item under\n"
            "the mouse or to the selection (key M, or right-click a point).",
        )
        self.more_action.triggered.connect(self.more_like_this)
        bar.addActions([self.zoom_action, self.reset_action, self.more_action])
        self.neighbours = QSpinBox()
        self.neighbours.setRange(1, 1000)
        self.neighbours.setValue(DEFAULT_NEIGHBOURS)
        self.neighbours.setToolTip("How many similar items More like this selects.")
        self.neighbours.setMaximumWidth(64)
        bar.addWidget(self.neighbours)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Select by name…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Selects the items whose name contains this text (any case).")
        self.search.setMinimumWidth(100)
        self.search.setMaximumWidth(260)
        row.addWidget(self.search)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.search_changed.emit(self.search.text()))
        self.search.textEdited.connect(lambda _: self._search_timer.start())
        self.query = QLineEdit()
        self.query.setPlaceholderText("Find documents about… (Enter)")
        self.query.setClearButtonEnabled(True)
        self.query.setToolTip(
            "Embeds what you type with the collection's own model and selects the closest documents."
        )
        self.query.returnPressed.connect(lambda: self.query_entered.emit(self.query.text()))
        self._keeps_return = _KeepsReturn(self)
        for edit in (self.search, self.query):
            edit.installEventFilter(self._keeps_return)
        self.search.returnPressed.connect(self.flush_search)
        outer.addWidget(self.query)
        self.query.hide()

    def flush_search(self) -> None:
        """Search now instead of after the typing pause (Enter)."""
        self._search_timer.stop()
        self.search_changed.emit(self.search.text())

    def set_mode(self, mode: str) -> None:
        self.mode_actions[mode].setChecked(True)


def _query(runner: QueryRunner, search: Any, text: str, k: int, ticket: int) -> None:
    try:
        vector = search.embed(text)
        found: object = nearest(search.result.embeddings, vector, k)
    except Exception as error:  # noqa: BLE001 - a missing model or unreadable file: say so, go on
        found = f"The query could not be embedded: {error}"
    runner.answered.emit(ticket, found)


class QueryRunner(QObject):
    """Embeds typed queries off the GUI thread; ``found(rows, text)`` or ``failed(message)``.

    One :class:`engine.similar.TextQuery` is kept per result, so the model (or the refitted TF-IDF
    space) is made once; a query answered after the result changed is dropped.
    """

    answered = Signal(int, object)
    """Internal: emitted on the pool thread."""
    found = Signal(object, str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._search: Any = None
        self._ticket = 0
        self._texts: dict[int, str] = {}
        self._pool = JobPool(1, "query")
        self.answered.connect(self._on_answered)

    def set_result(self, result: Any) -> None:
        from engine.similar import TextQuery

        self._ticket += 1
        self._search = TextQuery(result) if result is not None and result.modality == "text" else None

    def ask(self, text: str, k: int) -> bool:
        """Start a query; False when the shown result cannot be searched by text."""
        if self._search is None or not text.strip():
            return False
        self._ticket += 1
        self._texts = {self._ticket: text}
        search, ticket = self._search, self._ticket
        self._pool.start(lambda: _query(self, search, text, k, ticket))
        return True

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.wait(msecs)

    def _on_answered(self, ticket: int, found: object) -> None:
        if ticket != self._ticket:
            return
        if isinstance(found, str):
            self.failed.emit(found)
        else:
            self.found.emit(found, self._texts.get(ticket, ""))
