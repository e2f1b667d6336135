"""The silhouette plot: each item's silhouette, sorted within its cluster, with the mean marked.

A long band near 1 is a tight, well separated cluster; values below 0 are items closer to
another cluster than to their own. Silhouettes are O(n²), so they are computed on the same
random sample of at most ``engine.metrics.SILHOUETTE_SAMPLE`` clustered items as the summary's
score (the mean line equals it); the engine computes them on its worker thread with the other
metrics, and this view only draws ``Result.silhouettes``. Noise (-1) has no silhouette.
Selected items that are in the sample are drawn dark, wherever they were selected. A click on a
band chooses its cluster, as a click on its name in the map's legend does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from gui.view_state import ViewState
from gui.views.density import DIMMED
from gui.views.widgets import hint_label, plain_plot

if TYPE_CHECKING:
    from engine.pipeline import Result

GAP = 0.04
"""Empty space between two clusters' bands, as a share of the items drawn."""
_MEAN = (214, 39, 40)
_SELECTED = (20, 20, 20)


class SilhouetteView(QWidget):
    """Horizontal bars, one per sampled item, grouped by cluster in the scatter's colours."""

    ready = Signal()
    """Emitted when a result's plot has been drawn (or its message shown)."""

    def __init__(self, state: ViewState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else ViewState(self)
        self.message = hint_label("No analysis yet.")
        self.plot = plain_plot()
        self.plot.setMouseEnabled(x=False, y=True)
        self.plot.setLabel("bottom", "silhouette (−1 … 1, higher: closer to its own cluster than to others)")
        self.plot.getAxis("left").setPen(pg.mkPen(150, 150, 150))
        self.plot.getAxis("left").setTextPen(pg.mkPen(60, 60, 60))
        self.caption = hint_label(centred=False)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.plot, 1)
        page_layout.addWidget(self.caption)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self._labels = np.zeros(0, dtype=int)
        self.rows = np.zeros(0, dtype=int)
        self.values = np.zeros(0)
        self.mean: float | None = None
        self.bands: dict[int, tuple[float, float]] = {}
        self._bars: dict[int, pg.BarGraphItem] = {}
        """Cluster id -> (bottom, top) of its band on the y axis."""
        self._y = np.zeros(0)
        """Height of each sampled item's bar (aligned with ``rows``)."""
        self._n_clustered = 0
        self.selected_bars = pg.BarGraphItem(x0=[], width=[], y=[], height=1.0, pen=pg.mkPen(None))
        self.selected_bars.setZValue(5)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.state.selection_changed.connect(lambda *_: self._draw_selection())
        self.state.clusters_changed.connect(lambda _: self._redraw())
        self.state.focus_changed.connect(lambda *_: self._show_focus())

    # ---- data -------------------------------------------------------------------------------
    def set_result(self, result: Result | None) -> None:
        """Draw a result's silhouettes (computed by the engine); ``ready`` follows."""
        if result is not None and self.state.result is not result:
            self.state.reset_for(result)
        self.plot.clear()
        self.bands, self.mean, self._bars = {}, None, {}
        self.rows, self.values, self._y = np.zeros(0, dtype=int), np.zeros(0), np.zeros(0)
        if result is None:
            self._show_message("No analysis yet.")
            return
        self._labels = np.asarray(result.labels)
        if result.silhouettes is None:
            self._show_message("A silhouette needs at least 2 clusters, each not a single item.")
            return
        self.rows, self.values = result.silhouettes.rows, result.silhouettes.values
        self._n_clustered = result.silhouettes.n_clustered
        self._draw()
        self.stack.setCurrentIndex(1)
        self.ready.emit()

    def _redraw(self) -> None:
        """Draw again with the state's cluster names and colours."""
        if len(self.rows):
            self.plot.clear()
            self._draw()

    def _show_message(self, text: str, emit: bool = True) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)
        if emit:
            self.ready.emit()

    def _draw(self) -> None:
        self._bars = {}
        labels = self._labels[self.rows]
        gap = max(1.0, GAP * len(self.rows))
        y, ticks = 0.0, []
        self._y = np.zeros(len(self.rows))
        for cluster in sorted(np.unique(labels).tolist(), reverse=True):  # cluster 0 on top
            members = np.flatnonzero(labels == cluster)
            members = members[np.argsort(self.values[members], kind="stable")]  # largest on top
            values = self.values[members]
            positions = y + np.arange(len(values)) + 0.5
            self._y[members] = positions
            bars = pg.BarGraphItem(
                x0=np.zeros(len(values)), width=values, y=positions, height=1.0, pen=pg.mkPen(None)
            )
            self.plot.addItem(bars)
            self._bars[cluster] = bars
            self.bands[cluster] = (y, y + len(values))
            ticks.append((y + len(values) / 2, f"{self.state.name_of(cluster)} ({len(values)})"))
            y += len(values) + gap
        self.mean = float(self.values.mean())
        self.plot.addItem(pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen(120, 120, 120)))
        mean_pen = pg.mkPen(_MEAN, width=2, style=Qt.PenStyle.DashLine)
        self.plot.addItem(pg.InfiniteLine(pos=self.mean, angle=90, pen=mean_pen))
        self.plot.setTitle(f"mean silhouette {self.mean:.3f} (dashed)", color="#444", size="9pt")
        axis = self.plot.getAxis("left")
        axis.setTicks([ticks])
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        axis.setWidth(max(metrics.horizontalAdvance(text) for _, text in ticks) + 16)
        self.plot.setXRange(min(-0.1, float(self.values.min())), 1.0, padding=0.02)
        self.plot.setYRange(0, y - gap, padding=0.01)
        self.plot.addItem(self.selected_bars)
        self._show_focus()
        self._draw_selection()
        n_clustered = self._n_clustered
        sampled = len(self.rows) < n_clustered
        text = f"{len(self.rows):,} items"
        if sampled:
            text = f"a random sample of {len(self.rows):,} of the {n_clustered:,} clustered items"
        noise = int((self._labels == -1).sum())
        tail = f"; {noise:,} noise items have no silhouette and are left out" if noise else ""
        self.caption.setText(
            f"Silhouettes of {text}{tail}. Click a band to bring its cluster forward (Ctrl+click: several)."
        )

    def _show_focus(self) -> None:
        """Each cluster's bars in its colour, faded while other clusters are chosen in the list."""
        focused = self.state.focused
        for cluster, bars in self._bars.items():
            alpha = 220 if not focused or cluster in focused else int(220 * DIMMED)
            bars.setOpts(brush=pg.mkBrush(*self.state.colour_of(cluster), alpha))

    # ---- selection --------------------------------------------------------------------------
    def highlighted_rows(self) -> np.ndarray:
        """Selected items that are in the drawn sample (rows of the Result)."""
        return self.rows[np.isin(self.rows, self.state.selected)]

    def _draw_selection(self) -> None:
        shown = np.isin(self.rows, self.state.selected)
        self.selected_bars.setOpts(
            x0=np.zeros(int(shown.sum())), width=self.values[shown], y=self._y[shown], height=1.0,
            brush=pg.mkBrush(*_SELECTED),
        )  # fmt: skip

    def cluster_at(self, y: float) -> int | None:
        """The cluster whose band covers height ``y`` on the plot, if any."""
        for cluster, (bottom, top) in self.bands.items():
            if bottom <= y < top:
                return cluster
        return None

    def _on_click(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.bands:
            return
        view_box = self.plot.getPlotItem().getViewBox()
        if not view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        cluster = self.cluster_at(view_box.mapSceneToView(event.scenePos()).y())
        if cluster is not None:
            additive = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.state.choose(cluster, additive, self)
