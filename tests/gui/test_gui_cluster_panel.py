"""The cluster panel: real thumbnails off the GUI thread, placeholders that say why, names and hidden
clusters through the view state, member order, selection both ways, and a viewer per modality."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import QApplication

from engine.anomaly import Anomalies
from engine.items import Item
from engine.naming import ClusterName
from gui.thumbnails import Failed
from gui.views.cluster_panel import ClusterPanel
from gui.views.member_delegate import ROW_ROLE, play_button_rect, text_card
from tests.gui.conftest import show, table_result, with_items

COLOURS = [(230, 20, 20), (20, 200, 20), (20, 20, 230)]


def image_result(make_result, folder: Path, n: int = 30):
    """``n`` images coloured by cluster (red, green, blue); item 3 truncated, item 4 deleted after the run."""
    result = make_result(n=n, k=3)
    items = []
    for i in range(n):
        path = folder / f"img{i:03d}.png"
        Image.new("RGB", (160, 120), COLOURS[int(result.labels[i])]).save(path)
        items.append(Item(id=i, path=path, modality="image", label=None))
    items[3].path.write_bytes(items[3].path.read_bytes()[:200])
    items[4].path.unlink()
    return with_items(result, items, "image")


def wait_preview(qtbot, panel: ClusterPanel, row: int):
    panel.members.preview(row)  # asks for it
    qtbot.waitUntil(lambda: panel.members.preview(row) is not None, timeout=5000)
    return panel.members.preview(row)


def test_thumbnails_show_the_image_and_broken_files_say_why(qtbot, panel, tmp_path, make_result):
    state, widget = panel
    result = image_result(make_result, tmp_path)
    show(state, result)
    widget.choose([0])
    assert len(widget.members.rows) == 10
    red = wait_preview(qtbot, widget, 0)
    assert isinstance(red, QImage) and red.width() == 96 and red.height() == 72
    assert red.pixelColor(48, 36).getRgb()[:3] == COLOURS[0]
    truncated = wait_preview(qtbot, widget, 3)
    assert isinstance(truncated, Failed) and "truncated" in truncated.reason
    widget.choose([1])
    gone = wait_preview(qtbot, widget, 4)
    assert isinstance(gone, Failed) and "moved or deleted" in gone.reason
    green = wait_preview(qtbot, widget, 1)
    assert green.pixelColor(10, 10).getRgb()[:3] == COLOURS[1]
    grid = widget.members.grid
    centre = QPointF(grid.visualRect(widget.members.model.index(2)).center())
    with qtbot.waitSignal(widget.item_activated) as opened:  # the window opens the file
        click(grid, centre, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease)
        click(grid, centre, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseButtonRelease)
    assert opened.args == [int(widget.members.model.rows[2])]
    picture = widget.members.grid.grab().toImage()  # tiles painted: pictures and a pink placeholder
    colours = {
        picture.pixelColor(x, y).getRgb()[:3] for x in range(0, picture.width(), 3) for y in range(0, 300, 3)
    }
    assert COLOURS[1] in colours and (250, 232, 232) in colours


def test_renaming_and_hiding_go_through_the_view_state(qtbot, panel, make_result):
    state, widget = panel
    show(state, make_result(n=30, k=3))
    assert widget.clusters.rowCount() == 3
    assert [widget.clusters.item(r, 1).text() for r in range(3)] == ["10", "10", "10"]
    with qtbot.waitSignal(state.clusters_changed):
        widget.clusters.item(1, 0).setText("  the greens ")
    assert state.name_of(1) == "the greens"
    widget.choose([2])
    state.rename(2, "blues & <co>", source="map")
    assert widget.clusters.item(2, 0).text() == "blues & <co>"
    assert widget.members.title.text() == "<b>blues &amp; &lt;co&gt;</b>: 10 items"
    widget.clusters.item(1, 0).setText("")  # empty: back to the default name
    assert state.name_of(1) == "cluster 1" == widget.clusters.item(1, 0).text()

    widget.choose([1])
    swatch = widget.clusters.item(1, 0).icon().pixmap(12, 12, QIcon.Mode.Selected).toImage()
    assert swatch.pixelColor(6, 6).getRgb()[:3] == state.colour_of(1)  # the chosen row keeps its colour
    state.set_labels(np.arange(30) % 2, source="dendrogram")  # a moved cut: two clusters now
    assert widget.clusters.rowCount() == 2 and widget.members.rows.tolist() == list(range(1, 30, 2))

    with qtbot.waitSignal(state.hidden_changed):
        widget.clusters.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    assert state.hidden == {0}
    state.set_cluster_visible(1, False, source="map")
    assert widget.clusters.item(1, 0).checkState() == Qt.CheckState.Unchecked
    widget.clusters.item(0, 0).setCheckState(Qt.CheckState.Checked)
    assert state.hidden == {1}


def test_outlier_share_follows_the_threshold_and_silhouettes_show(panel, make_result):
    state, widget = panel
    result = make_result(n=30, k=3)
    scores = np.zeros(30)
    scores[[0, 3, 1]] = [5.0, 4.0, 3.0]  # items 0 and 3 are in cluster 0, item 1 in cluster 1
    result.anomaly = Anomalies("ecod", 0.1, scores, 3.5, scores > 3.5)
    show(state, result)
    assert widget.clusters.item(0, 2).text() == "20%" and widget.clusters.item(1, 2).text() == "0%"
    state.set_threshold(2.0)
    assert widget.clusters.item(1, 2).text() == "10%"
    assert float(widget.clusters.item(0, 3).text()) > 0.5  # well separated blobs


def test_members_order_by_typicality_or_by_outlier_score(panel, make_result):
    state, widget = panel
    result = make_result(n=30, k=3)
    members = np.flatnonzero(result.labels == 0)
    result.embeddings[members[7]] += 3.0  # the least typical
    others = np.delete(members, 4)
    result.embeddings[members[4]] = result.embeddings[others].mean(0)  # the most typical: the centre
    scores = np.arange(30, dtype=float)
    result.anomaly = Anomalies("ecod", 0.1, scores, 28.5, scores > 28.5)
    show(state, result)
    widget.choose([0])
    order = widget.members.model.rows.tolist()
    assert order[0] == members[4] and order[-1] == members[7] and sorted(order) == members.tolist()
    widget.members.order.setCurrentIndex(widget.members.order.findData("unusual"))
    assert widget.members.model.rows.tolist() == members[::-1].tolist()
    centres = np.stack([result.embeddings[result.labels == c].mean(0) for c in range(3)])
    edge = members[0]  # moved most of the way to cluster 1: the most borderline member of 0
    result.embeddings[edge] = 0.2 * centres[0] + 0.8 * centres[1]
    widget.members.order.setCurrentIndex(widget.members.order.findData("borderline"))
    order = widget.members.model.rows.tolist()
    assert order[0] == edge and sorted(order) == members.tolist()


def test_selection_goes_both_ways(qtbot, panel, make_result):
    state, widget = panel
    show(state, table_result(make_result))
    state.select([5, 9, 2], source="map")
    assert sorted(widget.members.model.rows.tolist()) == [2, 5, 9]
    assert "Selection" in widget.members.title.text()
    widget.choose([1])
    grid = widget.members.table  # table rows: the members are in the table view
    with qtbot.waitSignal(state.selection_changed) as changed:
        grid.selectRow(0)
    assert changed.args[1] is widget.members
    assert state.selected.tolist() == [int(widget.members.table_model.rows[0])]
    assert len(widget.members.table_model.rows) == 10  # the member list did not collapse to the selection


def test_a_searchs_selection_is_listed_best_match_first(panel, make_result):
    # Selections are kept sorted: a typed query's best document came wherever typicality put it.
    state, widget = panel
    show(state, make_result(n=30, k=3))
    members = widget.members
    state.select([17, 2, 25, 9], source="map", ranked=True)
    assert members.order.currentData() == "ranked" and members.ordered_rows().tolist() == [17, 2, 25, 9]
    assert [members.model.index(r).data(ROW_ROLE) for r in range(4)] == [17, 2, 25, 9]
    state.select([17, 2, 25, 9], source="map", ranked=True, search="the goalkeeper's penalty")
    assert members.delegate.keywords == ["goalkeeper", "penalty"]  # a typed query's words are marked
    state.select([17, 2, 25, 9], source="map")  # the same items, chosen by hand: no ranking
    ranked_entry = members.order.model().item(members.order.findData("ranked"))
    assert state.ranking is None and members.order.currentData() == "typical" and not ranked_entry.isEnabled()
    assert sorted(members.ordered_rows().tolist()) == [2, 9, 17, 25]


def test_series_draw_mini_plots_under_their_cluster_band(panel, make_result):
    state, widget = panel
    result = make_result(n=30, k=3)
    t = np.linspace(0, 2 * np.pi, 50)
    series = {i: np.sin(t * (1 + result.labels[i])) for i in range(30)}
    items = [dataclasses.replace(it, modality="timeseries") for it in result.analysed.items]
    show(state, with_items(result, items, "timeseries", series=series))
    widget.choose([0])
    assert widget.members.band.isVisible() and widget.members.band.count == 10
    assert np.allclose(widget.members.band.mean[[0, -1]], 0.0, atol=1e-9)
    assert blue_pixels(widget.members.grid.grab().toImage(), 180, 86) > 40  # the first tile's line
    assert blue_pixels(widget.members.band.grab().toImage(), 520, 70) > 200  # the mean line


def blue_pixels(picture: QImage, width: int, height: int) -> int:
    """How many pixels of the top-left ``width`` x ``height`` are the plots' blue."""
    return sum(
        1
        for x in range(width)
        for y in range(height)
        if (c := picture.pixelColor(x, y)).blue() > 150 and c.red() < 100
    )


def test_documents_show_their_title_and_highlight_keywords(qtbot, panel, tmp_path, make_result):
    state, widget = panel
    result = make_result(n=6, k=2)
    items = []
    for i in range(6):
        path = tmp_path / f"post{i}.txt"
        path.write_text(f"Post number {i}\nThe hockey team won the game on ice.\n")
        items.append(Item(id=i, path=path, modality="text"))
    items[2].path.write_bytes(bytes(range(256)) * 10)  # no longer decodes
    result.names = [ClusterName(0, "hockey, ice", ("hockey", "ice")), ClusterName(1, "other")]
    show(state, with_items(result, items, "text"))
    widget.choose([0])
    snippet = wait_preview(qtbot, widget, 0)
    assert snippet == ("Post number 0", "The hockey team won the game on ice.")
    assert widget.members.delegate.keywords == ["hockey", "ice"]
    broken = wait_preview(qtbot, widget, 2)
    assert isinstance(broken, Failed) and "binary" in broken.reason
    widget.members.grid.grab()  # paints both without error
    from gui.views.member_delegate import highlight

    assert highlight("Ice & hockey<", ["hockey", "ice"]).count("<b ") == 2
    assert "&amp;" in highlight("Ice & hockey<", ["hockey"]) and "&lt;" in highlight("x<", [])
    # A one-line document is all title: its keywords are marked there, and its file is named.
    card = text_card("post0.txt", ("Hockey on ice <fast>", ""), ["hockey"])
    assert card.count("<b style=") == 1 and "&lt;fast&gt;" in card and "· post0.txt" in card
    assert "binary" in text_card("post2.txt", broken, ["hockey"])


def test_a_real_text_run_marks_its_clusters_keywords_in_the_cards(panel, tmp_path, two_topic_texts):
    # The panel read keywords from a place naming stopped filling: no card was ever marked.
    result = two_topic_texts(tmp_path, per_topic=8)
    state, widget = panel
    show(state, result)
    for entry in result.names:
        widget.choose([entry.cluster])
        assert widget.members.delegate.keywords == list(entry.keywords) and entry.keywords


def test_audio_tiles_show_a_spectrogram_and_ask_to_play(qtbot, panel, tmp_path, make_result):
    import soundfile as sf

    state, widget = panel
    result = make_result(n=4, k=2)
    items = []
    for i in range(4):
        path = tmp_path / f"clip{i}.wav"
        sf.write(path, 0.3 * np.sin(2 * np.pi * (300 + 200 * i) * np.arange(8000) / 22050), 22050)
        items.append(Item(id=i, path=path, modality="audio"))
    show(state, with_items(result, items, "audio"))
    widget.choose([0])
    first = int(widget.members.model.rows[0])
    assert isinstance(wait_preview(qtbot, widget, first), QImage)
    grid = widget.members.grid
    cell = grid.visualRect(widget.members.model.index(0))
    centre = QPointF(play_button_rect(cell).center())
    with qtbot.waitSignal(widget.play_requested) as played:
        click(grid, centre, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease)
    assert played.args == [first]


def test_the_window_docks_the_panel_and_shares_its_selection(qtbot, make_result):
    from gui.main_window import MainWindow

    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    result = table_result(make_result)
    window._show_result(result)
    panel = window.cluster_panel
    assert window.clusters_dock.widget() is panel and panel.clusters.rowCount() == 3
    window.view_state.select([4, 7], source=window.scatter)
    assert sorted(panel.members.table_model.rows.tolist()) == [4, 7]
    panel.choose([2])
    assert window.view_state.focused == frozenset({2})  # the map brings the chosen cluster forward
    panel.members.table.selectRow(1)
    assert window.scatter.selected == [int(panel.members.table_model.rows[1])]
    assert window.view_state.focused == frozenset({2})  # picking one of its members keeps it
    window.view_state.select([0, 1], source=window.scatter)  # a map selection replaces the choice
    assert panel.chosen_clusters() == [] and window.view_state.focused == frozenset()
    panel.choose([1])
    window.view_state.select([], source=window.scatter)
    window.view_state.set_focused((), window.scatter)  # a click on the map's empty space
    assert panel.chosen_clusters() == [] and len(panel.members.table_model.rows) == 0
    window.scatter.legend.cluster_clicked.emit(2, False)  # a click on the map legend's name
    assert panel.chosen_clusters() == [2] and len(panel.members.table_model.rows) == 10
    window.worker.shutdown(timeout_ms=2000)


def click(view, at: QPointF, *kinds: QEvent.Type) -> None:
    """Left-button mouse events at ``at`` in ``view``'s viewport, as a user's click sends them."""
    for kind in kinds:
        buttons = (
            Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
        )
        event = QMouseEvent(
            kind,
            at,
            view.viewport().mapToGlobal(at),
            Qt.MouseButton.LeftButton,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        view.viewportEvent(event)


def test_a_document_card_is_readable_on_a_dark_theme(qapp):
    # Its text was a fixed dark grey and its marks white on yellow: both vanished in dark themes.
    from PySide6.QtGui import QTextDocument

    original = QApplication.palette()
    dark = QPalette(original)
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6e6"))
    QApplication.setPalette(dark)
    try:
        document = QTextDocument()
        document.setHtml(text_card("a.txt", ("A title", "Body words here, hockey here"), ["hockey"]))
        document.setTextWidth(400)
        image = QImage(420, 80, QImage.Format.Format_RGB32)
        image.fill(QColor("#1f1f1f"))
        painter = QPainter(image)
        document.drawContents(painter)
        painter.end()
    finally:
        QApplication.setPalette(original)
    line = int(document.documentLayout().blockBoundingRect(document.begin()).height() / 2)
    second = {(x, y): QColor(image.pixel(x, y)) for x in range(400) for y in range(line + 2, 2 * line)}
    grey_light = [c for c in second.values() if c.lightness() > 180 and abs(c.red() - c.blue()) < 30]
    assert grey_light  # the body's words are light on the dark base
    marked = [xy for xy, c in second.items() if c.red() > 200 and c.green() > 180 and c.blue() < 170]
    assert marked  # the keyword's yellow mark...
    left, right = min(x for x, _ in marked), max(x for x, _ in marked)
    top, bottom = min(y for _, y in marked), max(y for _, y in marked)
    box = [(x, y) for x in range(left, right + 1) for y in range(top, bottom + 1)]
    inside = [second[xy] for xy in box if xy in second]
    assert min(c.lightness() for c in inside) < 80  # ...carries dark ink, not the theme's white


def _whole_rows_in_view(widget: ClusterPanel) -> int:
    table = widget.clusters
    viewport = table.viewport().rect()
    cells = [table.visualRect(table.model().index(r, 0)) for r in range(table.rowCount())]
    return sum(viewport.contains(cell) for cell in cells)


def test_the_list_makes_room_for_up_to_eight_clusters_and_leaves_the_rest_to_members(panel, make_result):
    state, widget = panel
    show(state, make_result(n=80, k=6))
    assert _whole_rows_in_view(widget) == 6  # a fixed 140 px showed 4 of them
    show(state, make_result(n=80, k=40))
    listed, members = widget.splitter.sizes()
    assert 8 <= _whole_rows_in_view(widget) < 40
    assert listed <= 0.45 * (listed + members) + 1


def test_a_list_the_user_resized_keeps_its_height_while_the_clusters_are_the_same(panel, make_result):
    state, widget = panel
    show(state, make_result(n=60, k=3))
    widget.splitter.setSizes([300, sum(widget.splitter.sizes()) - 300])
    show(state, make_result(n=60, k=3, seed=1))
    assert widget.splitter.sizes()[0] == 300
