"""Start-up: the first-start demo, settings isolation, and a window that opens without heavy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from gui import app as gui_app

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """A fresh settings file, so tests never read or write the user's own settings."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def demo(tmp_path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "blobs.csv").write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    return folder


def test_demo_folder_is_the_bundled_one():
    assert gui_app.demo_folder() == REPO / "resources" / "demo"


def test_first_start_opens_the_demo_once(qtbot, settings, demo):
    window = gui_app.start([], settings=settings, demo=demo)
    qtbot.addWidget(window)
    assert window.isVisible()
    qtbot.waitUntil(lambda: window.settings_panel.spec.paths == (str(demo),), timeout=3000)
    assert settings.value(gui_app.DEMO_SHOWN_KEY, False, type=bool) is True
    assert window.worker.running or window.stage_label.text() != "Ready"

    second = gui_app.start([], settings=settings, demo=demo)
    qtbot.addWidget(second)
    qtbot.wait(50)  # the demo would be opened by a zero-delay timer; give it the chance
    assert second.settings_panel.spec.paths == ()
    window.close()  # stops the demo run now rather than at garbage collection
    second.close()


def test_missing_demo_leaves_the_first_start_for_later(qtbot, settings, tmp_path):
    window = gui_app.start([], settings=settings, demo=tmp_path / "absent")
    qtbot.addWidget(window)
    assert not gui_app.open_demo_once(window, settings, tmp_path / "absent")
    assert settings.value(gui_app.DEMO_SHOWN_KEY, False, type=bool) is False
    assert window.settings_panel.spec.paths == ()


def test_application_is_named_for_qsettings(qapp):
    gui_app.application([])
    assert qapp.organizationName() == "DataMining6" and qapp.applicationName() == "DataMining6"


def test_window_opens_without_heavy_imports():
    code = (
        "import os, sys, time; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; t = time.perf_counter()\n"
        "import gui.app, gui.main_window, gui.worker\n"
        "from PySide6.QtCore import QSettings\n"
        "app = gui.app.application([])\n"
        "w = gui.main_window.MainWindow(); w.show(); app.processEvents()\n"
        "print(time.perf_counter() - t)\n"
        "print(','.join(m for m in ('torch', 'sklearn', 'scipy', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    heavy = lines[-1]
    assert heavy == "", f"imported at start-up: {heavy}"
    # How fast the window opens is measured by tests/benchmarks/bench_startup.py, not asserted here:
    # a timed unit test fails whenever the machine is busy.


def test_main_runs_until_the_window_closes(qapp, settings):
    from PySide6.QtCore import QTimer

    settings.setValue(gui_app.DEMO_SHOWN_KEY, True)  # not the first start: nothing is opened
    QTimer.singleShot(200, qapp.closeAllWindows)
    assert gui_app.main(["datamining6"], settings=settings) == 0
    assert settings.value("window/geometry") is not None  # the layout was saved on close


def test_qt_calls_do_not_use_up_none_or_true():
    """PySide6 6.12.0 on Python 3.11 frees None/True after a few hundred repaints: pyproject pins it out."""
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import gui\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "class P(QObject):\n    ping = Signal()\n"
        "p = P()\n"
        "for _ in range(200_000):\n    p.setObjectName('x'); p.ping.emit()\n"
        "print('alive')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "alive", out.stderr[-2000:]


def test_without_a_display_the_app_analyses_the_demo_and_quits(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    command = [sys.executable, str(REPO / "main.py")]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "no display here" in done.stderr
    assert "300 table items in 3 clusters" in done.stdout
