"""Application start-up: the QApplication, settings, the main window and the first-start demo.

Kept light on purpose: importing this module (and the window) loads Qt, pyqtgraph and numpy, never
torch, scikit-learn, scipy or pandas, so the window appears well under two seconds.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from engine.items import plural, tally
from engine.resources import resource_path
from gui.collector import GuiThreadCollector
from gui.main_window import MainWindow
from gui.opening import demo_folder

ORGANIZATION = "DataMining6"
APPLICATION = "DataMining6"
DEMO_SHOWN_KEY = "demo_shown"


def open_demo_once(window: MainWindow, settings: QSettings, folder: Path | None = None) -> bool:
    """Open the demo on the very first start only; True if it was opened now.

    The flag is stored only when a demo exists, so a build missing it does not lose the first start.
    """
    if settings.value(DEMO_SHOWN_KEY, False, type=bool):
        return False
    folder = Path(folder) if folder is not None else demo_folder()
    if not folder.is_dir() or not any(folder.iterdir()):
        return False
    settings.setValue(DEMO_SHOWN_KEY, True)
    settings.sync()
    window.open_paths([folder])
    return True


_collector: GuiThreadCollector | None = None


def collect_garbage_on_gui_thread() -> None:
    """Run Python's cycle collector only on the GUI thread, from a timer (once per process);
    :mod:`gui.collector` says why, and why its full passes wait for a still moment."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector()


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The process's QApplication (created once), named so QSettings finds our settings."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv))
    collect_garbage_on_gui_thread()
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    icon = resource_path("icon.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    style = resource_path("style.qss")
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def start(
    argv: Sequence[str] | None = None,
    settings: QSettings | None = None,
    demo: Path | None = None,
    demo_always: bool = False,
    offer_recovery: bool = True,
) -> MainWindow:
    """Create and show the window; open paths (or a project) given on the command line, else the demo once.

    ``settings`` replaces the user's QSettings (tests pass an INI file in a temporary folder);
    ``demo`` replaces the bundled demo folder; ``demo_always`` opens it even after the first start;
    ``offer_recovery`` asks whether to restore the unsaved work a crashed window left (not headless).
    """
    app = application(argv)
    settings = settings if settings is not None else QSettings()
    window = MainWindow(settings)
    window.show()
    QTimer.singleShot(0, window.worker.warm_up)  # the engine process starts once the window is painted
    if offer_recovery:
        QTimer.singleShot(0, window.recovery.offer)
    paths = [a for a in app.arguments()[1:] if not a.startswith("-") and Path(a).exists()]
    # Opened after the first paint, so the window is on screen before any work starts.
    if paths or demo_always:
        QTimer.singleShot(0, lambda: window.open_paths(paths or [Path(demo or demo_folder())]))
    else:
        QTimer.singleShot(0, lambda: open_demo_once(window, settings, demo))
    return window


def _no_display() -> bool:
    """True on Linux with neither X11 nor Wayland and no Qt platform chosen: no window can open."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    )


def _summarise_and_quit(outcome: object, code: int) -> None:
    """Headless start: say what the window would show, then leave."""
    if isinstance(outcome, str):
        print(f"DataMining6: {outcome}", file=sys.stderr)
    else:
        m = outcome.metrics
        scores = ", ".join(f"{k} {m[k]:.3f}" for k in ("silhouette", "ari", "nmi") if k in m)
        items = plural(len(outcome.analysed.items), f"{outcome.modality} item")
        clusters = plural(outcome.n_clusters, "cluster")
        print(f"DataMining6: {items} in {clusters} ({scores}); {tally(outcome.problems)}.")
    QApplication.exit(code)


def _report_and_quit() -> None:
    """Say which heavy libraries were loaded before the window was on screen, then quit."""
    heavy = ("torch", "sklearn", "scipy", "pandas", "sentence_transformers", "open_clip", "librosa", "pyod")
    for name in heavy:
        if name in sys.modules:
            print(f"loaded {name}", flush=True)
    QApplication.quit()


def main(argv: Sequence[str] | None = None, settings: QSettings | None = None) -> int:
    """Run the desktop app until its window closes; returns the process exit code.

    ``argv`` is the full command line (program name first); further arguments that are existing
    paths are opened instead of the demo. ``settings`` is for tests.
    """
    headless = _no_display()
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        print(
            "DataMining6: no display here (DISPLAY is not set), so the window runs offscreen: it analyses "
            "the input once, prints a summary and quits. Run it on a desktop or under xvfb-run to see it; "
            "'python main.py analyze --help' is the headless command line.",
            file=sys.stderr,
        )
    app = application(argv)
    window = start(argv, settings=settings, demo_always=headless, offer_recovery=not headless)
    if headless:
        window.result_shown.connect(lambda result: _summarise_and_quit(result, 0))
        window.worker.failed.connect(lambda message, _: _summarise_and_quit(message, 1))
    if os.environ.get("DATAMINING6_EXIT_WHEN_SHOWN"):
        QTimer.singleShot(0, _report_and_quit)  # runs after the first paint: for start-up benchmarks
    code = app.exec()
    if headless:
        # The summary is out; skip the interpreter's teardown, where native destructors (Qt's, the
        # worker's libraries') have crashed the process at exit now and then with a segfault. The
        # engine process is stopped first, and its cancel flag's semaphores released with it.
        window.worker.shutdown(timeout_ms=2000)
        del window
        gc.collect()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    del window
    return int(code)
