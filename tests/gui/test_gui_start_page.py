"""The start page: an empty window offers recent projects, inputs analysed before and the demo."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSettings

from gui.main_window import MainWindow
from gui.opening import demo_folder
from tests.gui.test_gui_window import FakeEngine


@pytest.fixture
def open_window(qtbot, tmp_path, make_result, fake_k_curve):
    """``open_window()``: a new window over the same settings file, as on the next launch."""
    engine = FakeEngine(make_result, fake_k_curve)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def make() -> MainWindow:
        window = MainWindow(settings=settings, run_fn=engine)
        qtbot.addWidget(window)
        return window

    return make


def links(window: MainWindow) -> dict[str, str]:
    """Link text -> href on the start page."""
    return {
        text: href for href, text in re.findall(r"<a href='([^']+)'>([^<]+)</a>", window.drop_hint.text())
    }


def test_the_next_launch_offers_what_was_analysed_and_saved_and_opens_it(qtbot, tmp_path, open_window):
    folder = tmp_path / "in"
    folder.mkdir()
    first = open_window()
    assert set(links(first)) == {"Open the demo data"}  # nothing done yet
    with qtbot.waitSignal(first.result_shown, timeout=5000):
        first.open_paths([folder])
    demo = first.result
    demo.spec = demo.spec.replace(paths=(str(demo_folder()),))
    first.remember_input(demo)  # the demo has its own link, not a recent entry
    saved, gone = tmp_path / "work.dm6", tmp_path / "gone.dm6"
    saved.write_bytes(b"a project")
    for path in (gone, saved):
        first.project.recent.add(path)
    gone.unlink(missing_ok=True)

    second = open_window()
    offered = links(second)
    assert set(offered) == {"work.dm6", "in", "Open the demo data"}  # a vanished project is not offered
    page = second.drop_hint.text()
    assert "Recent projects" in page and "Analyse again" in page and "150 table items" in page
    with qtbot.waitSignal(second.result_shown, timeout=5000):
        second.drop_hint.linkActivated.emit(offered["in"])
    assert second.settings_panel.spec.paths == (str(folder.resolve()),)
    assert [r.paths for r in second.recent_inputs.inputs()] == [(folder.resolve(),)]  # once, not twice

    opened: list = []
    second.project.open = opened.append
    second.open_paths = opened.append
    second.drop_hint.linkActivated.emit(offered["work.dm6"])
    second.drop_hint.linkActivated.emit(offered["Open the demo data"])
    assert opened == [saved.resolve(), [demo_folder()]]


def test_an_input_that_gave_nothing_says_why_above_the_links_and_is_not_remembered(
    qtbot, tmp_path, open_window
):
    window = open_window()
    empty = tmp_path / "nothing here"
    empty.mkdir()
    with qtbot.waitSignal(window.worker.failed, timeout=5000):
        window.open_paths([empty])
    qtbot.waitUntil(lambda: "No usable items" in window.drop_hint.text())
    assert "Open the demo data" in links(window)
    assert window.recent_inputs.inputs() == [] and "nothing here" not in links(open_window())


def test_recent_lists_keep_names_that_are_not_utf8_and_read_plain_entries(tmp_path):
    import os

    from gui.recent import RecentInputs, RecentProjects

    odd = tmp_path / os.fsdecode(b"caf\xe9")  # a Latin-1 folder name on a UTF-8 system
    ini = str(tmp_path / "settings.ini")
    settings = QSettings(ini, QSettings.Format.IniFormat)
    settings.setValue("projects/recent", [str(tmp_path / "old.dm6")])  # as earlier versions wrote it
    RecentProjects(settings).add(odd / "work.dm6")
    RecentInputs(settings).add([odd], "3 image items")
    settings.sync()
    again = QSettings(ini, QSettings.Format.IniFormat)
    assert RecentProjects(again).paths() == [odd / "work.dm6", tmp_path / "old.dm6"]
    assert [(r.paths, r.about) for r in RecentInputs(again).inputs()] == [((odd,), "3 image items")]
