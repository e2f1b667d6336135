"""The map's density layer with a low threshold: counts against numpy's histogram, colours from the
clusters, markers again when zoomed in, nearest-point hover and click against brute force, a lasso
selecting exactly the points inside (off the GUI thread), hidden clusters gone from the image."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.path import Path as MplPath
from PySide6.QtCore import QPointF, Qt

from engine.anomaly import Anomalies
from gui.views.density import LatestRunner, density_or_points
from gui.views.map_layers import MARK_LIMIT
from gui.views.scatter import ScatterView

ABOVE = 2_000


def blobs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four clusters side by side (cluster 2 alone on the right), noise (-1) over all of them."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, 4, n)
    centres = np.array([[0.0, 0.0], [0.0, 0.0], [1.5, 0.5], [4.0, 0.0], [-1.0, 1.0]])
    spread = np.array([3.0, 1.0, 0.7, 0.5, 0.8])
    coords = centres[labels + 1] + rng.normal(size=(n, 2)) * spread[labels + 1, None]
    return coords.astype(np.float32), labels


@pytest.fixture
def view(qtbot, make_result):
    """A shown map with a low density threshold; ``view.show_points(coords, labels)`` shows a
    result with these points, so the view state knows the items (selection, hiding)."""
    view = ScatterView(density_above=ABOVE)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)

    def show_points(coords: np.ndarray, labels: np.ndarray) -> None:
        result = make_result(n=len(coords), k=4, silhouette=False)
        result.coords, result.clustering.labels = coords, labels
        view.set_result(result)

    view.show_points = show_points
    return view


def histogram(coords: np.ndarray, rect, shape: tuple[int, int]) -> np.ndarray:
    """Per-pixel counts as numpy counts them, rows from the bottom like the image."""
    (x0, x1), (y0, y1) = rect
    counts, _, _ = np.histogram2d(
        coords[:, 0].astype(np.float64), coords[:, 1].astype(np.float64), bins=(shape[1], shape[0]),
        range=((x0, x1), (y0, y1)),
    )  # fmt: skip
    return counts.T


def test_density_counts_equal_numpy_histogram_and_colours_come_from_the_clusters(view):
    coords, labels = blobs(200_000)
    view.show_points(coords, labels)
    image = view.density_image()
    assert image is not None and view.point_count() == 0  # drawn at once, as an image
    assert image.counts.shape == image.rgba.shape[:2] and image.counts.shape[1] >= 400
    assert np.array_equal(image.counts, histogram(coords, image.rect, image.counts.shape))
    assert image.counts.sum() == 200_000  # the view fits every point

    per_cluster = {c: histogram(coords[labels == c], image.rect, image.counts.shape) for c in range(-1, 4)}
    only_two = (per_cluster[2] > 0) & (image.counts == per_cluster[2])
    assert only_two.sum() > 50
    assert (image.rgba[only_two][:, :3] == view.state.colour_of(2)).all()
    mixed = np.argwhere(
        (per_cluster[0] > 0) & (per_cluster[3] > 0) & (image.counts == per_cluster[0] + per_cluster[3])
    )
    row, col = mixed[0]
    n0, n3 = per_cluster[0][row, col], per_cluster[3][row, col]
    expected = (n0 * np.array(view.state.colour_of(0)) + n3 * np.array(view.state.colour_of(3))) / (n0 + n3)
    assert np.abs(image.rgba[row, col, :3] - expected).max() <= 0.5 + 1e-9  # count-weighted mean
    empty, busiest = image.counts == 0, np.unravel_index(image.counts.argmax(), image.counts.shape)
    assert (image.rgba[empty][:, 3] == 0).all() and image.rgba[busiest][3] == 255


def pixel_of(markers, x: float, y: float) -> tuple[int, int]:
    """(row, column) of view point (x, y) in a painted marker image, row 0 at the bottom."""
    (x0, x1), (y0, y1) = markers.rect
    height, width = markers.rgba.shape[:2]
    return int((y - y0) / (y1 - y0) * height), int((x - x0) / (x1 - x0) * width)


def test_zooming_in_below_the_threshold_paints_markers_off_the_gui_thread_and_out_again_the_image(
    qtbot, view
):
    coords, labels = blobs(40_000)
    view.show_points(coords, labels)
    assert view.density_shown()
    view.view_box.setRange(xRange=(5.0, 5.4), yRange=(-0.2, 0.2), padding=0)  # the edge of cluster 3
    assert view.density_shown() and view.marker_image() is None  # the stretched image meanwhile
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        pass
    markers = view.marker_image()
    assert markers is not None and not view.density_shown() and view._cluster_items == {}
    (x0, x1), (y0, y1) = view.view_box.viewRange()
    in_view = (coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0) & (coords[:, 1] <= y1)
    assert 20 < in_view.sum() <= view.point_count() <= ABOVE  # every point in view, and a margin
    assert set(np.flatnonzero(in_view)) <= set(markers.indices.tolist())
    # Each marker sits where its point is, in its cluster's colour (checked at points with no
    # other point within a few pixels, so no neighbour's marker covers the centre).
    rows, columns = np.array([pixel_of(markers, *coords[i]) for i in markers.indices]).T
    height, width = markers.rgba.shape[:2]
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    alone = [
        i for i, r, c, ok in zip(markers.indices, rows, columns, inside, strict=True)
        if ok and np.sum((np.abs(rows - r) <= 8) & (np.abs(columns - c) <= 8)) == 1 and labels[i] >= 0
    ]  # fmt: skip
    assert len(alone) > 10
    for i in alone:
        r, c = pixel_of(markers, *coords[i])
        assert tuple(markers.rgba[r, c, :3]) == view.state.colour_of(int(labels[i]))
        assert markers.rgba[r, c, 3] == 230
    empty = np.ones((height, width), dtype=bool)
    for r, c in zip(rows[inside], columns[inside], strict=True):
        empty[max(r - 6, 0) : r + 7, max(c - 6, 0) : c + 7] = False
    assert empty.any() and (markers.rgba[empty][:, 3] == 0).all()  # nothing painted away from points

    requests = view._density_runner.ticket
    view.view_box.translateBy(x=0.05)  # a short pan stays inside the painted margin: no new image
    assert view.marker_image() is markers and view._density_runner.ticket == requests
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.reset_view()
    assert view.density_shown() and view.point_count() == 0


def brute_nearest(view: ScatterView, coords: np.ndarray, x: float, y: float, radius: float = 8.0):
    px, py = view.view_box.viewPixelSize()
    d = np.hypot((coords[:, 0] - x) / px, (coords[:, 1] - y) / py)
    d[~view._visible()] = np.inf
    best = int(np.argmin(d))
    return best if d[best] <= radius else None


def test_hover_and_click_find_the_true_nearest_point(qtbot, view, settle):
    coords, labels = blobs(60_000, seed=3)
    view.show_points(coords, labels)
    exact = coords.astype(np.float64)
    rng = np.random.default_rng(5)
    probes = exact[rng.integers(0, len(coords), 60)] + rng.normal(scale=0.02, size=(60, 2))
    probes = np.vstack([probes, [[30.0, 30.0]]])  # far from everything: nothing
    assert view._tree is None
    before = [view.index_at(x, y) for x, y in probes]  # the vectorised search, before the KD-tree
    assert before == [brute_nearest(view, exact, x, y) for x, y in probes]
    qtbot.waitUntil(lambda: view._tree is not None, timeout=10_000)
    after = [view.index_at(x, y) for x, y in probes]
    truth = [brute_nearest(view, exact, x, y) for x, y in probes]
    assert after == truth and truth[-1] is None
    assert sum(t is not None for t in truth) > 40

    settle(view)
    target = view.view_box.mapViewToScene(QPointF(*exact[123]))
    pixel = view.plot.mapFromScene(target)
    clicked = view.view_box.mapSceneToView(view.plot.mapToScene(pixel))
    with qtbot.waitSignal(view.state.selection_changed, timeout=3000) as blocker:
        qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pixel)
    assert blocker.args[0].tolist() == [brute_nearest(view, exact, clicked.x(), clicked.y())]


def test_a_lasso_over_the_density_image_selects_exactly_the_points_inside(qtbot, view):
    coords, labels = blobs(100_000, seed=1)
    view.show_points(coords, labels)
    view.state.set_cluster_visible(3, False)
    polygon = np.array([[-3.0, -3.0], [2.0, -2.5], [4.5, 1.0], [0.5, 3.0], [-2.5, 1.5]])
    with qtbot.waitSignal(view.state.selection_changed, timeout=10_000) as blocker:
        view.select_in_shape("lasso", polygon)
        assert view.selected == []  # found off the GUI thread, after this call returned
    inside = MplPath(polygon).contains_points(coords.astype(np.float64)) & (labels != 3)
    assert inside.sum() > 10_000
    assert blocker.args[0].tolist() == np.flatnonzero(inside).tolist()


def test_hidden_clusters_vanish_from_the_image(qtbot, view):
    coords, labels = blobs(50_000, seed=2)
    view.show_points(coords, labels)
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.state.set_cluster_visible(3, False)
    image = view.density_image()
    shown = labels != 3
    assert np.array_equal(image.counts, histogram(coords[shown], image.rect, image.counts.shape))
    only_three = histogram(coords[~shown], image.rect, image.counts.shape) > 0
    only_three &= histogram(coords[shown], image.rect, image.counts.shape) == 0
    assert only_three.sum() > 50 and (image.rgba[only_three][:, 3] == 0).all()
    assert "cluster 3" in view.legend_entries()[3]  # the legend keeps it, unticked
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.state.set_cluster_visible(3, True)
    assert view.density_image().counts.sum() == image.counts.sum() + (~shown).sum()


def test_only_the_latest_request_is_answered(qtbot):
    runner = LatestRunner()
    answers = []
    runner.done.connect(answers.append)
    for i in range(20):
        runner.request(lambda i=i: i)
    assert runner.wait()
    qtbot.waitUntil(lambda: answers == [19], timeout=3000)


def test_over_the_image_only_the_top_outliers_are_ringed_and_zoomed_in_those_in_view(
    qtbot, view, make_result
):
    coords, labels = blobs(30_000, seed=4)
    result = make_result(n=len(coords), k=4, silhouette=False)
    result.coords, result.clustering.labels = coords, labels
    scores = np.random.default_rng(0).random(len(coords))
    result.anomaly = Anomalies("ecod", 0.3, scores, 0.7, scores > 0.7)
    view.set_result(result)
    assert view.density_shown()
    ringed = view._outliers.data
    top = np.argsort(-scores)[:MARK_LIMIT]
    assert len(ringed) == MARK_LIMIT < (scores > 0.7).sum()
    assert np.allclose(np.sort(ringed["x"]), np.sort(coords[top, 0]))
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.view_box.setRange(xRange=(3.8, 4.2), yRange=(-0.2, 0.2), padding=0)
    assert not view.density_shown()
    drawn = np.zeros(len(coords), dtype=bool)
    drawn[view._drawn] = True
    assert view.ringed()[0] == (drawn & (scores > 0.7)).sum() > 0


def test_a_selection_over_the_image_dims_the_pixels_without_selected_points(qtbot, view):
    coords, labels = blobs(20_000, seed=6)
    view.show_points(coords, labels)
    chosen = np.flatnonzero(labels == 2)
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.state.select(chosen)
    image = view.density_image()
    height, width = image.counts.shape
    unselected = density_or_points(view._xy, view._channels, None, None, image.rect, (width, height), ABOVE)
    before = unselected.rgba[..., 3]
    has_chosen = histogram(coords[chosen], image.rect, image.counts.shape) > 0
    others = (image.counts > 0) & ~has_chosen
    assert (image.rgba[..., 3][has_chosen] == before[has_chosen]).all()
    assert (image.rgba[..., 3][others] < before[others]).all() and others.sum() > 100
    assert view.ringed() == (0, 0) and len(view._highlight.data) == len(chosen) <= MARK_LIMIT


def test_clusters_chosen_in_the_list_dim_the_image_around_them_unless_something_is_selected(qtbot, view):
    coords, labels = blobs(20_000, seed=7)
    view.show_points(coords, labels)
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.state.set_focused([3])
    image = view.density_image()
    height, width = image.counts.shape
    plain = density_or_points(view._xy, view._channels, None, None, image.rect, (width, height), ABOVE)
    has_focused = histogram(coords[labels == 3], image.rect, image.counts.shape) > 0
    others = (image.counts > 0) & ~has_focused
    alpha, before = image.rgba[..., 3], plain.rgba[..., 3]
    assert (alpha[has_focused] == before[has_focused]).all()
    assert (alpha[others] < before[others]).all() and others.sum() > 100
    chosen = np.flatnonzero(labels == 2)
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.state.select(chosen)  # the selection decides what is dimmed while there is one
    image = view.density_image()
    has_chosen = histogram(coords[chosen], image.rect, image.counts.shape) > 0
    assert (image.rgba[..., 3][has_chosen] == before[has_chosen]).all() and (has_chosen & others).any()


def test_new_labels_for_the_same_points_keep_the_kd_tree_and_recolour_the_image(qtbot, view):
    coords, labels = blobs(20_000, seed=7)
    view.show_points(coords, labels)
    qtbot.waitUntil(lambda: view._tree is not None, timeout=10_000)
    tree, before = view._tree, view.density_image()
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.state.set_labels(np.zeros(len(coords), dtype=int))  # what a moved dendrogram cut does
        assert view.density_image() is before  # the old picture shows until the new one lands
    image = view.density_image()
    assert view._tree is tree and view.legend_entries() == ["cluster 0  (20000)"]
    assert image.counts.sum() == before.counts.sum() == len(coords)
    assert (image.rgba[image.counts > 0][:, :3] == view.state.colour_of(0)).all()


def test_above_the_render_now_limit_the_first_image_is_made_off_the_gui_thread(qtbot, view):
    coords, labels = blobs(30_000, seed=8)
    view.render_now_below = 10_000  # as a million points would be
    with qtbot.waitSignal(view.density_ready, timeout=10_000):
        view.show_points(coords, labels)
        assert view.density_image() is None and view.point_count() == 0  # nothing yet, nothing blocked
    image = view.density_image()
    assert np.array_equal(image.counts, histogram(coords, image.rect, image.counts.shape))
    assert image.counts.sum() == len(coords)
