"""The k-distance view (DBSCAN's eps, draggable) and the k-curve view drawing a mixture's BIC/AIC."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from engine.cluster import Clustering
from engine.cluster.dbscan import fit_dbscan
from engine.cluster.gmm import CriterionCurve
from gui.views.k_curve import KCurveView
from gui.views.k_distance import KDistanceView


@pytest.fixture
def dbscan_result(make_result):
    """A synthetic Result clustered by the engine's DBSCAN on its own 2-D blobs."""
    result = make_result(n=300, k=3)
    result.spec = result.spec.replace(algorithm="dbscan", min_samples=5)
    result.clustering = fit_dbscan(result.embeddings, min_samples=5)
    return result


def test_shows_the_curve_and_the_eps_of_a_dbscan_result(qtbot, dbscan_result):
    view = KDistanceView()
    qtbot.addWidget(view)
    view.set_result(dbscan_result)
    info = dbscan_result.clustering.info
    assert view.showing_curve
    assert view.eps == pytest.approx(info["eps"])
    x, y = view.curve_item.getData()
    assert len(y) == len(info["k_distance"]["distances"]) and np.all(np.diff(y) >= 0)
    assert x[0] == 0 and x[-1] == 100
    assert 0.5 < view.core_share() <= 1.0  # the knee keeps the blobs' items as core points
    assert "eps = " in view.plot.getPlotItem().titleLabel.text


def test_other_methods_get_a_message(qtbot, make_result, dbscan_result):
    view = KDistanceView()
    qtbot.addWidget(view)
    view.set_result(dbscan_result)
    view.set_result(make_result())  # K-Means
    assert not view.showing_curve and view.eps is None
    assert "DBSCAN" in view.message.text() and "kmeans" in view.message.text()
    view.set_result(None)
    assert not view.showing_curve


def test_dragging_the_line_emits_the_new_eps(qtbot, dbscan_result):
    view = KDistanceView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_result(dbscan_result)
    eps = view.eps
    vb = view.plot.getPlotItem().getViewBox()

    def widget_point(x: float, y: float) -> QPoint:
        scene = vb.mapViewToScene(QPointF(x, y))
        return view.plot.mapFromScene(scene)

    start, end = widget_point(50, eps), widget_point(50, eps * 1.6)
    viewport = view.plot.viewport()
    with qtbot.waitSignal(view.eps_chosen, timeout=2000) as blocker:
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        for i in range(1, 6):
            QTest.mouseMove(viewport, start + (end - start) * (i / 5))
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    chosen = blocker.args[0]
    assert chosen > eps and chosen == pytest.approx(eps * 1.6, rel=0.15)
    assert view.eps == pytest.approx(chosen)


def test_moving_the_line_from_code_does_not_emit(qtbot, dbscan_result):
    view = KDistanceView()
    qtbot.addWidget(view)
    view.set_result(dbscan_result)
    with qtbot.assertNotEmitted(view.eps_chosen):
        view.set_eps(0.5)
    assert view.eps == pytest.approx(0.5)
    assert view.core_share(0.0) == 0.0 and view.core_share(1e9) == 1.0
    # A drag that ends where it started changes nothing; one that ends elsewhere reports once.
    with qtbot.assertNotEmitted(view.eps_chosen):
        view.eps_line.sigPositionChangeFinished.emit(view.eps_line)
    with qtbot.waitSignal(view.eps_chosen) as blocker:
        view.eps_line.setValue(0.7)
        view.eps_line.sigPositionChangeFinished.emit(view.eps_line)
    assert blocker.args == [pytest.approx(0.7)]


def test_a_hand_made_curve_marks_the_knee_when_eps_differs(qtbot, make_result):
    result = make_result()
    result.spec = result.spec.replace(algorithm="dbscan", eps=2.0)
    curve = {"k": 5, "distances": list(np.linspace(0.1, 3.0, 50)), "suggested_eps": 1.0, "eps": 2.0}
    result.clustering = Clustering(labels=result.labels, info={"k_distance": curve, "eps": 2.0})
    view = KDistanceView()
    qtbot.addWidget(view)
    view.set_result(result)
    assert view.eps == pytest.approx(2.0)
    assert view.suggested_line.isVisible() and view.suggested_line.value() == pytest.approx(1.0)


def test_k_curve_draws_a_mixtures_bic_and_aic(qtbot, fake_k_curve):
    curve = CriterionCurve(
        ks=[1, 2, 3, 4, 5], bic=[900.0, 700.0, 520.0, 540.0, 560.0], aic=[880.0, 660.0, 470.0, 470.5, 460.0],
        best_k=3, criterion="bic",
    )  # fmt: skip
    view = KCurveView()
    qtbot.addWidget(view)
    view.set_curve(curve)
    assert view.chosen_k == 3 and view.criterion == "bic" and view.elbow_k is None
    upper = view.silhouette_plot.listDataItems()[0].getData()
    lower = view.inertia_plot.listDataItems()[0].getData()
    assert list(upper[1]) == curve.bic and list(lower[1]) == curve.aic
    assert view.silhouette_plot.getAxis("left").labelText == "BIC"
    assert "lowest BIC" in view.silhouette_plot.titleLabel.text
    # Back to a K-Means curve: silhouette and inertia again, no criterion.
    view.set_curve(fake_k_curve)
    assert view.criterion is None and view.chosen_k == 3
    assert view.silhouette_plot.getAxis("left").labelText == "silhouette"


def test_the_radius_plot_is_a_tab_beside_the_clusters_so_they_keep_room(qtbot, dbscan_result, laptop_window):
    # Stacked under the cluster list it left the members table one row high on a 1366 x 768 laptop.
    window = laptop_window
    window.show_result(dbscan_result, "done", at_once=True)
    dock = window.analysis.k_distance_dock
    qtbot.waitUntil(dock.isVisible)
    assert dock in window.tabifiedDockWidgets(window.clusters_dock)
    # The clusters stay the tab in front (Qt moves a tab behind off screen rather than hiding it).
    qtbot.waitUntil(lambda: not window.cluster_panel.visibleRegion().isEmpty())
    assert window.analysis.k_distance.visibleRegion().isEmpty()
    assert dock.visibleRegion().isEmpty()
    dock.raise_()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    assert window.cluster_panel.visibleRegion().isEmpty()
    assert window.analysis.k_distance.height() >= 300  # the whole column, not 100 px under the list
