"""The map's layers: markers per cluster, or the density image above a number of shown points, with
the rings and the selection highlight over them.

A mixin of :class:`gui.views.scatter.ScatterView`, kept apart so the view file holds the widget,
hover and clicks and this one what is drawn. Up to ``density_above`` shown points it draws one
``ScatterPlotItem`` per cluster with a single brush and pen (the fast path of pyqtgraph), no
per-point Python objects. Above it the map is a density image (:mod:`gui.views.density`) rendered
for each view off the GUI thread, the previous image shown stretched meanwhile, and once few enough
points are in view their markers come back, painted into an image off the GUI thread as well
(:mod:`gui.views.marker_image`). New labels, colours, hidden clusters and selections re-render the
same way, so at any size the GUI thread only swaps images. The KD-tree for hover is built off the
GUI thread too. Choosing clusters in the cluster list fades the others' points (over an image the
selection, when there is one, decides what is faded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer

from gui.views.density import DIMMED, Density, LatestRunner, Markers, Rect, density_or_points
from gui.views.map_tools import padded_range
from gui.views.marker_image import covers, point_size, render_markers

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.view_state import ViewState

Describe = Callable[[int], tuple[str, str | None]]
"""Index -> (display name, known label or None)."""

MARK_LIMIT = 5_000
"""At most this many rings (the highest-scoring outliers) or selection marks over a density image."""
EMPTY = np.zeros(0, dtype=np.intp)
TREE_DELAY_MS = 250
"""The hover index (a KD-tree) is built this long after new points arrive. Built at once it competes
with the first image for the interpreter: the first paint of 100 000 points took 0.06-0.11 s so,
0.023-0.033 s without (bench_map.py). Hover meanwhile searches every point, as while it builds."""
RENDER_NOW_BELOW = 300_000
"""Up to this many shown points the first image is made at once (under about 50 ms), so a result
appears drawn; above, it is made off the GUI thread like every later one (the map is empty meanwhile)."""


def _kd_tree(coords: np.ndarray) -> Any:
    from scipy.spatial import cKDTree  # lazy: scipy must not load at window start-up

    return cKDTree(coords)


class MapLayers:
    """What the map draws (see the module docstring)."""

    state: ViewState
    result: Result | None
    plot: Any
    view_box: Any
    legend: Any
    density_above: int
    density_ready: Any
    _uncertain_flags: np.ndarray | None
    _fill_legend: Callable[[], None]
    _select_inside: Callable[..., None]

    def _init_layers(self) -> None:
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
        """Which points have markers: None for all, else their indices (none under the density image)."""
        self._density_on = False
        self.render_now_below = RENDER_NOW_BELOW
        self._picture: Density | Markers | None = None
        """What the image item shows: the density image, markers painted off the GUI thread, or nothing."""
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setZValue(-2)
        self._image.hide()
        self.plot.addItem(self._image, ignoreBounds=True)
        self._density_runner = LatestRunner(self)
        self._density_runner.done.connect(self._apply_density)
        self._tree_runner = LatestRunner(self)
        self._tree_runner.done.connect(self._on_tree)
        self._tree_timer = QTimer(self, singleShot=True, interval=TREE_DELAY_MS)
        self._tree_timer.timeout.connect(self._build_tree)
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

    def _show_rings(self) -> None:
        """Ring the visible outliers (at the state's threshold) and uncertain mixture members, only in
        the clusters chosen in the list while some are; over a density image only the
        highest-scoring outliers, with markers those among them."""
        anomaly = None if self.result is None else self.result.anomaly
        focused = None
        if self.state.focused and len(self._labels) == len(self._coords):  # no rings on faded clusters
            focused = np.isin(self._labels, list(self.state.focused))
        for ring, flags, priority in (
            (self._outliers, self.state.outlier_flags(), None if anomaly is None else anomaly.scores),
            (self._uncertain, self._uncertain_flags, None),
        ):
            shown = flags is not None and len(flags) == len(self._coords)
            marked = self._marks(flags if focused is None else flags & focused, priority) if shown else EMPTY
            ring.setData(pos=self._coords[marked] if len(marked) else np.zeros((0, 2)))

    def _marks(self, flags: np.ndarray, priority: np.ndarray | None = None) -> np.ndarray:
        """Which of the flagged visible points get a mark: those with markers, or over the image the
        ``MARK_LIMIT`` of highest ``priority`` (none when there is no priority and more are flagged)."""
        chosen = np.flatnonzero(flags & self._visible())
        if self._drawn is not None and not isinstance(self._picture, Density):  # those with markers
            chosen = chosen[np.isin(chosen, self._drawn, assume_unique=True)]
        if self._picture is not None and len(chosen) > MARK_LIMIT:  # over an image, only a few
            top = np.argsort(-priority[chosen], kind="stable")[:MARK_LIMIT] if priority is not None else EMPTY
            chosen = np.sort(chosen[top])
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

    def _draw_selection(self) -> None:
        chosen = self.state.selected
        flags = np.zeros(len(self._coords), dtype=bool)
        flags[chosen[chosen < len(flags)]] = True
        marked = self._marks(flags)
        self._highlight.setData(pos=self._coords[marked] if len(marked) else np.zeros((0, 2)))

    def _on_selection(self) -> None:
        self._draw_selection()
        if self._picture is not None:  # the image dims what is not selected
            self._refresh_map()

    def _show_focus(self) -> None:
        """Fade the clusters not chosen in the list: their markers, or over an image their pixels."""
        focused = self.state.focused
        self.legend.set_focused(focused)
        for cluster, item in self._cluster_items.items():
            item.setOpacity(1.0 if not focused or cluster in focused else DIMMED)
        if self._picture is not None:
            self._refresh_map()  # which draws the rings again when the image lands
        else:
            self._show_rings()

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
        same_points = coords is self._coords  # new labels only: keep the copy and the KD-tree
        if same_points:
            xy = self._xy
        else:
            coords = np.asarray(coords).reshape(-1, 2)
            xy = np.empty((2, len(coords)))  # x and y each contiguous: one pass per density operation
            xy[0], xy[1] = coords[:, 0], coords[:, 1]
            coords = xy.T
        labels = np.asarray(labels, dtype=int).reshape(-1)
        if len(coords) != len(labels):
            raise ValueError(f"{len(coords)} coordinates but {len(labels)} labels")
        self._clear_items()
        self._density_on = False  # until the new points are in place, a range change draws nothing
        self._coords, self._labels, self._describe = coords, labels, describe
        self._shape_runner.forget()
        if not same_points:
            self._tree = None
            self._tree_runner.forget()
            self._tree_timer.start()
        self._uncertain_flags = None
        for ring in (self._outliers, self._uncertain):
            ring.setData(pos=np.zeros((0, 2)))
        if not same_points:  # new labels for the same points: the old image shows until the new lands
            self._image.hide()
            self._picture = None
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
        shown_points = int(np.count_nonzero(self._visible()))
        self._density_on = shown_points > self.density_above
        if not self._density_on:
            self._density_runner.forget()
            self._image.hide()
            self._picture = None
            if self._drawn is not None:
                self._draw_points()
            return
        xy, channels, labels = self._xy, self._channels, self._labels
        rect, size, pixel = self._view_geometry()
        colours = {int(c): self.state.colour_of(int(c)) for c in self._cluster_ids}
        shown = None if not self.state.hidden else self._visible()
        selected = self.state.emphasis()
        if selected is not None and len(selected) != len(self._coords):
            selected = None  # the state already holds another result's items

        def work() -> Density | Markers:
            answer = density_or_points(xy, channels, shown, selected, rect, size, self.density_above)
            if isinstance(answer, Markers):
                answer = render_markers(answer, xy, labels, colours, selected, pixel)
            return answer

        if self._picture is None and not self._cluster_items and shown_points <= self.render_now_below:
            self._density_runner.forget()
            self._apply_density(work())
        else:
            self._density_runner.request(work)

    def _on_view_changed(self) -> None:
        if not self._density_on:
            return
        if isinstance(self._picture, Markers):
            rect, _size, pixel = self._view_geometry()
            if covers(self._picture, rect, pixel):
                return  # the markers painted already show this view
        self._refresh_map()

    def _view_geometry(self) -> tuple[Rect, tuple[int, int], tuple[float, float]]:
        """The view's rectangle, its size in pixels (at least 64 each way) and one pixel in view units."""
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        size = (max(int(self.view_box.width()), 64), max(int(self.view_box.height()), 64))
        rect = ((float(x0), float(x1)), (float(y0), float(y1)))
        return rect, size, ((rect[0][1] - rect[0][0]) / size[0], (rect[1][1] - rect[1][0]) / size[1])

    def _apply_density(self, answer: Density | Markers) -> None:
        """Show a rendered view: the density image or the markers painted for it."""
        self._clear_items()
        (x0, x1), (y0, y1) = answer.rect
        self._image.setImage(answer.rgba, autoLevels=False)
        self._image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._image.show()
        self._picture = answer
        self._drawn = answer.indices if isinstance(answer, Markers) else EMPTY
        self._show_rings()
        self._draw_selection()
        self.density_ready.emit()

    def _draw_points(self) -> None:
        """One marker item per cluster for every point (few enough that building them is quick)."""
        self._clear_items()
        coords, labels = self._coords, self._labels
        n = len(coords)
        size = point_size(n)
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
        self._drawn = None
        self._show_focus()

    def clear(self) -> None:
        """Remove every point (an empty collection or a new, still running analysis)."""
        self.set_points(np.zeros((0, 2)), np.zeros(0, dtype=int))

    def _clear_items(self) -> None:
        for item in self._cluster_items.values():
            self.plot.removeItem(item)
        self._cluster_items.clear()
        self._drawn = EMPTY

    def _build_tree(self) -> None:
        coords = self._coords
        if coords is not None and len(coords) and self._tree is None:
            self._tree_runner.request(lambda: (coords, _kd_tree(coords)))

    def _on_tree(self, built: tuple[np.ndarray, Any]) -> None:
        if built[0] is self._coords:
            self._tree = built[1]

    def point_count(self) -> int:
        """How many points are drawn as markers (none where the density image stands for them)."""
        if isinstance(self._picture, Markers):
            return len(self._picture.indices)
        return int(sum(len(item.data) for item in self._cluster_items.values()))

    def density_shown(self) -> bool:
        """Whether the map shows the density image rather than markers."""
        return isinstance(self._picture, Density)

    def density_image(self) -> Density | None:
        """The density image shown (per-pixel counts and colours), None when markers are."""
        return self._picture if isinstance(self._picture, Density) else None

    def marker_image(self) -> Markers | None:
        """The markers painted for the view of a large map zoomed in (their points and image)."""
        return self._picture if isinstance(self._picture, Markers) else None

    def cluster_counts(self) -> dict[int, int]:
        """Points per cluster id (noise is -1)."""
        return {int(c): int(self._counts[c - self._label_offset]) for c in self._cluster_ids}
