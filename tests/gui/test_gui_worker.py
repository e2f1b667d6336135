"""The worker with stand-in run functions: signals, throttling, cancel, one run at a time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.items import Problem
from engine.pipeline import PipelineError, Spec
from gui.worker import PROGRESS_INTERVAL_S, PipelineWorker

SPEC = Spec(paths=("/in",))


class SlowRun:
    """A fake ``pipeline.run``: ``steps`` small sleeps, reporting progress and polling cancel."""

    def __init__(self, steps: int = 50, step_s: float = 0.01) -> None:
        self.steps, self.step_s = steps, step_s
        self.calls: list[tuple[Spec, object]] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def __call__(self, spec, progress, cancel, previous=None):
        with self._lock:
            self.calls.append((spec, previous))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            for i in range(self.steps):
                cancel.raise_if_cancelled()
                progress("embed", i, self.steps)
                time.sleep(self.step_s)
            return ("result", spec)
        finally:
            with self._lock:
                self.active -= 1


@pytest.fixture
def worker(qtbot):
    made: list[PipelineWorker] = []

    def make(run_fn) -> PipelineWorker:
        w = PipelineWorker(run_fn)
        made.append(w)
        return w

    yield make
    for w in made:
        assert w.shutdown(5000)


def test_finished_carries_the_result(qtbot, worker):
    w = worker(SlowRun(steps=3))
    with qtbot.waitSignal(w.finished, timeout=3000) as blocker:
        w.start(SPEC)
    assert blocker.args == [("result", SPEC)]
    assert not w.running


def test_user_errors_arrive_as_failed_messages(qtbot, worker):
    def broken(spec, progress, cancel, previous=None):
        raise PipelineError("No usable items were found.", [problem])

    problem = Problem(Path("bad.csv"), "ingest", "not a text CSV file")
    w = worker(broken)
    with qtbot.waitSignal(w.failed, timeout=3000) as blocker:
        w.start(SPEC)
    assert blocker.args == ["No usable items were found.", [problem]]


def test_unexpected_errors_do_not_escape(qtbot, worker):
    def buggy(spec, progress, cancel, previous=None):
        raise ZeroDivisionError("oops")

    w = worker(buggy)
    with qtbot.waitSignal(w.failed, timeout=3000) as blocker:
        w.start(SPEC)
    assert "ZeroDivisionError" in blocker.args[0]


def test_progress_is_throttled(qtbot, worker):
    def chatty(spec, progress, cancel, previous=None):
        end = time.monotonic() + 0.5
        i = 0
        while time.monotonic() < end:
            progress("embed", i, 10**9)
            i += 1
        return i

    w = worker(chatty)
    seen: list[tuple] = []
    w.progress.connect(lambda *args: seen.append(args))
    with qtbot.waitSignal(w.finished, timeout=5000) as blocker:
        w.start(SPEC)
    assert blocker.args[0] > 1000  # the engine really did call progress that often
    assert 1 <= len(seen) <= 0.5 / PROGRESS_INTERVAL_S + 2


def test_cancel_answers_within_a_second(qtbot, worker):
    w = worker(SlowRun(steps=10_000, step_s=0.01))
    with qtbot.waitSignal(w.progress, timeout=3000):
        w.start(SPEC)
    with qtbot.assertNotEmitted(w.finished), qtbot.waitSignal(w.cancelled, timeout=1000):
        w.cancel()
    assert not w.running


def test_a_new_run_replaces_the_running_one(qtbot, worker):
    fake = SlowRun(steps=30, step_s=0.01)
    w = worker(fake)
    first, second = SPEC.replace(k=2), SPEC.replace(k=3)
    finished: list[object] = []
    w.finished.connect(finished.append)
    with qtbot.waitSignal(w.progress, timeout=3000):
        w.start(first)
    with qtbot.assertNotEmitted(w.cancelled), qtbot.waitSignal(w.finished, timeout=5000):
        w.start(second, previous="last result")
    assert finished == [("result", second)]
    assert fake.max_active == 1
    assert fake.calls[-1] == (second, "last result")
