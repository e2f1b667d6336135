"""The silhouette plot offscreen: values, bands per cluster, sampling, noise, colours, clicks."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from sklearn.metrics import silhouette_samples, silhouette_score

from engine import metrics
from engine.cluster import Clustering
from gui.views.palette import cluster_color
from gui.views.silhouette import SilhouetteView


@pytest.fixture
def view(qtbot):
    widget = SilhouetteView()
    qtbot.addWidget(widget)
    widget.resize(500, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def show(view, qtbot, result) -> None:
    with qtbot.waitSignal(view.ready, timeout=20_000):
        view.set_result(result)


def test_well_separated_clusters_have_high_silhouettes(view, qtbot, make_result):
    result = make_result(n=150, k=3)
    show(view, qtbot, result)
    assert view.stack.currentIndex() == 1
    assert sorted(view.rows.tolist()) == list(range(150))
    expected = silhouette_samples(result.embeddings, result.labels)
    assert np.allclose(view.values, expected[view.rows])
    assert view.mean == pytest.approx(silhouette_score(result.embeddings, result.labels)) and view.mean > 0.8
    # One band per cluster, as tall as the cluster, cluster 0 on top, bands not overlapping.
    assert {c: round(top - bottom) for c, (bottom, top) in view.bands.items()} == {0: 50, 1: 50, 2: 50}
    assert view.bands[0][0] > view.bands[1][1] and view.bands[1][0] > view.bands[2][1]
    assert "sample" not in view.caption.text()


def test_bands_use_the_scatter_colours_and_sorted_values(view, qtbot, make_result):
    show(view, qtbot, make_result(n=90, k=3))
    items = view.plot.getPlotItem().items
    bars = [i for i in items if hasattr(i, "opts") and "brush" in i.opts and i is not view.selected_bars]
    assert len(bars) == 3
    colours = {bar.opts["brush"].color().getRgb()[:3] for bar in bars}
    assert colours == {cluster_color(c) for c in range(3)}
    for bar in bars:
        widths = np.asarray(bar.opts["width"])
        assert np.all(np.diff(widths) >= 0)  # sorted within the band
    view.state.set_focused([1])  # a cluster chosen in the list: the others' bands fade, as on the map
    alphas = {c: bar.opts["brush"].color().alpha() for c, bar in view._bars.items()}
    assert alphas[1] == 220 and alphas[0] == alphas[2] < 80
    view.state.set_focused([])
    assert {bar.opts["brush"].color().alpha() for bar in view._bars.values()} == {220}


def test_noise_is_left_out(view, qtbot, make_result):
    result = make_result(n=120, k=3, noise=9)
    show(view, qtbot, result)
    assert len(view.rows) == 111 and np.all(result.labels[view.rows] >= 0)
    assert -1 not in view.bands
    assert "9 noise items" in view.caption.text()


def test_large_inputs_use_the_summary_sample_and_match_its_score(view, qtbot, make_result, monkeypatch):
    monkeypatch.setattr(metrics, "SILHOUETTE_SAMPLE", 100)
    result = make_result(n=400, k=4, noise=20)
    show(view, qtbot, result)
    assert len(view.rows) == 100 and np.all(result.labels[view.rows] >= 0)
    summary = metrics.evaluate(result.embeddings, result.labels)["silhouette"]
    assert view.mean == pytest.approx(summary)
    assert "random sample of 100 of the 380 clustered items" in view.caption.text()


def test_a_single_cluster_or_no_result_shows_a_message(view, qtbot, make_result):
    show(view, qtbot, None)
    assert view.stack.currentWidget() is view.message and "No analysis" in view.message.text()
    result = make_result(n=30, k=1)
    show(view, qtbot, result)
    assert "at least 2 clusters" in view.message.text() and view.mean is None


def test_drawing_a_large_result_is_quick(view, qtbot, make_result):
    result = make_result(n=20_000, k=5)  # the engine computed 5 000 sampled silhouettes already
    start = time.perf_counter()
    show(view, qtbot, result)
    assert time.perf_counter() - start < 1.5
    assert len(view.rows) == metrics.SILHOUETTE_SAMPLE


def test_clicking_a_band_chooses_its_cluster_and_selected_bars_are_dark(view, qtbot, make_result):
    # A band click selected the cluster's items, while a click on its legend name chose it: the two
    # views of one cluster did different things. Now both choose it; Ctrl adds one.
    result = make_result(n=90, k=3)
    result.clustering = Clustering(labels=result.labels)
    show(view, qtbot, result)
    bottom, top = view.bands[1]
    assert view.cluster_at((bottom + top) / 2) == 1 and view.cluster_at(-5) is None
    vb = view.plot.getPlotItem().getViewBox()

    def click_band(cluster: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        low, high = view.bands[cluster]
        pos = view.plot.mapFromScene(vb.mapViewToScene(QPointF(0.3, (low + high) / 2)))
        with qtbot.waitSignal(view.state.focus_changed):
            qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, modifier, pos=pos)

    click_band(1)
    assert view.state.focused == {1} and len(view.state.selected) == 0
    alpha = {c: bars.opts["brush"].color().alpha() for c, bars in view._bars.items()}
    assert alpha[1] > 2 * alpha[0] and alpha[0] == alpha[2]  # the others fade
    click_band(2, Qt.KeyboardModifier.ControlModifier)
    assert view.state.focused == {1, 2}
    click_band(2, Qt.KeyboardModifier.ControlModifier)
    click_band(1)  # the only chosen one again: every cluster comes back
    assert view.state.focused == frozenset()
    view.state.select(np.flatnonzero(result.labels == 1))
    sampled = np.intersect1d(view.rows, np.flatnonzero(result.labels == 1))
    assert np.array_equal(np.sort(view.highlighted_rows()), sampled) and len(sampled)
    assert len(view.selected_bars.opts["y"]) == len(sampled)  # their bars are drawn dark
