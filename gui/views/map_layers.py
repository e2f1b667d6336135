"""The map's layers: markers per cluster, or the density image above a number of shown points, with
the rings and the selection highlight over them.

A mixin of :class:`gui.views.scatter.ScatterView`, kept apart so the view file holds the widget,
hover and clicks and this one what is drawn. Up to ``density_above`` shown points it draws one
``ScatterPlotItem`` per cluster with a single brush and pen (the fast path of pyqtgraph), no
per-point Python objects. Above it the map is a density image (:mod:`gui.views.density`) rendered
for each view off the GUI thread, the previous image shown stretched meanwhile, and markers come
back for the points in view once few enough are there. The KD-tree for hover is built off the GUI
thread too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt

from gui.views.density import Density, LatestRunner, Markers, density_or_points
from gui.views.map_tools import padded_range

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.view_state import ViewState

Describe = Callable[[int], tuple[str, str | None]]
"""Index -> (display name, known label or None)."""

MARK_LIMIT = 5_000
"""At most this many rings (the highest-scoring outliers) or selection marks over a density image."""
EMPTY = np.zeros(0, dtype=np.intp)


def _point_size(n: int) -> int:
    return 8 if n <= 2_000 else 6 if n <= 20_000 else 4


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
