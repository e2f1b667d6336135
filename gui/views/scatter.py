"""The 2-D map: one point per analysed item, coloured by cluster; hover previews, click, rectangle,
lasso and name selection, more like this, and a dimmed look while a new result is being made.

Selection, hover, hidden clusters, names, colours and the outlier threshold live in the shared
:class:`gui.view_state.ViewState`: the map writes the user's clicks there and redraws from it.

Up to ``density_above`` shown points: one ``ScatterPlotItem`` per cluster with a single brush and
pen (the fast path of pyqtgraph), no per-point Python objects. Above it the map is a density image
(:mod:`gui.views.density`) rendered off the GUI thread for each view, and markers come back for the
points in view once few enough are there. Hover is answered by a KD-tree (built off the GUI thread;
a vectorised search until it is ready) throttled by a timer instead of pyqtgraph's per-spot hover.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from gui.view_state import ViewState
from gui.views.density import DENSITY_ABOVE, Density, LatestRunner, Markers, density_or_points
from gui.views.map_actions import MapActions
from gui.views.map_legend import MapLegend
from gui.views.map_tools import (
    MapToolBar,
    QueryRunner,
    SelectingViewBox,
    StaleOverlay,
    padded_range,
)
from gui.views.preview import PreviewLoader, PreviewPopup, item_preview
from gui.views.widgets import plain_plot

if TYPE_CHECKING:
    from engine.pipeline import Result

HOVER_RADIUS_PX = 8.0
HOVER_INTERVAL_MS = 40
"""At most ~25 nearest-point lookups a second however fast the mouse moves."""

Describe = Callable[[int], tuple[str, str | None]]
"""Index -> (display name, known label or None)."""


UNCERTAIN_BELOW = 0.8
"""Items whose top mixture probability is below this get an uncertainty ring."""

MARK_LIMIT = 5_000
"""At most this many rings (the highest-scoring outliers) or selection marks over a density image."""
EMPTY = np.zeros(0, dtype=np.intp)

AXIS_NAMES = {"pca": "PC", "tsne": "t-SNE", "umap": "UMAP"}
STALE_TEXT = "Showing the previous result — analysing…"


def _point_size(n: int) -> int:
    return 8 if n <= 2_000 else 6 if n <= 20_000 else 4


class ScatterView(MapActions, QWidget):
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
        body.addWidget(self.plot, 1)
        body.addWidget(self.legend)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tools)
        layout.addLayout(body, 1)
        keys = {"M": self.more_like_this, "Z": self.zoom_to_selection, "Home": self.reset_view}
        for key, slot in keys.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda slot=slot: slot())
        self._names_lower: list[str] | None = None

        self._coords = np.zeros((0, 2), dtype=np.float32)
        self._labels = np.zeros(0, dtype=int)
        self._describe: Describe | None = None
        self._tree: Any = None
        self._cluster_items: dict[int, pg.ScatterPlotItem] = {}
        self._xy = np.zeros((2, 0))
        """The coordinates as two contiguous rows (x, y), for the density image."""
        self._channels = np.zeros((3, 0))
        """Each point's cluster colour as three contiguous rows (red, green, blue)."""
        self._counts, self._label_offset, self._cluster_ids = EMPTY, 0, EMPTY
        self._visible_mask = np.ones(0, dtype=bool)
        self._drawn: np.ndarray | None = EMPTY
        """Which points have markers: None for all, else their indices (none under the image)."""
        self._covered: tuple | None = None
        """The view rectangle the partial markers cover (a pan inside it needs nothing new)."""
        self._density_on = False
        self._image_shown = False
        self._density: Density | None = None
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setZValue(-2)
        self._image.hide()
        self.plot.addItem(self._image, ignoreBounds=True)
        self._density_runner = LatestRunner(self)
        self._density_runner.done.connect(self._apply_density)
        self._tree_runner = LatestRunner(self)
        self._tree_runner.done.connect(self._on_tree)
        self._shape_runner = LatestRunner(self)
        self._shape_runner.done.connect(lambda found: self._select_inside(*found))
        self.view_box.sigRangeChanged.connect(lambda *_: self._on_view_changed())
        self.view_box.sigResized.connect(lambda *_: self._on_view_changed())
        self._uncertain_flags: np.ndarray | None = None
        self._highlight = pg.ScatterPlotItem(
            size=14, pen=pg.mkPen(0, 0, 0, width=2), brush=None, pxMode=True, hoverable=False
        )
        self._highlight.setZValue(10)
        self.plot.addItem(self._highlight, ignoreBounds=True)
        # Outliers get a red ring, uncertain mixture members a grey one; both sit above the points.
        self._outliers = pg.ScatterPlotItem(
            size=12, pen=pg.mkPen(200, 30, 30, width=1.6), brush=None, pxMode=True, hoverable=False
        )
        self._uncertain = pg.ScatterPlotItem(
            size=11, pen=pg.mkPen(60, 60, 60, 200, width=1.0, style=Qt.PenStyle.DotLine), brush=None,
            pxMode=True, hoverable=False,
        )  # fmt: skip
        for ring, z in ((self._outliers, 5), (self._uncertain, 4)):
            ring.setZValue(z)
            self.plot.addItem(ring, ignoreBounds=True)

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

    def _show_rings(self) -> None:
        """Ring the visible outliers (at the state's threshold) and uncertain mixture members; over a
        density image only the highest-scoring outliers, with markers those among them."""
        anomaly = None if self.result is None else self.result.anomaly
        for ring, flags, priority in (
            (self._outliers, self.state.outlier_flags(), None if anomaly is None else anomaly.scores),
            (self._uncertain, self._uncertain_flags, None),
        ):
            shown = flags is not None and len(flags) == len(self._coords)
            marked = self._marks(flags, priority) if shown else EMPTY
            ring.setData(pos=self._coords[marked] if len(marked) else np.zeros((0, 2)))

    def _marks(self, flags: np.ndarray, priority: np.ndarray | None = None) -> np.ndarray:
        """Which of the flagged visible points get a mark: those with markers, or over the image the
        ``MARK_LIMIT`` of highest ``priority`` (none when there is no priority and more are flagged)."""
        chosen = np.flatnonzero(flags & self._visible())
        if self._image_shown:
            if len(chosen) > MARK_LIMIT:
                top = (
                    np.argsort(-priority[chosen], kind="stable")[:MARK_LIMIT]
                    if priority is not None
                    else EMPTY
                )
                chosen = np.sort(chosen[top])
        elif self._drawn is not None:
            chosen = chosen[np.isin(chosen, self._drawn, assume_unique=True)]
        return chosen

    def _visible(self) -> np.ndarray:
        """Per point: whether its cluster is shown."""
        return self._visible_mask

    def _show_hidden(self) -> None:
        """Hide the points (and their rings and highlight) of the clusters the state hides."""
        hidden = list(self.state.hidden)
        self._visible_mask = (
            ~np.isin(self._labels, hidden) if hidden else np.ones(len(self._labels), dtype=bool)
        )
        for cluster, item in self._cluster_items.items():
            item.setVisible(cluster not in self.state.hidden)
        self.legend.set_visible_clusters(self.state.hidden)
        if len(self._coords):
            self._refresh_map()
        self._show_rings()
        self._draw_selection()

    def _fill_legend(self) -> None:
        """One entry per cluster in id order, noise last, then the rings the map can draw."""
        counts = sorted(self.cluster_counts().items(), key=lambda ic: (ic[0] < 0, ic[0]))
        clusters = [
            (c, f"{self.state.name_of(c)}  ({n})", self.state.colour_of(c), c not in self.state.hidden)
            for c, n in counts
        ]
        outliers = self.result is not None and self.result.anomaly is not None
        self.legend.set_entries(clusters, outliers, self._uncertain_flags is not None)

    def _draw_selection(self) -> None:
        chosen = self.state.selected
        flags = np.zeros(len(self._coords), dtype=bool)
        flags[chosen[chosen < len(flags)]] = True
        marked = self._marks(flags)
        self._highlight.setData(pos=self._coords[marked] if len(marked) else np.zeros((0, 2)))

    def _on_selection(self) -> None:
        self._draw_selection()
        if self._image_shown:  # the image dims what is not selected
            self._refresh_map()

    def ringed(self) -> tuple[int, int]:
        """How many items carry an outlier ring and an uncertainty ring (for tests and the status bar)."""
        return len(self._outliers.data), len(self._uncertain.data)

    def set_points(
        self,
        coords: np.ndarray,
        labels: np.ndarray,
        describe: Describe | None = None,
        view: QRectF | None = None,
    ) -> None:
        """Replace every point; ``labels`` are cluster ids with -1 for noise. The view fits every
        point, or stays at ``view`` (new labels for the same points)."""
        coords = np.asarray(coords).reshape(-1, 2)
        xy = np.empty((2, len(coords)))  # x and y each contiguous: one fast pass per density operation
        xy[0], xy[1] = coords[:, 0], coords[:, 1]
        coords = xy.T
        labels = np.asarray(labels, dtype=int).reshape(-1)
        if len(coords) != len(labels):
            raise ValueError(f"{len(coords)} coordinates but {len(labels)} labels")
        self._clear_items()
        self._density_on = False  # until the new points are in place, a range change draws nothing
        self._coords, self._labels, self._describe = coords, labels, describe
        self._tree = None
        self._shape_runner.forget()
        if len(coords):
            self._tree_runner.request(lambda: (coords, _kd_tree(coords)))
        self._uncertain_flags = None
        for ring in (self._outliers, self._uncertain):
            ring.setData(pos=np.zeros((0, 2)))
        self._image.hide()
        self._image_shown, self._covered = False, None
        offset = min(int(labels.min()), 0) if len(labels) else 0
        ids = np.arange(offset, int(labels.max()) + 1 if len(labels) else 0)
        slots = labels - offset if offset else labels
        self._counts, self._label_offset = np.bincount(slots, minlength=len(ids)), offset
        palette = np.array([self.state.colour_of(int(c)) for c in ids], dtype=np.float64).reshape(-1, 3)
        self._xy, self._channels = xy, np.ascontiguousarray(palette.T)[:, slots]
        self._cluster_ids = ids[self._counts > 0]
        self._fill_legend()
        self._highlight.setData(pos=np.zeros((0, 2)))
        if view is not None:
            self.view_box.setRange(view, padding=0)
        elif len(coords):
            self.fit_all()
        self._show_hidden()

    def fit_all(self) -> None:
        """Show every point (a small margin around them)."""
        corners = np.stack([self._xy.min(axis=1), self._xy.max(axis=1)])
        x_range, y_range = padded_range(corners, corners, margin=0.05)
        self.view_box.setRange(xRange=tuple(x_range), yRange=tuple(y_range), padding=0)

    def _refresh_map(self) -> None:
        """Markers for every point when few enough are shown, else the density layer for the view
        (at once when nothing is drawn yet, else off the GUI thread while the old image stretches)."""
        self._density_on = int(np.count_nonzero(self._visible())) > self.density_above
        if not self._density_on:
            self._density_runner.forget()
            self._image.hide()
            self._image_shown = False
            if self._drawn is not None:
                self._draw_points(None)
            return
        xy, channels, rect = self._xy, self._channels, self.view_box.viewRange()
        shown = None if not self.state.hidden else self._visible()
        selected = None
        if len(self.state.selected):
            selected = np.zeros(len(self._coords), dtype=bool)
            selected[self.state.selected[self.state.selected < len(selected)]] = True
        size = (max(int(self.view_box.width()), 64), max(int(self.view_box.height()), 64))
        rect = ((rect[0][0], rect[0][1]), (rect[1][0], rect[1][1]))

        def work() -> Density | Markers:
            return density_or_points(xy, channels, shown, selected, rect, size, self.density_above)

        if not self._image_shown and not self._cluster_items:
            self._density_runner.forget()
            self._apply_density(work())
        else:
            self._density_runner.request(work)

    def _on_view_changed(self) -> None:
        if not self._density_on:
            return
        if self._covered is not None and not self._image_shown:
            (x0, x1), (y0, y1) = self._covered
            (a0, a1), (b0, b1) = self.view_box.viewRange()
            if x0 <= a0 and a1 <= x1 and y0 <= b0 and b1 <= y1:
                return  # the markers drawn already cover this view
        self._refresh_map()

    def _apply_density(self, answer: Density | Markers) -> None:
        if isinstance(answer, Density):
            self._density = answer
            (x0, x1), (y0, y1) = answer.rect
            self._image.setImage(answer.rgba, autoLevels=False)
            self._image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            self._image.show()
            self._image_shown, self._covered = True, None
            if self._cluster_items:
                self._clear_items()
        else:
            self._image.hide()
            self._image_shown = False
            self._draw_points(answer.indices)
            self._covered = answer.rect
        self._show_rings()
        self._draw_selection()
        self.density_ready.emit()

    def _draw_points(self, indices: np.ndarray | None) -> None:
        """One marker item per cluster for the points at ``indices`` (None: every point)."""
        self._clear_items()
        coords = self._coords if indices is None else self._coords[indices]
        labels = self._labels if indices is None else self._labels[indices]
        n = len(coords)
        size = _point_size(n)
        pen = pg.mkPen(255, 255, 255, 160, width=0.8) if n <= 5_000 else pg.mkPen(None)
        order = sorted(self._cluster_ids.tolist(), key=lambda c: (c < 0, c))
        for cluster in order:  # clusters in id order, noise last (drawn first)
            r, g, b = self.state.colour_of(cluster)
            alpha = 150 if cluster < 0 else 230
            item = pg.ScatterPlotItem(
                pos=coords[labels == cluster],
                size=size if cluster >= 0 else max(3, size - 2),
                pen=pen,
                brush=pg.mkBrush(r, g, b, alpha),
                pxMode=True,
                hoverable=False,
                antialias=n <= 20_000,
            )
            item.setZValue(-1 if cluster < 0 else 0)
            item.setVisible(cluster not in self.state.hidden)
            self.plot.addItem(item)
            self._cluster_items[cluster] = item
        self._drawn = indices

    def clear(self) -> None:
        """Remove every point (an empty collection or a new, still running analysis)."""
        self.set_points(np.zeros((0, 2)), np.zeros(0, dtype=int))

    def _clear_items(self) -> None:
        for item in self._cluster_items.values():
            self.plot.removeItem(item)
        self._cluster_items.clear()
        self._drawn = EMPTY

    def _on_tree(self, built: tuple[np.ndarray, Any]) -> None:
        if built[0] is self._coords:
            self._tree = built[1]

    # ---- facts the tests and other views read ------------------------------------------------
    def point_count(self) -> int:
        """How many points are drawn as markers (none where the density image stands for them)."""
        return int(sum(len(item.data) for item in self._cluster_items.values()))

    def density_shown(self) -> bool:
        """Whether the map shows the density image rather than markers."""
        return self._image_shown

    def density_image(self) -> Density | None:
        """The density image shown (per-pixel counts and colours), None when markers are."""
        return self._density if self._image_shown else None

    def cluster_counts(self) -> dict[int, int]:
        """Points per cluster id (noise is -1)."""
        return {int(c): int(self._counts[c - self._label_offset]) for c in self._cluster_ids}

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
        title = "<b>{}</b><br><span style='color:#555'>{}</span>".format(
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

    def set_stale(self, stale: bool, text: str = STALE_TEXT) -> None:
        """Dim the map and say that it shows the previous result while a new one is being made."""
        self._stale.show_over(stale, text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        # Esc is a key, not a shortcut: the window's own Esc (cancel, else clear) must not be ambiguous.
        if event.key() == Qt.Key.Key_Escape and len(self.state.selected):
            self.state.select([], source=self)
            return
        super().keyPressEvent(event)


def _kd_tree(coords: np.ndarray) -> Any:
    from scipy.spatial import cKDTree  # lazy: scipy must not load at window start-up

    return cKDTree(coords)
