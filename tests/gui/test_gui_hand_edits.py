"""Hand edits in the window: the cluster list's menu merges clusters and moves the selection; the
engine re-scores and re-names; names the user gave follow; undo, a new map and another k behave."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint

from gui.main_window import MainWindow
from tests.gui.test_gui_end_to_end import write_blobs


@pytest.fixture
def window(qtbot, tmp_path, drop):
    win = MainWindow(settings=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    folder = tmp_path / "blobs"
    folder.mkdir()
    write_blobs(folder / "blobs.csv", 120)
    with qtbot.waitSignal(win.result_shown, timeout=60_000):
        drop(win, folder)
        win.settings_panel.edit(k=3)
    yield win
    win.close()


def menu_texts(window: MainWindow, row: int) -> dict[str, object]:
    """The cluster list's right-click menu over ``row``, by action text."""
    table = window.cluster_panel.clusters
    menu = window.cluster_panel.edit_menu(QPoint(5, table.rowViewportPosition(row) + 2))
    return {action.text(): action for action in menu.actions() if action.text()}


def run_action(qtbot, window: MainWindow, actions: dict, text: str):
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        actions[text].trigger()
    return shown.args[0]


def test_merge_then_undo(qtbot, window):
    first = window.result
    state = window.view_state
    assert first.n_clusters == 3
    state.rename(1, "my favourites")
    window.cluster_panel.choose([0, 1])
    merged = run_action(qtbot, window, menu_texts(window, 0), "Merge the 2 chosen clusters")
    assert merged.n_clusters == 2 and merged.metrics["n_clusters"] == 2
    assert set(merged.timings) <= {"metrics", "name"}
    assert len(window.scatter.legend_entries()) == 2 and window.cluster_panel.clusters.rowCount() == 2
    assert window.cluster_panel.chosen_clusters() == []  # ids 0 and 1 now name other clusters
    assert "Clusters edited by hand: 1 merge" in window.metrics.toPlainText()
    together = np.isin(first.labels, [0, 1])
    assert len(set(state.labels[together].tolist())) == 1
    assert state.name_of(int(state.labels[together][0])) == "my favourites"  # a part's name stays
    # the settings hold the edit, so nothing is "not run yet", and a project would keep it
    assert window.settings_panel.spec.edits == merged.spec.edits and not window.pending_label.isVisible()

    undone = run_action(qtbot, window, menu_texts(window, 0), "Undo the last hand edit")
    assert undone.n_clusters == 3 and undone.spec.edits == ()
    np.testing.assert_array_equal(undone.labels, first.labels)
    assert state.name_of(1) == "my favourites"


def test_the_selection_becomes_a_new_cluster_or_joins_the_one_under_the_mouse(qtbot, window):
    first = window.result
    state = window.view_state
    rows = np.flatnonzero(first.labels == 2)[:6]
    state.select(rows)
    actions = menu_texts(window, 0)
    split = run_action(qtbot, window, actions, "Make the 6 selected items a new cluster")
    assert split.n_clusters == 4 and len(set(split.labels[rows].tolist())) == 1
    assert np.count_nonzero(split.labels == split.labels[rows[0]]) == 6
    state.select(rows)
    target = int(split.labels[np.flatnonzero(first.labels == 0)[0]])
    position = [s.cluster for s in window.cluster_panel.summaries].index(target)
    name = state.name_of(target)
    moved = run_action(qtbot, window, menu_texts(window, position), f"Move the 6 selected items to “{name}”")
    assert moved.n_clusters == 3
    assert set(moved.labels[rows].tolist()) == {int(moved.labels[np.flatnonzero(first.labels == 0)[0]])}


def test_a_new_map_keeps_the_edits_and_another_k_drops_them(qtbot, window):
    window.cluster_panel.choose([0, 2])
    merged = run_action(qtbot, window, menu_texts(window, 0), "Merge the 2 chosen clusters")
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        window.settings_panel.edit(layout="tsne")
    np.testing.assert_array_equal(shown.args[0].labels, merged.labels)
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        window.settings_panel.edit(k=4)
    assert shown.args[0].n_clusters == 4 and shown.args[0].spec.edits == ()
    assert not [t for t in menu_texts(window, 0) if t.startswith("Undo")]


def test_the_maps_right_click_moves_the_selection_to_the_clicked_points_cluster(qtbot, window):
    first = window.result
    state = window.view_state
    rows = np.flatnonzero(first.labels == 1)[:4]
    state.select(rows)
    target = int(np.flatnonzero(first.labels == 2)[0])
    menu = window.scatter.context_menu(target)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert "More like this (20 closest)" in actions  # the point's own actions stay first
    name = state.name_of(2)
    moved = run_action(qtbot, window, actions, f"Move the 4 selected items to “{name}”")
    assert set(moved.labels[rows].tolist()) == {int(moved.labels[target])}
    assert np.count_nonzero(moved.labels == moved.labels[target]) == np.count_nonzero(first.labels == 2) + 4


def test_a_saved_project_reopens_with_its_edits_and_can_still_undo_them(qtbot, window, tmp_path):
    first = window.result
    window.cluster_panel.choose([1, 2])
    merged = run_action(qtbot, window, menu_texts(window, 0), "Merge the 2 chosen clusters")
    assert window.isWindowModified()
    path = tmp_path / "edited.dm6"
    window.project.save_to(path, wait=True)

    second = MainWindow(settings=None)
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.project.opened, timeout=20_000):
        assert second.project.open(path)
    np.testing.assert_array_equal(second.result.labels, merged.labels)
    assert second.settings_panel.spec.edits == merged.spec.edits
    undone = run_action(qtbot, second, menu_texts(second, 0), "Undo the last hand edit")
    np.testing.assert_array_equal(undone.labels, first.labels)
    second.close()


def test_noise_is_never_offered_for_a_merge(qtbot, make_result):
    from PySide6.QtWidgets import QMenu

    from gui import hand_edits
    from gui.view_state import ViewState

    state = ViewState()
    state.reset_for(make_result(n=60, k=3, noise=6))
    menu = QMenu()
    hand_edits.fill_menu(menu, state, [-1, 0], None, lambda _edits: None)
    assert [a.text() for a in menu.actions()] == []
    hand_edits.fill_menu(menu, state, [0, 2], None, lambda _edits: None)
    assert [a.text() for a in menu.actions()] == ["Merge the 2 chosen clusters"]
