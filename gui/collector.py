"""Python's cycle collector, run on the GUI thread from a timer, its full passes in still moments.

Why on the GUI thread: the collector runs in whichever thread happens to allocate. When that is the
engine's worker thread, it destroys unreachable Qt objects (a closed dialog, an old view) off the
GUI thread, and Qt crashes ("Timers cannot be started from another thread", then a segfault).

Why full passes wait: a full pass visits every object Python tracks, and a big result is most of
them. With 100 000 items on screen one takes 115 ms, a visible hitch. Run whenever ten
middle-generation passes had piled up, as pyqtgraph's timer collector (which this replaces) does,
it came about every two minutes of use. CPython itself skips full passes until the long-lived
objects have grown by a quarter, but ``gc.collect(2)`` bypasses that, and Python offers no way to
read the growth. So a due full pass waits until the mouse has been still for :data:`STILL_CHECKS`
checks, or until :data:`FORCE_AFTER` middle-generation passes have piled up.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QCursor, QGuiApplication

STILL_CHECKS = 2
"""Checks (one a second) with the mouse unmoved and unpressed before a due full pass runs."""
FORCE_AFTER = 60
"""Middle-generation passes after which a full pass runs even while the user is busy (memory held
by cycles is freed at least this often: about ten minutes of constant use)."""


def due_generation(counts: tuple[int, int, int], threshold: tuple[int, ...], still: int) -> int | None:
    """The generation to collect now (0, 1 or 2), or None.

    ``counts`` and ``threshold`` are ``gc.get_count()`` and ``gc.get_threshold()``; ``still`` is how
    many checks in a row found the mouse still. Young generations follow CPython's thresholds. A due
    full pass runs in a still moment whatever the young count: an idle window allocates little, so
    waiting for the young threshold as well put it off to the next busy moment.
    """
    young, middle, old = counts
    if old > threshold[2] and (still >= STILL_CHECKS or old >= FORCE_AFTER):
        return 2
    if young <= threshold[0]:
        return None
    return 0 if middle <= threshold[1] else 1


class GuiThreadCollector(QObject):
    """Disables automatic collection and collects from a timer on the thread that made it."""

    def __init__(self, interval_s: float = 1.0) -> None:
        super().__init__()
        self.threshold = gc.get_threshold()
        gc.disable()
        self.still = 0
        self._cursor = QPoint()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval_s * 1000))

    def check(self) -> int | None:
        """Collect what is due; returns the generation collected, or None."""
        cursor = QCursor.pos()
        pressed = QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton
        self.still = 0 if pressed or cursor != self._cursor else self.still + 1
        self._cursor = cursor
        generation = due_generation(gc.get_count(), self.threshold, self.still)
        if generation is not None:
            gc.collect(generation)
        return generation
