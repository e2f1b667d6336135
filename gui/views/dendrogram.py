"""The tree of a hierarchical clustering, with a draggable cut line that sets the number of clusters.

Built for large trees: links are drawn as line segments in a few ``PlotDataItem``s (one per
colour, ``connect="pairs"``), never one item per link. At most :data:`MAX_VISIBLE_MERGES` merges
are drawn at once: those whose leaves are in view, highest first; subtrees below them are drawn
collapsed, as triangles over their leaves. Zooming in re-truncates, so the detail grows where the
user looks. Clicking a branch selects its items (in the shared view state); dragging the line
puts the cut's labels into the view state, so the map recolours live.

Colours come from the view state, as on the map: a subtree below the cut takes the colour of the
cluster all its items are in (a colour the user picked too), so after a hand edit merged two
clusters their branches share one colour; a subtree whose items hand edits put in different
clusters is drawn in light grey, the merges above the cut in dark grey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from gui.view_state import ViewState
from gui.views.density import DIMMED
from gui.views.widgets import plain_plot

if TYPE_CHECKING:
    from engine.cluster.hierarchical import Tree
    from engine.pipeline import Result

MAX_VISIBLE_MERGES = 500
"""Merges drawn at once; the rest is collapsed into triangles until the user zooms in."""
CUT_INTERVAL_MS = 30
"""While the line is dragged, the cut is recomputed at most this often."""
REDRAW_INTERVAL_MS = 60
CLICK_RADIUS_PX = 6.0
MAX_COUNT_LABELS = 30
"""Collapsed subtrees labelled with their item counts (the largest ones), to keep repaints cheap."""
MIN_LABEL_WIDTH_PX = 40
"""A collapsed subtree is labelled only when its triangle is at least this wide on screen."""
NO_TREE = "Choose a hierarchical method (agglomerative or divisive) to see its tree."
_ABOVE = (110, 110, 110)
_MIXED = (185, 185, 185)
_CUT = (214, 39, 40)
ABOVE_CUT, MIXED = -3, -2
"""Cluster stand-ins of the nodes above the cut and of subtrees whose items are in several clusters."""


class DendrogramView(QWidget):
    """Dendrogram of ``Result.clustering.tree``; the cut line's height decides the clusters."""

    cut_changed = Signal(object, int)
    """``(labels, k)`` when the cut line gives a new number of clusters (labels: int array per item)."""

    def __init__(self, state: ViewState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else ViewState(self)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel(NO_TREE)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.plot = plain_plot()
        self.plot.hideAxis("bottom")
        self.plot.setLabel("left", "height")
        self.plot.getAxis("left").setPen(pg.mkPen(150, 150, 150))
        self.plot.getAxis("left").setTextPen(pg.mkPen(90, 90, 90))
        self.view_box = self.plot.getPlotItem().getViewBox()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addWidget(self.stack, 1)

        self._colour_items: list[pg.PlotDataItem] = []
        """One line item per colour drawn (made as more colours are needed, emptied when unused)."""
        self._selected_links = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, width=3), connect="pairs")
        self._selected_links.setZValue(5)
        self.plot.addItem(self._selected_links)
        self._leaves = pg.ScatterPlotItem(size=7, symbol="s", pen=None, pxMode=True, hoverable=False)
        self.plot.addItem(self._leaves)
        self._highlight = pg.ScatterPlotItem(
            size=12, symbol="s", pen=pg.mkPen(0, 0, 0, width=2), brush=None, pxMode=True, hoverable=False
        )
        self._highlight.setZValue(10)
        self.plot.addItem(self._highlight)
        self._count_labels: list[pg.TextItem] = []
        self.line = pg.InfiniteLine(
            angle=0, movable=True, pen=pg.mkPen(_CUT, width=2), hoverPen=pg.mkPen(_CUT, width=4)
        )
        self.line.setZValue(20)
        self.line.setCursor(Qt.CursorShape.SizeVerCursor)
        self.plot.addItem(self.line, ignoreBounds=True)

        self._tree: Tree | None = None
        self._k = 0
        self._leaf_labels = np.zeros(0, dtype=np.intp)
        self._node_cluster = np.zeros(0, dtype=np.intp)
        self._x = np.zeros(0)
        self._frontier = np.zeros(0, dtype=np.intp)
        self._segments = np.zeros((0, 4))
        self._segment_node = np.zeros(0, dtype=np.intp)
        self._segment_owner = np.zeros(0, dtype=np.intp)
        self._selected_node: int | None = None

        self._cut_timer = QTimer(self)
        self._cut_timer.setSingleShot(True)
        self._cut_timer.setInterval(CUT_INTERVAL_MS)
        self._cut_timer.timeout.connect(self._apply_cut)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self._redraw)
        self.line.sigPositionChanged.connect(self._on_line_moved)
        self.line.sigPositionChangeFinished.connect(self._apply_cut)
        self.view_box.sigXRangeChanged.connect(lambda *_: self._redraw_timer.start())
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.state.selection_changed.connect(self._on_selection)
        self.state.labels_changed.connect(lambda _labels, source: source is self or self._follow_labels())
        self.state.clusters_changed.connect(lambda _source: self._recolour())
        self.state.focus_changed.connect(lambda *_: self._recolour())
        self.set_tree(None)

    # ---- data -------------------------------------------------------------------------------
    def set_result(self, result: Result | None) -> None:
        """Show the tree of a result, cut where its labels are; a message when it has none."""
        if result is not None and self.state.result is not result:
            self.state.reset_for(result)
        clustering = getattr(result, "clustering", None)
        tree = getattr(clustering, "tree", None)
        labels = getattr(clustering, "labels", None)
        k = int(np.max(labels)) + 1 if labels is not None and len(labels) else None
        self.set_tree(tree, k)

    def set_tree(self, tree: Tree | None, k: int | None = None) -> None:
        """Draw ``tree`` (None shows the message) with the cut at ``k`` clusters (default 1)."""
        self._tree = tree
        self._selected_node = None
        self._highlight.setData(x=[], y=[])
        self._selected_links.setData(x=[], y=[])
        if tree is None:
            self.stack.setCurrentWidget(self.message)
            self.info.setText("")
            self._clear_drawing()
            return
        self.stack.setCurrentWidget(self.plot)
        m = tree.n_leaves
        self._x = tree.leaf_start + tree.leaf_count / 2.0  # a node sits over the middle of its leaves
        top = tree.height_for_k(1)
        self._k = min(max(int(k or 1), 1), m)
        self._leaf_labels = tree.leaf_labels(self._k)
        self._follow_labels(redraw=False)
        self.line.blockSignals(True)
        self.line.setBounds((0, top * 1.5))
        self.line.setValue(tree.height_for_k(self._k))
        self.line.blockSignals(False)
        self.view_box.blockSignals(True)
        self.view_box.setLimits(xMin=-0.02 * m, xMax=m * 1.02, yMin=-top * 0.05, yMax=top * 1.6)
        self.view_box.setRange(xRange=(0, m), yRange=(-top * 0.04, top * 1.05), padding=0.02)
        self.view_box.blockSignals(False)
        self._redraw()
        self._update_info()

    @property
    def tree(self) -> Tree | None:
        return self._tree

    @property
    def k(self) -> int:
        """Clusters given by the current cut."""
        return self._k

    @property
    def selected(self) -> list[int]:
        return self.state.selected.tolist()

    @property
    def visible_leaves(self) -> int:
        """Leaves and collapsed subtrees drawn at the bottom of the tree now."""
        return len(self._frontier)

    def set_k(self, k: int, emit: bool = True) -> None:
        """Move the cut line to the height that gives ``k`` clusters."""
        if self._tree is None:
            return
        self._cut_timer.stop()
        self.line.blockSignals(True)
        self.line.setValue(self._tree.height_for_k(min(max(int(k), 1), self._tree.n_leaves)))
        self.line.blockSignals(False)
        self._apply_cut(emit=emit)

    # ---- cutting ------------------------------------------------------------------------------
    def _on_line_moved(self) -> None:
        if not self._cut_timer.isActive():
            self._cut_timer.start()

    def _apply_cut(self, *_: Any, emit: bool = True) -> None:
        self._cut_timer.stop()
        tree = self._tree
        if tree is None:
            return
        k = max(1, tree.k_for_height(float(self.line.value())))
        if k == self._k:
            return
        self._k = k
        self._leaf_labels = tree.leaf_labels(k)
        self._update_info()
        if emit:
            labels = self._leaf_labels[tree.leaf_of_item]
            if len(labels) == len(self.state.labels):
                self.state.set_labels(labels, source=self)
            self.cut_changed.emit(labels, k)
        self._follow_labels()

    def _follow_labels(self, redraw: bool = True) -> None:
        """Find the cluster of every node from the labels shown (the view state's, else the cut's):
        the one all its items are in, else :data:`MIXED`."""
        tree = self._tree
        if tree is None:
            return
        labels = self.state.labels
        if len(labels) != tree.n_items:  # not the state's items (a tree shown on its own)
            labels = self._leaf_labels[tree.leaf_of_item]
        m = tree.n_leaves
        low, high = np.full(m, np.iinfo(np.intp).max), np.full(m, np.iinfo(np.intp).min)
        np.minimum.at(low, tree.leaf_of_item, labels)
        np.maximum.at(high, tree.leaf_of_item, labels)
        in_order = np.where(low == high, low, MIXED)[tree.leaf_order]  # leaves as drawn
        changes = np.concatenate([[0], np.cumsum(in_order[1:] != in_order[:-1])])
        first, last = tree.leaf_start, tree.leaf_start + tree.leaf_count - 1
        self._node_cluster = np.where(changes[first] == changes[last], in_order[first], MIXED)
        if redraw:
            self._recolour()

    def _update_info(self) -> None:
        tree = self._tree
        if tree is None:
            return
        shown = self.state.labels
        edited = ""
        if self.state.result is not None and self.state.result.hand_labels is not None and len(shown):
            edited = f" ({len(set(shown[shown >= 0].tolist()))} after hand edits)"
        text = (
            f"<b>{tree.method}</b> &nbsp;·&nbsp; {tree.n_items:,} items &nbsp;·&nbsp; "
            f"<b>k = {self._k}</b>{edited} &nbsp;<span style='color:#777'>(drag the red line to change k; "
            f"click a branch to select its items)</span>"
        )
        if tree.note:
            prefix = "Approximate: " if tree.approximate else ""
            text += f"<br><span style='color:#a05a00'>{prefix}{tree.note}</span>"
        self.info.setText(text)

    # ---- drawing ------------------------------------------------------------------------------
    def _clear_drawing(self) -> None:
        for item in self._colour_items:
            item.setData(x=[], y=[])
        self._leaves.setData(x=[], y=[])
        for label in self._count_labels:
            label.hide()
        self._frontier = np.zeros(0, dtype=np.intp)
        self._segments = np.zeros((0, 4))
        self._segment_node = np.zeros(0, dtype=np.intp)
        self._segment_owner = np.zeros(0, dtype=np.intp)

    def _expanded(self) -> np.ndarray:
        """Merges to draw: the highest :data:`MAX_VISIBLE_MERGES` of those with leaves in view."""
        tree = self._tree
        m = tree.n_leaves
        (x0, x1), _ = self.view_box.viewRange()
        nodes = np.arange(m, 2 * m - 1)
        start = tree.leaf_start[m:]
        overlapping = nodes[(start < x1) & (start + tree.leaf_count[m:] > x0)]
        # A parent covers its child's leaves and has a higher number: the set is closed upwards.
        return overlapping[-MAX_VISIBLE_MERGES:]

    def _redraw(self) -> None:
        """Recompute which merges are drawn (after a zoom or a new tree) and draw them."""
        tree = self._tree
        if tree is None or tree.n_leaves < 2:
            self._clear_drawing()
            return
        m = tree.n_leaves
        expanded = self._expanded()
        rows = expanded - m
        children = tree.Z[rows, :2].astype(np.intp)
        is_expanded = np.zeros(2 * m - 1, dtype=bool)
        is_expanded[expanded] = True
        kids = children.ravel()
        self._frontier = np.sort(kids[~is_expanded[kids]])
        heights = tree.heights
        x, h = self._x, heights
        a, b = children[:, 0], children[:, 1]
        hp = h[expanded]
        links = np.concatenate(
            [
                np.stack([x[a], hp, x[b], hp], axis=1),  # the bar
                np.stack([x[a], h[a], x[a], hp], axis=1),  # the legs
                np.stack([x[b], h[b], x[b], hp], axis=1),
            ]
        )
        link_node = np.concatenate([expanded, a, b])
        link_owner = np.concatenate([expanded, expanded, expanded])  # colour follows the merge
        collapsed = self._frontier[self._frontier >= m]
        lo = tree.leaf_start[collapsed] + 0.5
        hi = tree.leaf_start[collapsed] + tree.leaf_count[collapsed] - 0.5
        xc, hc, zero = x[collapsed], h[collapsed], np.zeros(len(collapsed))
        triangles = np.concatenate(
            [
                np.stack([xc, hc, lo, zero], axis=1),
                np.stack([lo, zero, hi, zero], axis=1),
                np.stack([hi, zero, xc, hc], axis=1),
            ]
        )
        self._segments = np.concatenate([links, triangles])
        self._segment_node = np.concatenate([link_node, np.tile(collapsed, 3)])
        self._segment_owner = np.concatenate([link_owner, np.tile(collapsed, 3)])
        self._draw_counts(collapsed)
        self._recolour()

    def _colours(self, nodes: np.ndarray) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """The distinct colours (RGBA) of ``nodes`` and each node's index into them (see the module);
        clusters not chosen in the list, while some are, faded as on the map."""
        m = self._tree.n_leaves
        cluster = np.where(nodes >= 2 * m - self._k, ABOVE_CUT, self._node_cluster[nodes])
        ids, index = np.unique(cluster, return_inverse=True)
        special = {ABOVE_CUT: _ABOVE, MIXED: _MIXED}
        focused = self.state.focused
        faded = int(255 * DIMMED)
        colours = [
            (*special[c], 255) if c in special
            else (*self.state.colour_of(c), 255 if not focused or c in focused else faded)
            for c in ids.tolist()
        ]  # fmt: skip
        return colours, index

    def _recolour(self) -> None:
        tree = self._tree
        if tree is None or tree.n_leaves < 2 or len(self._node_cluster) != 2 * tree.n_leaves - 1:
            return
        colours, index = self._colours(self._segment_owner)
        while len(self._colour_items) < len(colours):
            item = pg.PlotDataItem(connect="pairs", antialias=False)
            self.plot.addItem(item)
            self._colour_items.append(item)
        for i, item in enumerate(self._colour_items):
            seg = np.zeros((0, 4))
            if i < len(colours):
                item.setPen(pg.mkPen(colours[i], width=1.5))
                seg = self._segments[index == i]
            item.setData(x=seg[:, [0, 2]].ravel(), y=seg[:, [1, 3]].ravel(), connect="pairs")
        frontier = self._frontier
        colours, index = self._colours(frontier)
        brushes = [pg.mkBrush(*c) for c in colours]
        self._leaves.setData(
            x=self._x[frontier], y=np.zeros(len(frontier)), brush=[brushes[i] for i in index]
        )
        self._draw_selection()

    def drawn_colours(self) -> dict[tuple[int, int, int], int]:
        """Line segments drawn per colour (for tests)."""
        return {
            item.opts["pen"].color().getRgb()[:3]: len(item.xData) // 2
            for item in self._colour_items
            if item.xData is not None and len(item.xData)
        }

    def _draw_counts(self, collapsed: np.ndarray) -> None:
        tree = self._tree
        px = max(self.view_box.viewPixelSize()[0], 1e-12)
        wide = collapsed[tree.leaf_count[collapsed] / px >= MIN_LABEL_WIDTH_PX]  # room for the text
        counts = tree.item_count[wide]
        largest = wide[np.argsort(-counts, kind="stable")[:MAX_COUNT_LABELS]]
        while len(self._count_labels) < len(largest):
            label = pg.TextItem(color=(60, 60, 60), anchor=(0.5, 0.0))
            label.setZValue(15)
            self.plot.addItem(label, ignoreBounds=True)
            self._count_labels.append(label)
        for i, label in enumerate(self._count_labels):
            if i < len(largest):
                node = largest[i]
                label.setText(f"{int(tree.item_count[node]):,}")
                label.setPos(float(self._x[node]), 0.0)
                label.show()
            else:
                label.hide()

    # ---- selection ----------------------------------------------------------------------------
    def node_at(self, x: float, y: float, radius_px: float = CLICK_RADIUS_PX) -> int | None:
        """The branch drawn nearest to view coordinates (x, y), within ``radius_px`` screen pixels."""
        if self._tree is None or not len(self._segments):
            return None
        px, py = self.view_box.viewPixelSize()
        px, py = max(px, 1e-12), max(py, 1e-12)
        s = self._segments
        ax, ay, bx, by = s[:, 0] / px, s[:, 1] / py, s[:, 2] / px, s[:, 3] / py
        qx, qy = x / px, y / py
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = np.clip(((qx - ax) * dx + (qy - ay) * dy) / np.where(length > 0, length, 1), 0, 1)
        d = np.hypot(ax + t * dx - qx, ay + t * dy - qy)
        best = int(np.argmin(d))
        return int(self._segment_node[best]) if d[best] <= radius_px else None

    def scene_pos_of_node(self, node: int) -> QPointF:
        """Where the top of ``node``'s branch (its leg, just below its parent's bar) is drawn."""
        tree = self._tree
        parent = tree.parent[node]
        top = tree.heights[parent] if parent >= 0 else tree.heights[node]
        y = (tree.heights[node] + top) / 2 if parent >= 0 else top
        return self.view_box.mapViewToScene(QPointF(float(self._x[node]), float(y)))

    def select_node(self, node: int) -> None:
        """Select the items under ``node`` and outline its branch."""
        self._selected_node = node
        self.state.select(self._tree.items_under(node), source=self)
        self._draw_selection()

    def _on_selection(self, _selected: np.ndarray, source: object) -> None:
        if source is not self:
            self._selected_node = None  # a selection made elsewhere is not this branch
        self._draw_selection()

    def highlighted_leaves(self) -> list[int]:
        """Drawn leaves or collapsed subtrees (node numbers) that hold selected items."""
        tree, selected = self._tree, self.state.selected
        selected = selected[selected < (tree.n_items if tree is not None else 0)]
        if tree is None or not len(selected) or not len(self._frontier):
            return []
        positions = tree.leaf_start[np.unique(tree.leaf_of_item[selected])]
        starts = tree.leaf_start[self._frontier]
        order = np.argsort(starts)
        hit = np.searchsorted(starts[order], positions, side="right") - 1
        return sorted(set(self._frontier[order][hit].tolist()))

    def _draw_selection(self) -> None:
        nodes = np.asarray(self.highlighted_leaves(), dtype=np.intp)
        self._highlight.setData(x=self._x[nodes] if len(nodes) else [], y=np.zeros(len(nodes)))
        node, tree = self._selected_node, self._tree
        if node is None or tree is None or not len(self._segments):
            self._selected_links.setData(x=[], y=[])
            return
        # The clicked branch: its own leg and every drawn link or triangle of its subtree (spans
        # nest, so a node whose leaves lie inside the branch's leaves is in its subtree).
        owner = self._segment_owner
        lo, hi = tree.leaf_start[node], tree.leaf_start[node] + tree.leaf_count[node]
        inside = (owner <= node) & (tree.leaf_start[owner] >= lo) & (tree.leaf_start[owner] < hi)
        seg = self._segments[inside | (self._segment_node == node)]
        self._selected_links.setData(x=seg[:, [0, 2]].ravel(), y=seg[:, [1, 3]].ravel(), connect="pairs")

    def _on_mouse_clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double() or self._tree is None:
            return
        if not self.view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        p = self.view_box.mapSceneToView(event.scenePos())
        node = self.node_at(p.x(), p.y())
        if node is None:
            self._selected_node = None
            self.state.select([], source=self)
            self._draw_selection()
        else:
            self.select_node(node)
