"""The Export menu writes what it says, where the user says, and never touches the analysed files."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from engine import pipeline
from engine.pipeline import Spec
from gui.main_window import MainWindow


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> pipeline.Result:
    """A real result over 30 small text files in three sub-folders (so each item is one file)."""
    folder = tmp_path_factory.mktemp("docs")
    words = {
        "cats": "cat kitten whiskers purr",
        "cars": "engine wheel brake gear",
        "rain": "cloud storm wet drizzle",
    }
    for topic, text in words.items():
        (folder / topic).mkdir()
        for i in range(10):
            (folder / topic / f"{topic}{i}.txt").write_text(f"{text} {text} note {i}\n", encoding="utf-8")
    return pipeline.run(Spec(paths=(str(folder),), embedder="text-tfidf", k=3))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def window(qtbot, analysed) -> MainWindow:
    win = MainWindow(settings=None)
    qtbot.addWidget(win)
    win.settings_panel.set_spec(analysed.spec)
    with qtbot.waitSignal(win.result_shown, timeout=5000):
        win.show_result(analysed, "shown")
    return win


def _export(qtbot, window: MainWindow, start) -> str:
    with qtbot.waitSignal(window.exports.finished, timeout=20000) as ended:
        start()
    message, error = ended.args
    assert error == ""
    return message


def test_assignments_csv_all_items_or_only_the_selection(qtbot, tmp_path, window, analysed):
    window.view_state.rename(1, "second")
    everything = tmp_path / "all.csv"
    _export(qtbot, window, lambda: window.exports.assignments(everything))
    rows = list(csv.DictReader(everything.open(encoding="utf-8-sig")))
    assert len(rows) == len(analysed.analysed.items)
    assert {r["cluster_name"] for r in rows if r["cluster"] == "1"} == {"second"}
    assert {r["known_label"] for r in rows} == {"cats", "cars", "rain"}

    window.view_state.select([2, 11, 25])
    window.exports.selection_only.setChecked(True)
    chosen = tmp_path / "selection.csv"
    message = _export(qtbot, window, lambda: window.exports.assignments(chosen))
    rows = list(csv.DictReader(chosen.open(encoding="utf-8-sig")))
    paths = [str(analysed.analysed.items[i].path) for i in (2, 11, 25)]
    assert [r["path"] for r in rows] == paths and "3 items" in message


def test_cluster_files_copied_or_linked_and_the_input_untouched(qtbot, tmp_path, window, analysed):
    source = Path(analysed.spec.paths[0])
    before = _digest(source)
    window.view_state.rename(0, "first: group")
    out = tmp_path / "out"
    message = _export(qtbot, window, lambda: window.exports.cluster_files(out))
    assert message.startswith("Copied 30 files")
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 3 and "first_ group" in folders  # named after the clusters, made safe
    sizes = {name: len(list((out / name).iterdir())) for name in folders}
    counts = np.bincount(analysed.labels)
    assert sorted(sizes.values()) == sorted(counts.tolist())

    window.exports.link_files.setChecked(True)
    linked = tmp_path / "linked"
    assert _export(qtbot, window, lambda: window.exports.cluster_files(linked)).startswith("Linked 30 files")
    assert all(p.is_symlink() for p in linked.rglob("*.txt"))
    assert _digest(source) == before  # nothing written into, moved from or changed in the input


def test_exporting_into_the_input_folder_is_refused(qtbot, window, analysed, monkeypatch):
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    source = Path(analysed.spec.paths[0])
    before = _digest(source)
    assert window.exports.cluster_files(source / "cats") == 0
    assert warnings and _digest(source) == before


def test_report_is_written_then_offered_to_open(qtbot, tmp_path, window, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    report = tmp_path / "report.html"
    _export(qtbot, window, lambda: window.exports.report(report))
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<img" in page
    assert opened == [str(report)]
