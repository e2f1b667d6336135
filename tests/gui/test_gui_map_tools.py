"""The map's tools with real mouse drags: lasso and rectangle select exactly the points inside,
search by name, Esc, more like this against brute force, a typed query, axis titles, previews."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from matplotlib.path import Path as MplPath
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.items import Collection, Item
from engine.pipeline import Spec, run
from gui.views.preview import TABLE_FIELDS
from gui.views.scatter import ScatterView

NO_MODS = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def shown(qtbot, settle):
    """``shown(result)``: a ScatterView on screen (offscreen) showing ``result``, axes settled."""

    def make(result) -> ScatterView:
        view = ScatterView()
        qtbot.addWidget(view)
        view.resize(800, 600)
        view.show()
        qtbot.waitExposed(view)
        view.set_result(result)
        settle(view)
        return view

    return make


def _send(view: ScatterView, kind: QEvent.Type, pos: QPoint, buttons, modifiers) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    viewport = view.plot.viewport()
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def drag(
    view: ScatterView, corners: list[tuple[float, float]], modifiers=NO_MODS, steps: int = 6
) -> np.ndarray:
    """Drag the left button through ``corners`` (view coordinates) as a user's hand would.

    Returns the path the mouse really took, in view coordinates (pixels rounded as the screen does),
    which is the polygon a lasso must use.
    """
    pixels = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:], strict=False):
        for t in np.linspace(0, 1, steps, endpoint=False):
            scene = view.view_box.mapViewToScene(QPointF(x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
            pixels.append(view.plot.mapFromScene(scene))
    scene = view.view_box.mapViewToScene(QPointF(*corners[-1]))
    pixels.append(view.plot.mapFromScene(scene))
    held = Qt.MouseButton.LeftButton
    _send(view, QEvent.Type.MouseButtonPress, pixels[0], held, modifiers)
    for pixel in pixels[1:]:
        QTest.qWait(12)  # pyqtgraph drops mouse moves closer than 10 ms apart
        _send(view, QEvent.Type.MouseMove, pixel, held, modifiers)
    _send(view, QEvent.Type.MouseButtonRelease, pixels[-1], Qt.MouseButton.NoButton, modifiers)
    traced = [view.view_box.mapSceneToView(view.plot.mapToScene(p)) for p in pixels]
    return np.array([[p.x(), p.y()] for p in traced])


# Inside the view of three blobs centred at (10, 0), (-5, 8.7), (-5, -8.7); it cuts two of them.
LASSO = [(-7.0, 6.0), (-5.0, 10.5), (-2.0, 8.5), (-4.5, -8.7), (-7.0, -8.0), (-7.0, 6.0)]


def test_lasso_selects_exactly_the_points_inside_its_polygon(qtbot, shown, make_result):
    result = make_result(n=300, k=3)
    view = shown(result)
    with qtbot.waitSignal(view.state.selection_changed, timeout=3000):
        traced = drag(view, LASSO, Qt.KeyboardModifier.ControlModifier)
    expected = np.flatnonzero(MplPath(traced).contains_points(result.coords.astype(np.float64)))
    assert 20 < len(expected) < 280  # the shape cuts through the clouds: a real test
    assert view.selected == expected.tolist()


def test_lasso_mode_and_shift_adds_to_the_selection(qtbot, shown, make_result):
    result = make_result(n=300, k=3)
    view = shown(result)
    view.tools.mode_actions["lasso"].trigger()
    assert view.view_box.mode == "lasso"
    view.state.select([1])
    with qtbot.waitSignal(view.state.selection_changed, timeout=3000):
        traced = drag(view, LASSO)
    inside = np.flatnonzero(MplPath(traced).contains_points(result.coords.astype(np.float64)))
    assert view.selected == inside.tolist()
    view.state.select([1])
    with qtbot.waitSignal(view.state.selection_changed, timeout=3000):
        drag(view, LASSO, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected == sorted({1, *inside.tolist()})


def test_shift_drag_selects_a_rectangle_and_zoom_fits_it(qtbot, shown, make_result):
    result = make_result(n=300, k=3)
    view = shown(result)
    with qtbot.waitSignal(view.state.selection_changed, timeout=3000):
        traced = drag(view, [(-6.0, -9.0), (-4.0, 3.0)], Qt.KeyboardModifier.ShiftModifier, steps=3)
    (x0, y0), (x1, y1) = traced[0], traced[-1]
    c = result.coords
    inside = (
        (c[:, 0] >= min(x0, x1))
        & (c[:, 0] <= max(x0, x1))
        & (c[:, 1] >= min(y0, y1))
        & (c[:, 1] <= max(y0, y1))
    )
    assert 0 < inside.sum() < 300 and view.selected == np.flatnonzero(inside).tolist()
    view.zoom_to_selection()
    rect = view.view_box.viewRect()
    chosen = c[inside]
    assert rect.left() <= chosen[:, 0].min() and rect.right() >= chosen[:, 0].max()
    assert rect.width() < np.ptp(c[:, 0])  # it really zoomed in
    view.tools.reset_action.trigger()
    rect = view.view_box.viewRect()
    assert rect.left() <= c[:, 0].min() and rect.right() >= c[:, 0].max()
    view.state.select([])  # nothing selected: Z fits the clusters chosen in the list
    view.state.set_focused([2])
    view.zoom_to_selection()
    rect, members = view.view_box.viewRect(), c[result.labels == 2]
    assert rect.left() <= members[:, 0].min() and rect.right() >= members[:, 0].max()
    assert rect.bottom() >= members[:, 1].max() and rect.width() < np.ptp(c[:, 0])


def test_a_plain_drag_still_pans(qtbot, shown, make_result):
    view = shown(make_result(n=90, k=3))
    before = view.view_box.viewRect()
    drag(view, [(0.0, 0.0), (5.0, 0.0)], steps=4)
    assert view.selected == [] and view.view_box.viewRect().left() < before.left()


def test_search_selects_by_name_ignoring_case_and_esc_clears(qtbot, shown, make_result):
    result = make_result(n=150, k=3)
    view = shown(result)
    with qtbot.waitSignal(view.state.selection_changed, timeout=3000):
        qtbot.keyClicks(view.tools.search, "CSV[1")
    expected = [i for i, it in enumerate(result.analysed.items) if "csv[1" in it.display_name.lower()]
    assert view.selected == expected and len(expected) == 61  # 1, 10-19, 100-149
    view.plot.setFocus()
    with qtbot.waitSignal(view.state.selection_changed, timeout=2000):
        qtbot.keyClick(view.plot, Qt.Key.Key_Escape)
    assert view.selected == []


def _cosine_order(vectors: np.ndarray, query: np.ndarray) -> list[int]:
    sims = [(-(v @ query) / (np.linalg.norm(v) * np.linalg.norm(query)), i) for i, v in enumerate(vectors)]
    return [i for _, i in sorted(sims)]


def test_more_like_this_selects_the_true_cosine_neighbours(qtbot, shown, make_result):
    result = make_result(n=200, k=3)
    result.embeddings = np.random.default_rng(5).normal(size=(200, 16)).astype(np.float32)
    view = shown(result)
    view.tools.neighbours.setValue(12)
    menu = view.context_menu(7)
    with qtbot.waitSignal(view.state.selection_changed, timeout=2000):
        menu.actions()[0].trigger()  # "More like this" from the point's context menu
    truth = [i for i in _cosine_order(result.embeddings.astype(np.float64), result.embeddings[7]) if i != 7][
        :12
    ]
    assert view.selected == sorted([7, *truth])
    view.state.hover(-1)
    view.state.select([3, 4])  # from a selection: the items closest to its mean direction
    found = view.more_like_this()
    units = result.embeddings[[3, 4]] / np.linalg.norm(result.embeddings[[3, 4]], axis=1, keepdims=True)
    truth = [i for i in _cosine_order(result.embeddings.astype(np.float64), units.mean(0)) if i not in (3, 4)]
    assert found.tolist() == truth[:12] and view.selected == sorted([3, 4, *truth[:12]])
    assert view.state.ranking.tolist() == [3, 4, *truth[:12]]  # the seeds, then the closest first


DOCS = {
    "bread.txt": "Knead the bread dough, let it rise in a warm kitchen, then bake the loaf in the oven.",
    "cake.txt": "Whisk eggs with sugar, fold in the flour and bake the sponge cake in the oven.",
    "saturn.txt": "The telescope showed the rings of Saturn and the moons of Jupiter at night.",
    "galaxy.txt": "Astronomers watched a distant galaxy through the telescope; its stars were faint.",
    "goal.txt": "The striker scored a late goal and the fans in the stadium cheered the team.",
    "penalty.txt": "The goalkeeper saved a penalty kick and the team won the cup final.",
}


def test_the_query_box_selects_the_closest_documents(qtbot, shown, tmp_path):
    for name, text in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = run(Spec(paths=(str(tmp_path),), embedder="text-tfidf", k=3, use_cache=False))
    view = shown(result)
    assert view.tools.query.isVisibleTo(view)
    view.tools.neighbours.setValue(2)
    with qtbot.waitSignal(view.queries.found, timeout=20_000) as found:
        qtbot.keyClicks(view.tools.query, "goalkeeper penalty")
        qtbot.keyClick(view.tools.query, Qt.Key.Key_Return)
    names = [result.analysed.items[i].path.name for i in found.args[0]]
    assert names[0] == "penalty.txt" and len(names) == 2
    assert view.selected == sorted(found.args[0].tolist())
    assert view.state.ranking.tolist() == found.args[0].tolist()  # best match first, for the panel


@pytest.mark.parametrize(("layout", "title"), [("pca", "PC"), ("tsne", "t-SNE"), ("umap", "UMAP")])
def test_axis_titles_name_the_layout(shown, make_result, layout, title):
    result = make_result(n=30, k=3)
    result.spec = result.spec.replace(layout=layout)
    view = shown(result)
    assert view.axis_titles() == (f"{title} 1", f"{title} 2")


def test_legend_sits_beside_the_plot_with_ring_entries(shown, make_result):
    from engine.anomaly import Anomalies

    result = make_result(n=90, k=3)
    scores = np.zeros(90)
    scores[:3] = 1.0
    result.anomaly = Anomalies("ecod", 0.05, scores, 0.5, scores > 0.5)
    result.clustering.probabilities = np.tile([0.6, 0.4], (90, 1))
    view = shown(result)
    assert view.legend.ring_texts() == ["outlier", "uncertain"]
    assert view.legend.geometry().left() >= view.plot.geometry().right()  # outside the points


def _image_result(make_result, tmp_path):
    base = make_result(n=4, k=2)
    items = []
    for i, colour in enumerate([(220, 20, 20), (20, 20, 220), (20, 200, 20), (240, 240, 0)]):
        path = tmp_path / f"photo_{i}.jpg"
        Image.new("RGB", (640, 480), colour).save(path, quality=95)
        items.append(Item(id=i, path=path, modality="image"))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    items[3] = Item(id=3, path=tmp_path / "broken.png", modality="image")
    collection = Collection(items=items)
    return dataclasses.replace(base, collection=collection, analysed=collection, modality="image")


def test_hovering_an_image_shows_its_thumbnail_loaded_off_the_gui_thread(qtbot, shown, make_result, tmp_path):
    result = _image_result(make_result, tmp_path)
    view = shown(result)
    with qtbot.waitSignal(view.previews.ready, timeout=5000):
        view.show_preview(0, QPoint(50, 50))  # first time: loading
    view.show_preview(0, QPoint(50, 50))
    picture = view.popup.picture_image()
    assert picture is not None and max(picture.width(), picture.height()) == 96
    red = picture.pixelColor(picture.width() // 2, picture.height() // 2)
    assert red.red() > 180 and red.green() < 60 and red.blue() < 60
    assert "photo_0.jpg" in view.popup.title.text()
    with qtbot.waitSignal(view.previews.ready, timeout=5000):
        view.show_preview(3, QPoint(50, 50))
    view.show_preview(3, QPoint(50, 50))
    assert view.popup.picture_image() is None and "No preview" in view.popup.body.text()


def test_table_and_series_previews(shown, make_result):
    result = make_result(n=30, k=3)
    result.analysed.table_features = np.arange(30 * 3, dtype=float).reshape(30, 3)
    result.analysed.feature_names = ["alcohol", "hue", "proline"]
    view = shown(result)
    view.show_preview(4, QPoint(40, 40))
    body = view.popup.body.text()
    assert "proline" in body and "14" in body and view.popup.picture_image() is None
    result.analysed.series[4] = np.sin(np.linspace(0, 6, 500))
    view.show_preview(4, QPoint(40, 40))
    assert view.popup.picture_image() is not None


def test_a_wide_rows_preview_lists_its_most_unusual_values_first(shown, make_result):
    # A 60-column row showed its first 12 columns in file order: nothing about what sets it apart.
    from PySide6.QtGui import QTextDocument

    result = make_result(n=30, k=3)
    table = np.random.default_rng(0).normal(size=(30, 60)) + 100
    table[4, 41], table[4, 7] = 112.0, 95.0  # row 4: far above in one column, far below in another
    result.analysed.table_features = table
    result.analysed.feature_names = [f"gene_{c:02d}" for c in range(60)]
    view = shown(result)
    view.show_preview(4, QPoint(40, 40))
    page = QTextDocument()
    page.setHtml(view.popup.body.text())
    cells = [line for line in page.toPlainText().splitlines() if line]  # one cell a line
    rows = [cells[i : i + 3] for i in range(0, 3 * TABLE_FIELDS, 3)]
    assert rows[0][:2] == ["gene_41", "112"] and rows[0][2].startswith("+")
    assert rows[1][:2] == ["gene_07", "95"] and rows[1][2].startswith("-")
    sds = [abs(float(row[2].split()[0])) for row in rows]
    assert sds == sorted(sds, reverse=True)
    assert cells[3 * TABLE_FIELDS :] == ["… 48 more columns, nearer their means"]


def test_a_document_preview_shows_its_first_lines_as_written(qtbot, shown, make_result, tmp_path):
    from PySide6.QtGui import QTextDocument

    path = tmp_path / "note.txt"
    path.write_text("The Earth's <shadow> & the Moon\n\nsecond line\n" + "more\n" * 20, encoding="utf-8")
    base = make_result(n=2, k=2)
    collection = Collection(items=[Item(id=i, path=path, modality="text") for i in range(2)])
    view = shown(dataclasses.replace(base, collection=collection, analysed=collection, modality="text"))
    with qtbot.waitSignal(view.previews.ready, timeout=5000):
        view.show_preview(0, QPoint(40, 40))
    view.show_preview(0, QPoint(40, 40))
    shown_text = QTextDocument()
    shown_text.setHtml(view.popup.body.text())
    lines = shown_text.toPlainText().splitlines()
    assert view.popup.body.textFormat() == Qt.TextFormat.RichText
    assert lines[:3] == ["The Earth's <shadow> & the Moon", "second line", "more"] and len(lines) == 6


def test_the_preview_keeps_dark_ink_on_its_light_paper_in_a_dark_theme(qtbot, shown, make_result):
    # The theme's white text vanished on the popup's near-white background.
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    original = QApplication.palette()
    dark = QPalette(original)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        dark.setColor(role, QColor("#e6e6e6"))
    QApplication.setPalette(dark)
    try:
        result = make_result(n=30, k=3)
        result.analysed.table_features = np.arange(30 * 3, dtype=float).reshape(30, 3)
        result.analysed.feature_names = ["alcohol", "hue", "proline"]
        view = shown(result)
        view.show_preview(4, QPoint(40, 40))
        qtbot.waitExposed(view.popup)
        image = view.popup.title.grab().toImage()
        darkest = min(
            image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height())
        )
        assert darkest < 80
    finally:
        QApplication.setPalette(original)
