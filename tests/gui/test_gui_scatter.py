"""The scatter view against hand-made results: points, legend, hover lookup, click selection."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.anomaly import Anomalies
from gui.views.scatter import ScatterView


def _shown_view(qtbot, result) -> ScatterView:
    view = ScatterView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_result(result)
    _settle(view)
    return view


def _settle(view: ScatterView) -> None:
    """Let the plot finish laying out (axes resize after a range change) before mapping points."""
    last = None
    for _ in range(50):
        QApplication.processEvents()
        now = (view.scene_pos_of(0).x(), view.scene_pos_of(0).y())
        if now == last:
            return
        last = now
        QTest.qWait(10)


def _viewport_point(view: ScatterView, index: int) -> QPoint:
    return view.plot.mapFromScene(view.scene_pos_of(index))


def test_draws_every_point_with_one_legend_entry_per_cluster(qtbot, make_result):
    view = _shown_view(qtbot, make_result(n=150, k=3, noise=6))
    assert view.point_count() == 150
    counts = view.cluster_counts()
    assert sum(counts.values()) == 150 and counts[-1] == 6
    entries = view.legend_entries()
    assert len(entries) == 4
    assert entries[:3] == [f"cluster {c}  ({counts[c]})" for c in range(3)]
    assert entries[-1] == "noise  (6)"


def test_in_a_dark_theme_the_legend_stays_white_like_the_plot_it_explains(qtbot, make_result):
    # Beside the white plot a dark legend split the map in two, and hid the grey uncertainty ring.
    from PySide6.QtGui import QColor, QPalette

    dark = QPalette()
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
        dark.setColor(role, QColor("#1f1f1f"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    original = QApplication.palette()
    QApplication.setPalette(dark)
    try:
        view = _shown_view(qtbot, make_result(n=60, k=3))
        legend = view.legend.palette()
        plot_background = view.plot.backgroundBrush().color().name()
        assert legend.color(QPalette.ColorRole.Base).name() == plot_background == "#ffffff"
        assert legend.color(QPalette.ColorRole.Text).lightness() < 60
    finally:
        QApplication.setPalette(original)


def test_hover_lookup_finds_the_item_under_the_mouse(qtbot, make_result):
    result = make_result(n=60, k=3)
    view = _shown_view(qtbot, result)
    for index in (0, 17, 59):
        x, y = result.coords[index]
        assert view.index_at(float(x), float(y)) == index
        assert view.index_at_scene(view.scene_pos_of(index)) == index
    text = view.hover_text(17)
    assert "blobs.csv[17]" in text and f"cluster {result.labels[17]}" in text and "label: class2" in text
    far = result.coords.max(axis=0) + 1000
    assert view.index_at(float(far[0]), float(far[1])) is None


def test_mouse_move_reports_the_hovered_item(qtbot, make_result):
    view = _shown_view(qtbot, make_result(n=4, k=4))  # one point per blob: nothing overlaps
    with qtbot.waitSignal(view.state.hover_changed, timeout=2000, check_params_cb=lambda i, _: i == 2):
        qtbot.mouseMove(view.plot.viewport(), _viewport_point(view, 2))


def test_clicking_a_point_selects_it_and_clicking_empty_space_clears(qtbot, make_result):
    result = make_result(n=60, k=3)
    view = _shown_view(qtbot, result)
    with qtbot.waitSignal(view.state.selection_changed, timeout=2000) as blocker:
        qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_point(view, 7))
    assert blocker.args[0].tolist() == [7] and blocker.args[1] is view
    assert view.selected == [7]
    highlighted = view._highlight.data["x"], view._highlight.data["y"]
    assert np.allclose([highlighted[0][0], highlighted[1][0]], result.coords[7])

    with qtbot.waitSignal(view.state.selection_changed, timeout=2000) as blocker:
        qtbot.mouseClick(
            view.plot.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            pos=_viewport_point(view, 8),
        )
    assert blocker.args[0].tolist() == [7, 8]

    view.state.set_focused([1])  # clusters chosen in the list let go too
    with qtbot.waitSignal(view.state.selection_changed, timeout=2000) as blocker:
        qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert blocker.args[0].tolist() == [] and view.state.focused == frozenset()
    view.state.set_focused([2])
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert view.state.focused == frozenset()


def test_hidden_clusters_are_not_hovered(qtbot, make_result):
    result = make_result(n=30, k=3)
    view = _shown_view(qtbot, result)
    cluster = int(result.labels[4])
    view.state.set_cluster_visible(cluster, False)
    x, y = result.coords[4]
    assert view.index_at(float(x), float(y)) is None


def test_stays_fast_at_100k_points(qtbot):  # bench_map.py measures it against plain pyqtgraph
    rng = np.random.default_rng(1)
    n = 100_000
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    labels = rng.integers(-1, 8, n)
    view = ScatterView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    start = time.perf_counter()
    view.set_points(coords, labels)
    view.plot.grab()
    build = time.perf_counter() - start
    start = time.perf_counter()
    view.view_box.scaleBy((0.5, 0.5))
    view.view_box.translateBy((0.2, 0.1))
    view.plot.grab()
    repaint = time.perf_counter() - start
    assert view.density_shown() and view.point_count() == 0  # above the threshold: the density image
    assert sum(view.cluster_counts().values()) == n
    assert view.index_at(float(coords[123, 0]), float(coords[123, 1])) is not None
    start = time.perf_counter()
    for i in range(50):
        view.index_at(float(coords[i, 0]), float(coords[i, 1]))
    lookups = time.perf_counter() - start
    # Generous bounds for a slow 2-core machine; measured here: ~0.2 s, ~0.05 s, ~0.01 s.
    assert build < 3.0 and repaint < 1.0 and lookups < 0.5, (build, repaint, lookups)


def test_a_new_cut_recolours_and_keeps_the_view_selection_and_rings(qtbot, make_result):
    view = ScatterView()
    qtbot.addWidget(view)
    result = make_result(n=90, k=3)
    scores = np.zeros(90)
    scores[:4] = 1.0
    result.anomaly = Anomalies("ecod", 0.05, scores, 0.5, scores > 0.5)
    result.clustering.probabilities = np.tile([0.6, 0.4], (90, 1))
    result.clustering.probabilities[:4] = [1.0, 0.0]
    view.set_result(result)
    view.state.select([5, 6])
    view.view_box.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    rect = view.view_box.viewRect()
    view.state.set_labels(np.zeros(90, dtype=int))  # what a moved dendrogram cut does
    assert view.legend_entries() == ["cluster 0  (90)"]
    assert view.selected == [5, 6] and view.ringed() == (4, 86)
    assert view.view_box.viewRect() == rect
    view.set_points(result.coords[:10], result.labels[:10])  # new points: stale rings go
    assert view.ringed() == (0, 0)
