"""Python's cycle collector on the GUI thread: young passes on CPython's thresholds, full passes
(115 ms with a 100 000-item result on screen) only while the mouse is still, or when long overdue."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QPoint, Qt

from gui import collector
from gui.collector import FORCE_AFTER, STILL_CHECKS, GuiThreadCollector, due_generation

THRESHOLD = (700, 10, 10)


@pytest.mark.parametrize(
    ("counts", "still", "expected"),
    [
        ((100, 5, 5), 5, None),  # too few new objects, no full pass due: nothing
        ((100, 50, 11), 0, None),
        ((100, 50, 11), STILL_CHECKS, 2),  # due, and the window idle: now, though it allocates little
        ((800, 3, 50), 0, 0),
        ((800, 11, 3), 0, 1),
        ((800, 11, 11), 0, 1),  # a full pass is due, but the user is busy
        ((800, 11, 11), STILL_CHECKS, 2),
        ((800, 11, FORCE_AFTER), 0, 2),  # overdue: it runs even while busy
    ],
)
def test_full_passes_wait_for_a_still_moment(counts, still, expected):
    assert due_generation(counts, THRESHOLD, still) == expected


def test_the_collector_defers_a_due_full_pass_while_the_mouse_moves_or_presses(qapp, monkeypatch):
    # Each check sees the cursor here, pressed or not (scripted: the offscreen cursor never moves).
    script = iter(
        [((1, 1), False), ((5, 9), False), ((40, 2), False), ((40, 2), True), ((40, 2), False),
         ((40, 2), False)]
    )  # fmt: skip
    seen: list[tuple[tuple[int, int], bool]] = []
    monkeypatch.setattr(collector.QCursor, "pos", staticmethod(lambda: QPoint(*seen[-1][0])))
    pressed = {True: Qt.MouseButton.LeftButton, False: Qt.MouseButton.NoButton}
    monkeypatch.setattr(collector.QGuiApplication, "mouseButtons", staticmethod(lambda: pressed[seen[-1][1]]))
    monkeypatch.setattr(collector.gc, "get_count", lambda: (800, 11, 11))
    collected: list[int] = []
    monkeypatch.setattr(collector.gc, "collect", collected.append)
    made = GuiThreadCollector(interval_s=3600)
    try:
        assert not gc.isenabled()  # never in whichever thread allocates
        done = []
        for step in script:
            seen.append(step)
            done.append(made.check())
        assert done == [1, 1, 1, 1, 1, 2]  # moving, moving, still once, pressed, still once, twice
        assert collected == done
    finally:
        made.timer.stop()
