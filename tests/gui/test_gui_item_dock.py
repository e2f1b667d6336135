"""The window's Item dock: selecting in the map shows the item; a playing cluster moves the selection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from engine.items import Collection, Item
from gui.main_window import MainWindow
from gui.views.spectrogram import NOTHING_SHOWN


@pytest.fixture
def window(qtbot):
    win = MainWindow(settings=None, run_fn=lambda *args, **kwargs: None)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.item.shutdown()


def with_items(result, modality: str, items: list[Item], series: dict | None = None):
    collection = Collection(items=items, series=series or {})
    return dataclasses.replace(result, modality=modality, collection=collection, analysed=collection)


def show_six_tones(window: MainWindow, make_result, tmp_path: Path, write_tone):
    """Six short tones in two clusters (labels 0 1 0 1 0 1), shown in the window."""
    result = make_result(n=6, k=2)
    items = [Item(i, write_tone(tmp_path / f"{i}.wav", 0.2, 200 + 50 * i), "audio") for i in range(6)]
    window._show_result(with_items(result, "audio", items))
    return result, items


def test_selecting_a_clip_shows_it_and_play_cluster_moves_the_selection(
    qtbot, window: MainWindow, make_result, tmp_path: Path, write_tone
) -> None:
    result, items = show_six_tones(window, make_result, tmp_path, write_tone)
    assert window.item.dock.isVisibleTo(window)
    view = window.item.view
    with qtbot.waitSignal(view.ready, timeout=5000):
        window.view_state.select([2])
    assert view.path == items[2].path and view.clip is not None
    if not view.player.available():
        pytest.skip(view.player.reason)
    followed: list[list[int]] = []
    window.view_state.selection_changed.connect(lambda rows, _source: followed.append(list(rows)))
    with qtbot.waitSignal(view.player.finished, timeout=5000):
        view.bar.cluster_button.click()
    assert followed == [[4]]  # cluster 0 from the shown clip (2, selected already) on: then 4
    assert window.scatter.selected == [4]


def test_selecting_a_series_shows_it_over_its_cluster_band(qtbot, window: MainWindow, make_result) -> None:
    result = make_result(n=4, k=2)  # labels 0 1 0 1
    items = [Item(i, Path("/data/s.csv"), "timeseries", row=i) for i in range(4)]
    series = {i: np.linspace(0, i + 1, 20) for i in range(4)}
    window._show_result(with_items(result, "timeseries", items, series))
    with qtbot.waitSignal(window.item.view.ready, timeout=1000):
        window.view_state.select([2])
    plot = window.item.view.series.getPlotItem()
    np.testing.assert_allclose(plot.listDataItems()[-1].getData()[1], series[2])
    np.testing.assert_allclose(plot.listDataItems()[-2].getData()[1], np.linspace(0, 2, 20))  # mean of 0, 2
    assert "s.csv[2] (cluster 0, 2 series)" in plot.titleLabel.text
    window.view_state.select([])  # a cluster chosen in the list shows its most typical series
    with qtbot.waitSignal(window.item.view.ready, timeout=1000):
        window.cluster_panel.choose([1])
    assert "(cluster 1, 2 series)" in plot.titleLabel.text


def test_tables_get_no_item_dock(window: MainWindow, make_result) -> None:
    window._show_result(make_result(n=6, k=2))
    window.view_state.select([1])
    assert not window.item.dock.isVisibleTo(window)
    assert window.item._view is None  # not even built


def test_the_dock_comes_forward_when_it_appears_then_keeps_the_users_tab_and_height(
    qtbot, window: MainWindow, make_result
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    window.resize(1400, 880)
    items = [Item(i, Path("/data/s.csv"), "timeseries", row=i) for i in range(40)]
    series = {i: np.sin(np.linspace(0, 1 + i % 2, 30)) for i in range(40)}
    dock, silhouettes = window.item.dock, window.analysis.silhouette_dock
    window._show_result(with_items(make_result(n=40, k=2), "timeseries", items, series))
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    silhouettes.raise_()  # the user reads the silhouettes, makes the docks small, and tries k = 3
    window.resizeDocks([silhouettes], [120], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: silhouettes.height() < 140)
    window._show_result(with_items(make_result(n=40, k=3), "timeseries", items, series))
    QApplication.processEvents()
    assert dock.visibleRegion().isEmpty() and not silhouettes.visibleRegion().isEmpty()
    assert silhouettes.height() < 140
    window._show_result(make_result(n=40, k=2))  # a table: no Item dock ...
    window._show_result(with_items(make_result(n=40, k=2), "timeseries", items, series))
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())  # ... and back it comes forward


def test_a_cluster_chosen_in_the_list_plays_from_its_most_typical_clip_and_stays_chosen(
    qtbot, window: MainWindow, make_result, tmp_path: Path, write_tone
) -> None:
    # Choosing a cluster left the player empty: Play cluster needed an item selected on the map.
    from engine.members import typicality_order

    result, items = show_six_tones(window, make_result, tmp_path, write_tone)
    view = window.item.view
    typical = typicality_order(result.embeddings, np.array([1, 3, 5]))
    with qtbot.waitSignal(view.ready, timeout=5000):
        window.cluster_panel.choose([1])
    assert view.path == items[int(typical[0])].path
    assert [i for i, _ in view._cluster] == typical.tolist()  # what Play cluster goes through
    if not view.player.available():
        pytest.skip(view.player.reason)
    with qtbot.waitSignal(view.player.finished, timeout=5000):
        view.bar.cluster_button.click()
    assert window.scatter.selected == [int(typical[-1])]  # the map followed the playing clips ...
    assert window.cluster_panel.chosen_clusters() == [1]  # ... and the cluster stayed chosen
    assert window.view_state.focused == frozenset({1})
    assert sorted(window.cluster_panel.members.rows.tolist()) == [1, 3, 5]
    window.view_state.select([])
    window.view_state.set_focused([])
    assert view.path is None and view.hint.text() == NOTHING_SHOWN  # nothing chosen, nothing shown
