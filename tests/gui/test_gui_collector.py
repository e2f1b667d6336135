"""Python's cycle collector on the GUI thread: young passes on CPython's thresholds, full passes
(115 ms with a 100 000-item result on screen) only while the mouse is still, or when long overdue."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QPoint

from gui import collector
from gui.collector import FORCE_AFTER, STILL_CHECKS, GuiThreadCollector, due_generation

THRESHOLD = (700, 10, 10)


@pytest.mark.parametrize(
    ("counts", "still", "expected"),
    [
        ((100, 50, 50), 5, None),  # too few new objects: nothing
        ((800, 3, 50), 0, 0),
        ((800, 11, 3), 0, 1),
        ((800, 11, 11), 0, 1),  # a full pass is due, but the user is busy
        ((800, 11, 11), STILL_CHECKS, 2),
        ((800, 11, FORCE_AFTER), 0, 2),  # overdue: it runs even while busy
    ],
)
def test_full_passes_wait_for_a_still_moment(counts, still, expected):
    assert due_generation(counts, THRESHOLD, still) == expected


def test_the_collector_defers_a_due_full_pass_while_the_mouse_moves(qapp, monkeypatch):
    positions = iter([QPoint(1, 1), QPoint(5, 9), QPoint(40, 2), QPoint(40, 2), QPoint(40, 2)])
    monkeypatch.setattr(collector.QCursor, "pos", staticmethod(lambda: next(positions)))
    monkeypatch.setattr(collector.gc, "get_count", lambda: (800, 11, 11))
    collected: list[int] = []
    monkeypatch.setattr(collector.gc, "collect", collected.append)
    made = GuiThreadCollector(interval_s=3600)
    try:
        assert not gc.isenabled()  # never in whichever thread allocates
        assert [made.check() for _ in range(5)] == [1, 1, 1, 1, 2]
        assert collected == [1, 1, 1, 1, 2]
    finally:
        made.timer.stop()
