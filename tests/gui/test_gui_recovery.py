"""Unsaved work survives a crash: snapshots while unsaved, offered back by the next window, removed
when saved, discarded or closed."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from engine import pipeline
from gui import recovery
from gui.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(recovery, "AUTOSAVE_MS", 50)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def make() -> MainWindow:
        made = MainWindow(settings=settings)
        qtbot.addWidget(made)
        return made

    return make


def _shown_and_renamed(qtbot, window: MainWindow, result: pipeline.Result) -> MainWindow:
    window.settings_panel.set_spec(result.spec)
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.show_result(result, "shown")
    window.view_state.rename(0, "round ones")
    snapshot = window.recovery.path
    qtbot.waitUntil(lambda: snapshot.is_file() and snapshot.with_suffix(".json").is_file(), timeout=10000)
    return window


def test_a_crashed_windows_unsaved_work_is_offered_back_and_restored(qtbot, window, blobs_result, tmp_path):
    first = _shown_and_renamed(qtbot, window(), blobs_result)
    assert first.recovery.folder == tmp_path / "recovery"
    about = json.loads(first.recovery.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert about["project"] is None and about["name"] == blobs_result.spec.paths[0].rsplit("/", 1)[-1]
    second = window()
    assert second.recovery.left_behind() == []  # the first window runs: its snapshot is its own
    first.recovery._lock.unlock()  # the first window dies: its lock is free, its snapshot stays

    ((snapshot, _),) = second.recovery.left_behind()
    assert snapshot == first.recovery.path
    box = second.recovery.offer()
    assert box is not None and "closed without saving your work on" in box.text()
    with qtbot.waitSignal(second.project.opened, timeout=20000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert second.view_state.name_of(0) == "round ones"
    assert len(second.result.analysed.items) == 60
    assert second.project.dirty and second.project.path is None and second.isWindowModified()
    assert "Restored the unsaved work" in second.statusBar().currentMessage()
    assert second.project.recent.paths() == []  # the snapshot is no project of the user's
    assert not snapshot.exists() and second.recovery.left_behind() == []
    second.close()  # a normal close leaves nothing behind, the restored copy included
    assert not any((tmp_path / "recovery").glob("*.dm6"))


def test_saving_or_discarding_removes_the_snapshot(qtbot, window, blobs_result, tmp_path):
    first = _shown_and_renamed(qtbot, window(), blobs_result)
    snapshot = first.recovery.path
    first.project.save_to(tmp_path / "work.dm6", wait=True)
    qtbot.waitUntil(lambda: not snapshot.exists() and not snapshot.with_suffix(".json").exists())

    # A snapshot the user declines is deleted.
    other = _shown_and_renamed(qtbot, window(), blobs_result)
    other.recovery._lock.unlock()
    third = window()
    box = third.recovery.offer()
    box.button(QMessageBox.StandardButton.Discard).click()
    assert not other.recovery.path.exists() and third.recovery.left_behind() == []


def test_without_settings_nothing_is_kept_and_a_window_without_changes_leaves_no_file(
    qtbot, window, tmp_path
):
    bare = MainWindow(settings=None)
    qtbot.addWidget(bare)
    assert bare.recovery.folder is None and bare.recovery.offer() is None
    window()  # a window that never had unsaved work (a headless run, say) writes nothing
    assert not (tmp_path / "recovery").exists()


def test_a_restored_copy_lives_as_long_as_its_window(qtbot, window, blobs_result):
    live = _shown_and_renamed(qtbot, window(), blobs_result)  # it holds its lock from its first snapshot
    folder = live.recovery.folder
    mine = folder / f"restored-{live.recovery.id}.dm6"
    orphan = folder / "restored-0123456789ab.dm6"  # its window crashed: no lock holds it
    mine.write_bytes(b"x")
    orphan.write_bytes(b"x")
    assert window().recovery.left_behind() == []
    assert mine.exists() and not orphan.exists()


def test_a_snapshot_that_cannot_be_written_says_so(qtbot, window, blobs_result, monkeypatch):
    def full(*_args):
        raise OSError("No space left on device")

    monkeypatch.setattr(recovery.store, "save", full)
    shown = window()
    shown.settings_panel.set_spec(blobs_result.spec)
    with qtbot.waitSignal(shown.result_shown, timeout=5000):
        shown.show_result(blobs_result, "shown")
    qtbot.waitUntil(lambda: "Could not keep a recovery copy" in shown.statusBar().currentMessage())
    assert "No space left on device" in shown.statusBar().currentMessage()
