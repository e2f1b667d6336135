"""The dendrogram view: drawing, the draggable cut line, branch selection, large trees."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from engine.cluster import Clustering
from engine.cluster.agglomerative import agglomerative_tree
from engine.cluster.hierarchical import Tree
from gui.views.dendrogram import _ABOVE as ABOVE
from gui.views.dendrogram import _MIXED as MIXED
from gui.views.dendrogram import MAX_VISIBLE_MERGES, NO_TREE, DendrogramView


def with_tree(result, tree: Tree, k: int):
    return dataclasses.replace(result, clustering=Clustering(labels=tree.cut_k(k), tree=tree))


@pytest.fixture
def view(qtbot):
    widget = DendrogramView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def blobs_result(make_result):
    result = make_result(n=90, k=3)
    tree = agglomerative_tree(result.embeddings, "ward")
    return with_tree(result, tree, 3)


def viewport_point(view: DendrogramView, x: float, y: float) -> QPoint:
    scene = view.view_box.mapViewToScene(QPointF(x, y))
    return view.plot.mapFromScene(scene)


def send_mouse(view: DendrogramView, kind, point: QPoint, buttons) -> None:
    target = view.plot.viewport()
    global_pos = QPointF(target.mapToGlobal(point))
    event = QMouseEvent(
        kind, QPointF(point), global_pos, Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, event)


def drag(view: DendrogramView, start: QPoint, end: QPoint, steps: int = 8) -> None:
    left = Qt.MouseButton.LeftButton
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, start, left)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        send_mouse(view, QMouseEvent.Type.MouseMove, p, left)
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def click(view: DendrogramView, point: QPoint) -> None:
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, point, Qt.MouseButton.LeftButton)
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, point, Qt.MouseButton.NoButton)


def test_without_a_tree_it_says_what_to_do(view, make_result):
    view.set_result(make_result())  # a K-Means result has no tree
    assert view.stack.currentWidget() is view.message and view.message.text() == NO_TREE
    view.set_result(None)
    assert view.tree is None and view.visible_leaves == 0


def test_shows_the_tree_cut_where_the_labels_are(view, blobs_result):
    view.set_result(blobs_result)
    tree = blobs_result.clustering.tree
    assert view.stack.currentWidget() is view.plot
    assert view.k == 3 and view.line.value() == pytest.approx(tree.height_for_k(3))
    assert view.visible_leaves == 90  # small trees are drawn whole
    assert "k = 3" in view.info.text() and "ward" in view.info.text()
    # Links below the cut are drawn in the cluster colours, the merges above it in grey.
    drawn = view.drawn_colours()
    assert set(drawn) == {view.state.colour_of(c) for c in range(3)} | {ABOVE}
    assert drawn[ABOVE] == 2 * 3  # the top two merges: 3 segments each


def test_dragging_the_line_recuts(qtbot, view, blobs_result):
    view.set_result(blobs_result)
    tree = blobs_result.clustering.tree
    x = tree.n_leaves * 0.37
    start = viewport_point(view, x, view.line.value())
    end = viewport_point(view, x, tree.height_for_k(5))
    seen = []
    view.cut_changed.connect(lambda labels, k: seen.append((labels, k)))
    drag(view, start, end)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][1] == view.k, timeout=2000)
    labels, k = seen[-1]
    expected_k = tree.k_for_height(view.line.value())
    assert k == expected_k and 4 <= k <= 6  # within a pixel of the height for 5
    assert np.array_equal(labels, tree.cut_k(k))


def test_cut_is_throttled_while_dragging(qtbot, view, blobs_result):
    view.set_result(blobs_result)
    tree = blobs_result.clustering.tree
    seen = []
    view.cut_changed.connect(lambda labels, k: seen.append(k))
    for k in (4, 5, 6, 7):
        view.line.setValue(tree.height_for_k(k))
    qtbot.waitUntil(lambda: bool(seen), timeout=1000)
    qtbot.wait(80)
    assert seen == [7]


def test_set_k_moves_the_line(qtbot, view, blobs_result):
    view.set_result(blobs_result)
    tree = blobs_result.clustering.tree
    with qtbot.waitSignal(view.cut_changed) as signal:
        view.set_k(5)
    assert signal.args[1] == 5 and np.array_equal(signal.args[0], tree.cut_k(5))
    assert view.line.value() == pytest.approx(tree.height_for_k(5)) and view.k == 5
    with qtbot.assertNotEmitted(view.cut_changed):
        view.set_k(2, emit=False)
    assert view.k == 2


def test_clicking_a_branch_selects_its_items(qtbot, view, blobs_result):
    view.set_result(blobs_result)
    tree = blobs_result.clustering.tree
    node = int(tree.Z[-1, 0])  # one side of the root
    with qtbot.waitSignal(view.state.selection_changed) as signal:
        click(view, view.plot.mapFromScene(view.scene_pos_of_node(node)))
    assert signal.args[0].tolist() == sorted(tree.items_under(node).tolist()) and signal.args[1] is view
    assert view.selected == signal.args[0].tolist() and view.highlighted_leaves()
    assert len(view._selected_links.xData) > 0  # the branch is outlined
    with qtbot.waitSignal(view.state.selection_changed) as signal:
        click(view, viewport_point(view, tree.n_leaves * 0.5, tree.height_for_k(1) * 1.02))
    assert signal.args[0].tolist() == []
    assert view._selected_links.xData is None or len(view._selected_links.xData) == 0


def test_select_highlights_the_leaves_of_items(qtbot, view, blobs_result):
    view.set_result(blobs_result)
    tree = blobs_result.clustering.tree
    with qtbot.waitSignal(view.state.selection_changed):
        view.state.select([4, 7])  # selected in another view
    assert sorted(view.highlighted_leaves()) == sorted(tree.leaf_of_item[[4, 7]].tolist())
    with qtbot.assertNotEmitted(view.state.selection_changed):
        view.state.select([7, 4])  # the same selection again
    view.state.select([])
    assert view.highlighted_leaves() == []


def large_tree(n_items: int, n_leaves: int, approximate: bool) -> Tree:
    """A random tree (random pairs of clusters merged at rising heights), built in milliseconds."""
    rng = np.random.default_rng(0)
    active = list(range(n_leaves))
    Z = np.empty((n_leaves - 1, 4))
    count = [1] * (2 * n_leaves - 1)
    for i in range(n_leaves - 1):
        pair = []
        for _ in range(2):
            j = int(rng.integers(len(active)))
            active[j], active[-1] = active[-1], active[j]
            pair.append(active.pop())
        node = n_leaves + i
        count[node] = count[pair[0]] + count[pair[1]]
        Z[i] = (min(pair), max(pair), float(i + 1), count[node])
        active.append(node)
    leaf_of_item = np.concatenate([np.arange(n_leaves), rng.integers(n_leaves, size=n_items - n_leaves)])
    note = f"{n_items:,} items: tree built over {n_leaves:,} K-Means micro-clusters" if approximate else ""
    return Tree(Z=Z, leaf_of_item=leaf_of_item, method="ward", approximate=approximate, note=note)


def test_large_approximate_tree_draws_quickly_and_says_it_is_approximate(view, make_result):
    tree = large_tree(100_000, 2_000, approximate=True)
    result = with_tree(make_result(), tree, 8)
    tree.items_under(tree.root)  # the tree's own layout is the engine's work, not the view's
    start = time.perf_counter()
    view.set_result(result)
    QApplication.processEvents()
    view.grab()  # paint it
    assert time.perf_counter() - start < 2.0
    assert view.k == 8 and "Approximate" in view.info.text() and "micro-clusters" in view.info.text()
    assert view.visible_leaves <= MAX_VISIBLE_MERGES + 1
    drawn = sum(len(item.xData) for item in view._colour_items if item.xData is not None)
    assert drawn >= 3 * 2 * MAX_VISIBLE_MERGES  # every visible merge: a bar and two legs


def test_zooming_in_shows_more_detail(qtbot, view):
    tree = large_tree(20_000, 20_000, approximate=False)
    tree.items_under(tree.root)
    start = time.perf_counter()
    view.set_tree(tree, 4)
    view.grab()
    assert time.perf_counter() - start < 2.0
    assert view.visible_leaves <= MAX_VISIBLE_MERGES + 1
    collapsed_before = int(np.sum(view._frontier >= tree.n_leaves))
    assert collapsed_before > 0  # the rest is drawn as triangles

    def in_view():
        return view._frontier[tree.leaf_start[view._frontier] < 60]

    assert np.any(in_view() >= tree.n_leaves)
    view.view_box.setXRange(0, 60, padding=0)  # the redraw follows on a timer
    qtbot.waitUntil(lambda: bool(np.all(in_view() < tree.n_leaves)), timeout=2000)
    assert len(in_view()) == 60  # every leaf in view is drawn one by one


def test_colours_follow_the_view_state_a_picked_colour_and_hand_edits(view, blobs_result):
    from engine.edits import apply, merge, move

    view.set_result(blobs_result)
    state, labels = view.state, blobs_result.labels
    state.set_colour(1, (10, 20, 30))  # a colour picked in the legend reaches the tree too
    drawn = view.drawn_colours()
    assert (10, 20, 30) in drawn and cluster_colour_gone(drawn, view, 1)
    state.set_focused([1])  # chosen in the list: the other clusters' branches fade
    alpha = {
        item.opts["pen"].color().getRgb()[:3]: item.opts["pen"].color().alpha() for item in view._colour_items
    }
    assert alpha[(10, 20, 30)] == 255 and alpha[state.colour_of(0)] < 80 and alpha[ABOVE] == 255
    state.set_focused([])
    merged, _ = apply(labels, [merge(labels, [0, 1])])  # merged by hand: one colour for both branches
    view.set_result(dataclasses.replace(blobs_result, hand_labels=merged))
    drawn = view.drawn_colours()
    assert len(set(drawn) - {ABOVE}) == 2 and MIXED not in drawn
    assert "k = 3</b> (2 after hand edits)" in view.info.text()
    stray = int(np.flatnonzero(labels == 2)[0])  # one item moved by hand out of its branch
    moved, _ = apply(labels, [move(labels, [stray], 0)])
    view.set_result(dataclasses.replace(blobs_result, hand_labels=moved))
    drawn = view.drawn_colours()
    assert MIXED in drawn and len(set(drawn) - {ABOVE, MIXED}) == 3
    leaf = blobs_result.clustering.tree.leaf_of_item[stray]
    position = int(np.flatnonzero(view._frontier == leaf)[0])
    assert view._leaves.data["brush"][position].color().getRgb()[:3] == state.colour_of(int(moved[stray]))


def cluster_colour_gone(drawn, view, cluster: int) -> bool:
    from gui.views.palette import cluster_color

    return cluster_color(cluster) not in drawn
