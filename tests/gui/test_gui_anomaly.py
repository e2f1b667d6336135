"""The anomaly view offscreen: histogram, draggable threshold, the table of the most unusual items."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from engine.anomaly import Anomalies, detect, threshold_for
from gui.views.anomaly import NO_DETECTOR, NO_RESULT, TOP_ROWS, AnomalyView


def with_anomaly(result, detector: str = "iforest", contamination: float = 0.05):
    """Score the result's embeddings with a real detector, the way the pipeline does."""
    result.anomaly = detect(result.embeddings, detector, contamination=contamination)
    return result


@pytest.fixture
def view(qtbot):
    widget = AnomalyView()
    qtbot.addWidget(widget)
    widget.resize(600, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def far_items(result, count: int = 4):
    """Move the first ``count`` items far away so they are the clear outliers."""
    result.embeddings[:count] += 40.0
    return list(range(count))


def test_messages_without_result_or_detector(view, make_result, qtbot):
    view.set_result(None)
    assert view.stack.currentWidget() is view.message and view.message.text() == NO_RESULT
    view.set_result(make_result(n=30))
    assert view.message.text() == NO_DETECTOR and "detector" in NO_DETECTOR.lower()
    assert view.flag_count() == 0 and view.threshold is None and view.state.outlier_flags() is None


def test_histogram_bins_hold_every_score(view, make_result):
    result = with_anomaly(make_result(n=300))
    view.set_result(result)
    counts, edges = view.histogram()
    assert counts.sum() == 300 and len(edges) == len(counts) + 1
    expected, _ = np.histogram(result.anomaly.scores, bins=edges)
    assert np.array_equal(counts, expected)
    assert edges[0] == pytest.approx(result.anomaly.scores.min()) and edges[-1] == pytest.approx(
        result.anomaly.scores.max()
    )
    heights = view.bars.opts["height"]
    assert np.array_equal(np.asarray(heights), counts)
    view.log_counts.setChecked(True)
    assert np.allclose(view.bars.opts["height"], np.log10(1 + counts))


def test_extreme_scores_do_not_squash_the_histogram(view, make_result):
    result = make_result(n=500)
    scores = np.random.default_rng(0).normal(size=500)
    scores[0] = 1e10  # LOF on duplicates
    threshold = threshold_for(scores, 0.05)
    result.anomaly = Anomalies("lof", 0.05, scores, threshold, scores > threshold)
    view.set_result(result)
    counts, edges = view.histogram()
    assert counts.sum() == 500 and edges[-1] < 100
    assert (counts > 0).sum() > 5


def test_detectors_flags_and_top_items(view, make_result, qtbot):
    result = make_result(n=200)
    far = far_items(result)
    with_anomaly(result, "knn", contamination=0.02)
    view.set_result(result)
    assert np.array_equal(view.flags, result.anomaly.flags)
    assert view.threshold == pytest.approx(result.anomaly.threshold)
    assert view.flag_count() == int(result.anomaly.flags.sum()) == 4
    assert set(view.top_indices()[:4]) == set(far)
    assert view.table.rowCount() == 200 <= TOP_ROWS
    first = [view.table.item(0, c).text() for c in range(4)]
    assert first[0] == "1" and first[1] == result.analysed.items[view.top_indices()[0]].display_name
    scores = [float(view.table.item(r, 2).text()) for r in range(view.table.rowCount())]
    assert scores == sorted(scores, reverse=True)
    assert "4 of 200 items" in view.summary.text()
    # The cluster column follows the view state: a rename, a picked colour, a moved dendrogram cut.
    top = view.top_indices()[0]
    cluster = int(result.labels[top])
    view.state.rename(cluster, "the far ones")
    view.state.set_colour(cluster, (1, 2, 3))
    assert view.table.item(0, 3).text() == "the far ones"
    assert view.table.item(0, 3).data(Qt.ItemDataRole.DecorationRole).getRgb()[:3] == (1, 2, 3)
    view.state.set_labels(np.where(np.arange(200) == top, 7, 0))
    names = [view.table.item(row, 3).text() for row in range(2)]
    assert names == [view.state.name_of(7), view.state.name_of(0)] and names[0] != names[1]


def test_moving_the_threshold_reflags_without_refitting(view, make_result, qtbot):
    result = with_anomaly(make_result(n=300), "ecod", contamination=0.05)
    view.set_result(result)
    before = view.flag_count()
    lower = threshold_for(result.anomaly.scores, 0.3)
    with qtbot.waitSignal(view.state.threshold_changed, timeout=2000) as blocker:
        view.line.setValue(lower)  # what a drag does; the throttled update follows
    assert blocker.args == [pytest.approx(lower), view]
    assert view.state.outlier_flags().sum() == view.flag_count() > before
    assert view.flag_count() == pytest.approx(90, abs=2)
    view.reset.click()
    assert view.flag_count() == before and view.threshold == pytest.approx(result.anomaly.threshold)
    view.set_threshold(result.anomaly.scores.max())
    assert view.flag_count() == 0


def test_dragging_the_line_with_the_mouse(view, make_result, qtbot):
    result = with_anomaly(make_result(n=300), "iforest")
    view.set_result(result)
    before = view.flag_count()
    vb = view.plot.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    y = 0.5 * (y0 + y1)

    def to_widget(x: float) -> QPointF:
        return QPointF(view.plot.mapFromScene(vb.mapViewToScene(QPointF(x, y))))

    start, end = to_widget(view.threshold), to_widget(x0 + 0.05 * (x1 - x0))
    viewport = view.plot.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mods = Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(viewport, QMouseEvent(QMouseEvent.Type.MouseMove, start, start, none, none, mods))
    QApplication.sendEvent(
        viewport, QMouseEvent(QMouseEvent.Type.MouseButtonPress, start, start, left, left, mods)
    )
    with qtbot.waitSignal(view.state.threshold_changed, timeout=2000):
        for t in np.linspace(0, 1, 8):
            p = start + (end - start) * float(t)
            qtbot.wait(25)  # pyqtgraph drops mouse moves closer than 10 ms apart
            QApplication.sendEvent(viewport, QMouseEvent(QMouseEvent.Type.MouseMove, p, p, none, left, mods))
        QApplication.sendEvent(
            viewport, QMouseEvent(QMouseEvent.Type.MouseButtonRelease, end, end, left, none, mods)
        )
    assert view.threshold < result.anomaly.threshold
    assert view.flag_count() > before


def test_double_click_opens_and_selection_is_shared(view, make_result, qtbot):
    result = make_result(n=120)
    far = far_items(result, 3)
    view.set_result(with_anomaly(result, "knn"))
    rect = view.table.visualRect(view.table.model().index(0, 1))
    with qtbot.waitSignal(view.item_activated) as activated:  # a click, then the double-click
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args[0] == view.top_indices()[0] and activated.args[0] in far
    with qtbot.waitSignal(view.state.selection_changed) as selected:
        view.table.selectRow(1)
    assert selected.args[0].tolist() == [view.top_indices()[1]] and selected.args[1] is view
    other = object()  # another view selects: the table follows and does not write back
    seen = []
    view.state.selection_changed.connect(lambda indices, source: seen.append(source))
    view.state.select([far[0], far[2], 9999], source=other)
    assert view.selected == sorted([far[0], far[2]]) and seen == [other]


def test_the_table_lists_only_the_top_items(view, make_result, monkeypatch):
    import gui.views.anomaly as module

    monkeypatch.setattr(module, "TOP_ROWS", 25)
    result = with_anomaly(make_result(n=400), "copod")
    view.set_result(result)
    assert view.table.rowCount() == 25
    assert view.top_indices() == np.argsort(-result.anomaly.scores, kind="stable")[:25].tolist()


def test_notes_are_shown(view, make_result):
    result = make_result(n=50)
    result.anomaly = Anomalies(
        "ocsvm", 0.1, np.linspace(0, 1, 50), 0.9, np.linspace(0, 1, 50) > 0.9, notes=["fitted on a sample"]
    )
    view.set_result(result)
    assert view.notes.text() == "fitted on a sample" and not view.notes.isHidden()


def test_the_threshold_is_written_to_the_scores_resolution():
    from engine.anomaly import score_text

    assert score_text(-3.261e-17, 0.27) == "0.0000"  # Isolation Forest's zero, not "-3.261e-17"
    assert score_text(0.51234, 0.9) == "0.5123" and score_text(1234.5678, 5000.0) == "1235"
    assert score_text(2.5e-5, 1e-4) == "0.0000250" and score_text(0.3, 0.0) == "0.3"


def test_the_outliers_dock_opens_with_room_for_its_histogram_once(qtbot, make_result, laptop_window):
    # The bottom docks open about 170 px high for the problems list: the histogram was a 30 px strip.
    window = laptop_window
    dock = window.analysis.anomaly_dock
    before = dock.height()
    window.show_result(with_anomaly(make_result(n=200), "iforest"), "done", at_once=True)
    qtbot.waitUntil(lambda: dock.height() >= before + 60)  # 195 -> 267 px in an 880 px window
    window.resizeDocks([dock], [150], Qt.Orientation.Vertical)  # the user wants it small: it stays so
    qtbot.waitUntil(lambda: dock.height() < before)
    window.show_result(with_anomaly(make_result(n=200), "knn"), "done", at_once=True)
    QApplication.processEvents()
    assert dock.height() < before


def test_on_a_small_laptop_the_outliers_take_at_most_a_third_of_the_window(qtbot, make_result, laptop_window):
    # 330 px of a 740 px window left the map 360 px and the histogram more room than it needs.
    window = laptop_window
    window.resize(1366, 740)
    qtbot.waitUntil(lambda: window.height() == 740)
    window.show_result(with_anomaly(make_result(n=200), "iforest"), "done", at_once=True)
    dock = window.analysis.anomaly_dock
    qtbot.waitUntil(lambda: dock.height() >= 200)
    QApplication.processEvents()
    assert dock.height() <= 740 // 3 + 5
    assert window.scatter.height() >= 380


def test_scores_below_the_threshold_are_written_in_the_themes_text_colour(view, make_result):
    # A fixed near-black vanished on the dark base of a dark theme.
    from PySide6.QtGui import QColor, QPalette

    dark = view.table.palette()
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1f1f1f"))
    view.table.setPalette(dark)
    result = with_anomaly(make_result(n=200), "iforest")
    view.set_result(result)
    flags = view.state.outlier_flags()
    inks: dict[bool, set[str]] = {True: set(), False: set()}
    for row, index in enumerate(view.top_indices()):
        inks[bool(flags[index])].add(view.table.item(row, 2).foreground().color().name())
    assert inks[False] == {"#e6e6e6"} and inks[True] and "#e6e6e6" not in inks[True]
