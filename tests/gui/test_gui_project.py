"""Projects in the window: save, open in a fresh window as it was (nothing read or embedded),
re-cluster from the stored vectors, the unsaved-changes question, the title and the recent list."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from engine import pipeline
from gui import project
from gui.main_window import MainWindow
from gui.recent import MAX_RECENT, RecentProjects


def _window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    return window


def _shown(qtbot, window: MainWindow, result: pipeline.Result) -> MainWindow:
    window.settings_panel.set_spec(result.spec)
    with qtbot.waitSignal(window.result_shown, timeout=5000):
        window.show_result(result, "shown")  # the views after the map fill in the next turns
    return window


def _open(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.project.opened, timeout=20000):
        assert window.project.open(path)


def _no_reading_or_embedding(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("a project must open without reading or embedding the input again")

    monkeypatch.setattr("engine.ingest.scan", refuse)
    monkeypatch.setattr("engine.embed.Embedder.embed", refuse)


def test_save_then_open_in_a_fresh_window_restores_everything(qtbot, tmp_path, blobs_result, monkeypatch):
    first = _shown(qtbot, _window(qtbot, tmp_path), blobs_result)
    state = first.view_state
    state.rename(0, "round ones")
    automatic = state.name_of(1)  # a name the window gave (from the features), not the user
    state.set_colour(1, (10, 200, 30))
    state.set_hidden([2])
    threshold = float(np.quantile(blobs_result.anomaly.scores, 0.8))
    state.set_threshold(threshold)
    state.select([1, 5, 7])
    first.cluster_panel.choose([0, 1])
    assert first.isWindowModified() and first.windowTitle().endswith("[*]")
    path = tmp_path / "work.dm6"
    first.project.save_to(path, wait=True)
    assert path.is_file() and not first.isWindowModified() and first.project.path == path
    assert first.windowTitle().startswith("work.dm6")

    _no_reading_or_embedding(monkeypatch)
    second = _window(qtbot, tmp_path)
    assert second.project.recent.paths() == [path.resolve()]
    _open(qtbot, second, path)
    # "Opening work.dm6…" used to stay in the status bar over "Opened work.dm6" for good.
    assert second.statusBar().currentMessage() == "" and "Opened work.dm6" in second.stage_label.text()
    result = second.result
    np.testing.assert_array_equal(result.labels, blobs_result.labels)
    np.testing.assert_allclose(result.coords, blobs_result.coords)
    shown = second.view_state
    assert shown.name_of(0) == "round ones" and shown.name_of(1) == automatic
    assert shown.colour_of(1) == (10, 200, 30) and shown.hidden == frozenset({2})
    assert shown.threshold == pytest.approx(threshold)
    assert shown.selected.tolist() == [1, 5, 7]
    assert shown.focused == {0, 1} and second.cluster_panel.chosen_clusters() == [0, 1]
    assert second.settings_panel.spec == blobs_result.spec and second.settings_panel.k.value() == 3
    assert second.scatter.point_count() == len(blobs_result.labels)
    assert not second.isWindowModified() and second.windowTitle().startswith("work.dm6")

    # Changing k re-clusters from the stored vectors (reading and embedding still refused).
    with qtbot.waitSignal(second.result_shown, timeout=20000) as rerun:
        second.settings_panel.edit(k=2)
    assert rerun.args[0].n_clusters == 2
    np.testing.assert_allclose(rerun.args[0].embeddings, blobs_result.embeddings)
    assert second.isWindowModified()


def test_unsaved_question_after_a_change_and_not_after_saving(qtbot, tmp_path, blobs_result, monkeypatch):
    asked: list[str] = []
    answers: list[QMessageBox.StandardButton] = []

    def answer(_window: object, name: str) -> QMessageBox.StandardButton:
        asked.append(name)
        return answers.pop(0)

    monkeypatch.setattr(project, "ask_unsaved", answer)
    window = _shown(qtbot, _window(qtbot, tmp_path), blobs_result)
    window.show()
    assert window.project.dirty  # a fresh analysis is not saved anywhere yet
    window.project.save_to(tmp_path / "a.dm6", wait=True)
    assert window.project.maybe_save() and asked == []  # nothing changed since saving: no question

    window.view_state.rename(2, "third")
    answers.append(QMessageBox.StandardButton.Cancel)
    window.close()
    assert asked == ["a.dm6"] and window.isVisible() and window.project.dirty  # Cancel: nothing lost
    answers.append(QMessageBox.StandardButton.Save)
    window.close()
    assert len(asked) == 2 and not window.isVisible() and not window.project.dirty

    reopened = _window(qtbot, tmp_path)
    _open(qtbot, reopened, tmp_path / "a.dm6")
    assert reopened.view_state.name_of(2) == "third"


def test_a_damaged_project_gives_a_message(qtbot, tmp_path, monkeypatch):
    window = _window(qtbot, tmp_path)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    bad = tmp_path / "bad.dm6"
    bad.write_bytes(b"not a zip file")
    window.project.open(bad)
    qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    assert window.result is None and not window.project.recent.paths()


def test_recent_projects_newest_first_capped_and_missing_greyed(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    recent = window.project.recent
    files = []
    for i in range(MAX_RECENT + 2):
        files.append(tmp_path / f"p{i}.dm6")
        files[-1].write_bytes(b"x")
        recent.add(files[-1])
    recent.add(files[3])
    paths = RecentProjects(window.settings).paths()
    assert len(paths) == MAX_RECENT and paths[0] == files[3].resolve() and paths[1] == files[-1].resolve()
    files[-1].unlink()
    window.project.recent_menu.aboutToShow.emit()
    actions = {a.text(): a for a in window.project.recent_menu.actions() if a.text()}
    missing = [a for t, a in actions.items() if "(missing)" in t]
    assert (
        len(missing) == 1 and not missing[0].isEnabled() and Path(missing[0].toolTip()) == files[-1].resolve()
    )
    actions["Remove missing"].trigger()
    assert files[-1].resolve() not in recent.paths() and len(recent.paths()) == MAX_RECENT - 1


@pytest.mark.slow  # a whole app start in a subprocess: about 8 s here
def test_main_py_opens_a_project_file_from_the_command_line(tmp_path):
    """``python main.py FILE.dm6`` opens the project (here headless: its summary, then exit)."""
    repo = Path(__file__).resolve().parents[2]
    fixture = repo / "tests" / "fixtures" / "projects" / "demo-tables-v1.dm6"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    command = [sys.executable, str(repo / "main.py"), str(fixture)]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"DataMining6: \d+ table items in \d+ clusters", done.stdout), done.stdout
