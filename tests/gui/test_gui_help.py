"""Help menu: About names the version, licences and where files live; shortcuts come from the actions."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QTableWidget

from gui.help_dialogs import about_html, shortcuts, show_about, show_shortcuts, version
from gui.main_window import MainWindow


def test_about_names_version_licences_and_places(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(tmp_path / "cache"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    text = about_html(settings)
    assert version() != "not installed" and version() in text
    for expected in ("all-MiniLM-L6-v2", "Apache-2.0", "EfficientNet-Lite0", "none declared", "LGPL-3.0"):
        assert expected in text
    assert str(tmp_path / "cache") in text and settings.fileName() in text
    dialog = show_about(window, settings)
    assert any("Where files are kept" in label.text() for label in dialog.findChildren(QLabel))


def test_shortcut_list_is_read_from_the_actions(qtbot):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    listed = dict(shortcuts(window))
    native = QKeySequence.SequenceFormat.NativeText
    assert listed["Open project…"] == QKeySequence("Ctrl+O").toString(native)
    assert listed["Save"] == QKeySequence("Ctrl+S").toString(native)
    assert listed["Save as…"] == QKeySequence("Ctrl+Shift+S").toString(native)
    assert listed["Assignments as CSV…"] == QKeySequence("Ctrl+E").toString(native)
    assert listed["Cancel or clear selection"] == QKeySequence("Esc").toString(native)
    assert (
        listed["Zoom to selection (map)"] == "Z" and listed["Run again with the current settings"] == "Enter"
    )
    assert "Open folder…" in listed and "Keyboard shortcuts" in listed
    # A shortcut added later shows up: the list is never a stale copy.
    window.addAction(QAction("Zoom to fit", window, shortcut="Ctrl+0"))
    dialog = show_shortcuts(window)
    table = dialog.findChildren(QTableWidget)[0]
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Zoom to fit"] == QKeySequence("Ctrl+0").toString(native)
    assert len(set(listed.values())) == len(listed)  # no two entries share keys


def test_the_quick_guide_names_only_what_the_window_has(qtbot):
    # Every name in italics must be a menu, menu entry, button, panel or setting of the window, so
    # that a renamed control cannot leave the guide pointing at nothing.
    import re

    from PySide6.QtWidgets import QAbstractButton, QComboBox, QDockWidget, QMenu, QTextBrowser

    from gui.help_dialogs import GUIDE, _plain, show_guide

    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    assert window.item.view  # the clip player is built on first need
    names = set()
    names |= {_plain(a.text()) for a in window.findChildren(QAction)}
    names |= {_plain(m.title()) for m in window.findChildren(QMenu)}
    names |= {_plain(b.text()) for b in window.findChildren(QAbstractButton)}
    names |= {
        re.sub(r" \(\d+\)$", "", d.windowTitle()) for d in window.findChildren(QDockWidget)
    }  # "Problems (0)"
    names |= {label.text() for label in window.settings_panel.findChildren(QLabel)}
    names |= {box.itemText(i) for box in window.findChildren(QComboBox) for i in range(box.count())}
    mentioned = [" ".join(m.split()) for m in re.findall(r"<i>(.*?)</i>", GUIDE, flags=re.S)]
    assert len(mentioned) >= 15
    assert [m for m in mentioned if m not in names] == []
    assert "Lasso" in mentioned and "Play cluster" in mentioned and "Compare embedders…" in mentioned
    guide_action = next(a for a in window.findChildren(QAction) if _plain(a.text()) == "Quick guide")
    assert guide_action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    dialog = show_guide(window)
    assert "How many clusters" in dialog.findChildren(QTextBrowser)[0].toPlainText()
