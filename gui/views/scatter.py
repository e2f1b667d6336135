"""The 2-D map: one point per analysed item, coloured by cluster; hover previews, click, rectangle,
lasso and name selection, more like this, and a dimmed look while a new result is being made.

Selection, hover, hidden clusters, names, colours and the outlier threshold live in the shared
:class:`gui.view_state.ViewState`: the map writes the user's clicks there and redraws from it.

What is drawn (markers per cluster, or a density image above ``density_above`` shown points) lives
in :mod:`gui.views.map_layers`. Hover is answered by a KD-tree (built off the GUI thread; a
vectorised search until it is ready) throttled by a timer instead of pyqtgraph's per-spot hover.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from gui.view_state import ViewState
from gui.views.density import DENSITY_ABOVE
from gui.views.map_actions import MapActions
from gui.views.map_layers import MapLayers
from gui.views.map_legend import MapLegend
from gui.views.map_tools import (
    MapToolBar,
    QueryRunner,
    SelectingViewBox,
    StaleOverlay,
)
from gui.views.preview import PreviewLoader, PreviewPopup, item_preview
from gui.views.widgets import plain_plot

if TYPE_CHECKING:
    from engine.pipeline import Result

HOVER_RADIUS_PX = 8.0
HOVER_INTERVAL_MS = 40
"""At most ~25 nearest-point lookups a second however fast the mouse moves."""


UNCERTAIN_BELOW = 0.8
"""Items whose top mixture probability is below this get an uncertainty ring."""

AXIS_NAMES = {"pca": "PC", "tsne": "t-SNE", "umap": "UMAP"}
STALE_TEXT = "Showing the previous result — analysing…"


PLOT_MIN_WIDTH = 240
"""Pixels the plot keeps beside its legend; with the docks' minimums the window fits 1 024 px."""


class ScatterView(MapLayers, MapActions, QWidget):
    """Scatter of ``Result.coords`` coloured by the state's labels; selection is by item index."""

    message = Signal(str)
    """Something the status bar should say (how many were selected, why nothing happened)."""
    density_ready = Signal()
    """The density layer (image or markers for the points in view) now shows the current view."""

    def __init__(
        self,
        state: ViewState | None = None,
        parent: QWidget | None = None,
        density_above: int = DENSITY_ABOVE,
    ) -> None:
        super().__init__(parent)
        self.density_above = density_above
        self.state = state if state is not None else ViewState(self)
        self.result: Result | None = None
        self.view_box = SelectingViewBox(self.select_in_shape)
        self.plot = plain_plot(viewBox=self.view_box)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setPen(pg.mkPen(150, 150, 150))
            self.plot.getAxis(axis).setTextPen(pg.mkPen(90, 90, 90))
            self.plot.getAxis(axis).enableAutoSIPrefix(False)  # "PC 1 (x0.001)" reads as a unit
        self.legend = MapLegend()
        self.legend.visibility_toggled.connect(lambda c, v: self.state.set_cluster_visible(c, v, source=self))
        self.legend.cluster_clicked.connect(lambda cluster, add: self.state.choose(cluster, add, self))
        self.tools = MapToolBar()
        self.tools.mode_changed.connect(self.set_mode)
        self.tools.zoom_requested.connect(self.zoom_to_selection)
        self.tools.reset_requested.connect(self.reset_view)
        self.tools.more_like_this.connect(lambda: self.more_like_this())
        self.tools.search_changed.connect(self.select_by_name)
        self.tools.query_entered.connect(self.ask_query)
        self.queries = QueryRunner(self)
        self.queries.found.connect(self._on_query_found)
        self.queries.failed.connect(self.message)
        self.previews = PreviewLoader(self)
        self.previews.ready.connect(lambda _key: self._update_hover())
        self.popup = PreviewPopup(self)
        self._stale = StaleOverlay(self.plot, STALE_TEXT)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        # In a narrow window the docks give way before the plot is squeezed behind its legend.
        self.plot.setMinimumWidth(PLOT_MIN_WIDTH)
        body.addWidget(self.plot, 1)
        body.addWidget(self.legend)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tools)
        layout.addLayout(body, 1)
        keys = {
            "M": ("More like this (map)", self.more_like_this),
            "Z": ("Zoom to selection (map)", self.zoom_to_selection),
            "Home": ("Reset view (map)", self.reset_view),
        }
        for key, (what, slot) in keys.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setWhatsThis(what)  # Help › Keyboard shortcuts lists it under this name
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda slot=slot: slot())
        self._names_lower: list[str] | None = None
        self._init_layers()

        self._hover_pos: QPointF | None = None
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(HOVER_INTERVAL_MS)
        self._hover_timer.timeout.connect(self._update_hover)
        scene = self.plot.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        self.state.selection_changed.connect(lambda *_: self._on_selection())
        self.state.hidden_changed.connect(lambda hidden, _: self._show_hidden())
        self.state.focus_changed.connect(lambda *_: self._show_focus())
        self.state.labels_changed.connect(lambda labels, _: self._redraw(labels))
        self.state.clusters_changed.connect(lambda _: self._redraw(self._labels))
        self.state.threshold_changed.connect(lambda *_: self._show_rings())

    # ---- data -------------------------------------------------------------------------------
    def set_result(self, result: Result) -> None:
        """Show a pipeline result: coordinates, clusters, item names, outliers and uncertain items."""
        if self.state.result is not result:
            self.state.reset_for(result)
        self.result, self._names_lower = result, None
        self.queries.set_result(result)
        self.tools.query.setVisible(result.modality == "text")
        axis = AXIS_NAMES.get(result.spec.layout, result.spec.layout)
        self.plot.setLabel("bottom", f"{axis} 1")
        self.plot.setLabel("left", f"{axis} 2")
        items = result.analysed.items

        def describe(i: int) -> tuple[str, str | None]:
            return items[i].display_name, items[i].label

        self.set_points(result.coords, self.state.labels, describe)
        probabilities = result.clustering.probabilities
        self._uncertain_flags = None if probabilities is None else probabilities.max(axis=1) < UNCERTAIN_BELOW
        self._fill_legend()
        self._show_rings()

    def _redraw(self, labels: np.ndarray) -> None:
        """New labels, names or colours for the same points; the view and the rings stay."""
        rect, uncertain = self.view_box.viewRect(), self._uncertain_flags
        self.set_points(self._coords, labels, self._describe, view=rect)
        self._uncertain_flags = uncertain
        self._fill_legend()
        self._show_rings()

    def _fill_legend(self) -> None:
        """One entry per cluster in id order, noise last, then the rings the map can draw."""
        counts = sorted(self.cluster_counts().items(), key=lambda ic: (ic[0] < 0, ic[0]))
        clusters = [
            (c, f"{self.state.name_of(c)}  ({n})", self.state.colour_of(c), c not in self.state.hidden)
            for c, n in counts
        ]
        outliers = self.result is not None and self.result.anomaly is not None
        self.legend.set_entries(clusters, outliers, self._uncertain_flags is not None)
        self.legend.set_focused(self.state.focused)

    # ---- facts the tests and other views read ------------------------------------------------
    def legend_entries(self) -> list[str]:
        """The legend's cluster entries, in order (the ring entries follow them in the legend)."""
        return self.legend.cluster_texts()

    def axis_titles(self) -> tuple[str, str]:
        """(bottom, left) axis titles."""
        return self.plot.getAxis("bottom").labelText, self.plot.getAxis("left").labelText

    def is_stale(self) -> bool:
        """Whether the map is dimmed as the previous result while a new one is being made."""
        return self._stale.isVisibleTo(self)

    @property
    def selected(self) -> list[int]:
        return self.state.selected.tolist()

    # ---- hover and selection ------------------------------------------------------------------
    def index_at(self, x: float, y: float, radius_px: float = HOVER_RADIUS_PX) -> int | None:
        """The visible point nearest to view coordinates (x, y) within ``radius_px`` screen pixels."""
        if not len(self._coords):
            return None
        px, py = self.view_box.viewPixelSize()
        px, py = max(px, 1e-12), max(py, 1e-12)
        if self._tree is None:  # still being built off the GUI thread: search every point
            candidates = np.flatnonzero(self._visible())
        else:  # the ball in data units covers the pixel-radius ellipse
            found = self._tree.query_ball_point((x, y), radius_px * max(px, py))
            candidates = np.asarray(found, dtype=np.intp)
            candidates = candidates[self._visible()[candidates]]
        if not len(candidates):
            return None
        d = np.hypot((self._coords[candidates, 0] - x) / px, (self._coords[candidates, 1] - y) / py)
        best = int(np.argmin(d))
        return int(candidates[best]) if d[best] <= radius_px else None

    def index_at_scene(self, scene_pos: QPointF) -> int | None:
        """Like :meth:`index_at` for a position in scene coordinates (mouse events)."""
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.view_box.mapSceneToView(scene_pos)
        return self.index_at(p.x(), p.y())

    def scene_pos_of(self, index: int) -> QPointF:
        """Where point ``index`` is drawn, in scene coordinates."""
        x, y = self._coords[index]
        return self.view_box.mapViewToScene(QPointF(float(x), float(y)))

    def hover_text(self, index: int) -> str:
        """Tooltip text: item name, cluster and known label."""
        cluster = int(self._labels[index])
        name, label = self._describe(index) if self._describe else (f"item {index}", None)
        lines = [name, self.state.name_of(cluster)]
        if label is not None:
            lines.append(f"label: {label}")
        return "\n".join(lines)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        self._hover_pos = QPointF(scene_pos)
        if not self._hover_timer.isActive():
            self._hover_timer.start()

    def _update_hover(self) -> None:
        if self._hover_pos is None:
            return
        if self.view_box.drawing:  # a preview would hide the points being lassoed
            self.popup.hide()
            return
        index = self.index_at_scene(self._hover_pos)
        index = -1 if index is None else index
        self.state.hover(index, source=self)
        if index < 0:
            self.popup.hide()
            return
        view_pos = self.plot.mapFromScene(self._hover_pos)
        self.show_preview(index, self.plot.viewport().mapToGlobal(view_pos))

    def show_preview(self, index: int, at: Any) -> None:
        """The hover preview of item ``index`` near the global position ``at``: name and cluster,
        then a thumbnail, the document's first lines, a plot of the series or the row's values."""
        title = "<b>{}</b><br><span style='color:#777'>{}</span>".format(  # grey on light and dark tips
            *(html.escape(line) for line in self.hover_text(index).split("\n", 1))
        ).replace("\n", "<br>")
        picture, body = (None, "") if self.result is None else item_preview(self.previews, self.result, index)
        self.popup.show_preview(at, title, picture, body)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        self.popup.hide()
        super().leaveEvent(event)

    def _on_mouse_clicked(self, event: Any) -> None:
        index = self.index_at_scene(event.scenePos())
        if event.button() == Qt.MouseButton.RightButton:
            if index is not None:
                self.context_menu(index).popup(QCursor.pos())
            return
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if index is not None:
                self.state.select(set(self.selected) ^ {index}, source=self)
            return
        self.state.select([] if index is None else [index], source=self)
        if index is None:  # empty space lets go of everything singled out, the chosen clusters too
            self.state.set_focused((), self)

    def set_stale(self, stale: bool, text: str = STALE_TEXT) -> None:
        """Dim the map and say that it shows the previous result while a new one is being made."""
        self._stale.show_over(stale, text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        # Esc is a key, not a shortcut: the window's own Esc (cancel, else clear) must not be ambiguous.
        if event.key() == Qt.Key.Key_Escape and len(self.state.selected):
            self.state.select([], source=self)
            return
        if event.key() == Qt.Key.Key_Escape and self.state.focused:
            self.state.set_focused((), self)
            return
        super().keyPressEvent(event)
