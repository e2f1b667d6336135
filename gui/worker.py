"""Runs ``engine.pipeline.run`` on a background thread and turns its callbacks into Qt signals.

The engine knows nothing of Qt: it calls ``progress(stage, done, total)`` and polls a
``CancelToken``. This module adapts both, throttles progress so the GUI thread is never flooded,
and keeps at most one run alive: a new request cancels the running one and starts once it ends.
"""

from __future__ import annotations

import atexit
import logging
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from engine import pipeline
from engine.pipeline import PipelineError
from engine.progress import Cancelled, CancelToken

if TYPE_CHECKING:
    from engine.pipeline import Result, Spec

log = logging.getLogger(__name__)

RunFn = Callable[..., Any]
"""Same signature as ``engine.pipeline.run(spec, progress, cancel, previous)``; tests pass fakes."""

PROGRESS_INTERVAL_S = 0.05
"""At most ~20 progress signals a second reach the GUI thread."""


class _RunThread(QThread):
    """One run of the pipeline; its signals carry a run id so stale runs can be ignored."""

    progressed = Signal(int, str, int, int)
    succeeded = Signal(int, object)
    errored = Signal(int, str, object)
    stopped = Signal(int)

    def __init__(self, run_id: int, spec: Spec, previous: Result | None, run_fn: RunFn | None) -> None:
        super().__init__()
        self.run_id = run_id
        self.spec = spec
        self.previous = previous
        self.token = CancelToken()
        self.superseded = False
        self._run_fn = run_fn
        self._last_emit = float("-inf")

    def _progress(self, stage: str, done: int, total: int) -> None:
        # Checking the token here too makes Cancel answer at the next progress call of any stage.
        self.token.raise_if_cancelled()
        now = time.monotonic()
        if now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.progressed.emit(self.run_id, str(stage), int(done), int(total))

    def run(self) -> None:
        """Thread entry point: exactly one of succeeded / errored / stopped is emitted."""
        # engine.pipeline.run does its heavy imports (sklearn, torch...) on this thread, not at start-up.
        run_fn = self._run_fn or pipeline.run
        try:
            result = run_fn(self.spec, progress=self._progress, cancel=self.token, previous=self.previous)
        except BaseException as exc:  # an engine bug must not kill the window: report it instead
            if isinstance(exc, Cancelled) or self.token.cancelled:
                self.stopped.emit(self.run_id)
            elif isinstance(exc, PipelineError | ValueError):  # messages written for the user
                self.errored.emit(self.run_id, str(exc), getattr(exc, "problems", []))
            else:
                log.error("pipeline run failed:\n%s", traceback.format_exc())
                self.errored.emit(self.run_id, f"Unexpected error ({type(exc).__name__}): {exc}", [])
        else:
            if self.token.cancelled:
                self.stopped.emit(self.run_id)
            else:
                self.succeeded.emit(self.run_id, result)
        finally:
            self.previous = None  # do not keep the old result alive through a finished thread


class _Reaper(QObject):
    """Keeps every started thread referenced until it has really ended.

    A QThread destroyed while running aborts the process; that would happen if a window were
    garbage-collected mid-run. The reaper lives in the GUI thread, so ``finished`` reaches it queued.
    """

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[_RunThread] = set()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop_all)

    def adopt(self, thread: _RunThread) -> None:
        self.threads.add(thread)
        thread.finished.connect(self._on_finished)

    @Slot()
    def _on_finished(self) -> None:
        thread = self.sender()
        if isinstance(thread, _RunThread):
            thread.wait()
            self.threads.discard(thread)

    @Slot()
    def stop_all(self, timeout_ms: int = 5000) -> None:
        """Cancel every run and wait for the threads (the app is quitting)."""
        for thread in list(self.threads):
            thread.superseded = True
            thread.token.cancel()
        for thread in list(self.threads):
            if thread.wait(timeout_ms):
                self.threads.discard(thread)


_reaper: _Reaper | None = None


def _adopt(thread: _RunThread) -> None:
    global _reaper
    if _reaper is None:
        _reaper = _Reaper()
    _reaper.adopt(thread)


@atexit.register
def _stop_all_at_exit() -> None:
    if _reaper is not None:
        _reaper.stop_all()


class PipelineWorker(QObject):
    """The GUI's single entry point to the engine: start, cancel, and listen to the signals."""

    started = Signal()
    progress = Signal(str, int, int)
    finished = Signal(object)
    failed = Signal(str, object)
    cancelled = Signal()

    def __init__(self, run_fn: RunFn | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run_fn = run_fn
        self._thread: _RunThread | None = None
        self._pending: tuple[Spec, Result | None] | None = None
        self._next_id = 0

    @property
    def running(self) -> bool:
        """True from ``start`` until the run's last signal (including a queued follow-up run)."""
        return self._thread is not None or self._pending is not None

    def start(self, spec: Spec, previous: Result | None = None) -> None:
        """Run ``spec``; a run already going is cancelled and this one starts when it has stopped."""
        if self._thread is not None:
            self._thread.superseded = True
            self._thread.token.cancel()
            self._pending = (spec, previous)
            return
        self._launch(spec, previous)

    def cancel(self) -> None:
        """Ask the running job to stop; ``cancelled`` follows as soon as the engine notices."""
        self._pending = None
        if self._thread is not None:
            self._thread.token.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the thread (call before the window goes away)."""
        self._pending = None
        thread = self._thread
        if thread is None:
            return True
        thread.superseded = True
        thread.token.cancel()
        stopped = thread.wait(timeout_ms)
        if stopped:
            self._thread = None
        return stopped

    def _launch(self, spec: Spec, previous: Result | None) -> None:
        self._next_id += 1
        thread = _RunThread(self._next_id, spec, previous, self._run_fn)
        thread.progressed.connect(self._on_progress)
        thread.succeeded.connect(self._on_succeeded)
        thread.errored.connect(self._on_errored)
        thread.stopped.connect(self._on_stopped)
        self._thread = thread
        _adopt(thread)
        thread.start()
        self.started.emit()

    def _current(self, run_id: int) -> bool:
        thread = self._thread
        return thread is not None and thread.run_id == run_id and not thread.superseded

    @Slot(int, str, int, int)
    def _on_progress(self, run_id: int, stage: str, done: int, total: int) -> None:
        if self._current(run_id) and not self._thread.token.cancelled:
            self.progress.emit(stage, done, total)

    @Slot(int, object)
    def _on_succeeded(self, run_id: int, result: object) -> None:
        self._outcome(run_id, lambda: self.finished.emit(result))

    @Slot(int, str, object)
    def _on_errored(self, run_id: int, message: str, problems: object) -> None:
        self._outcome(run_id, lambda: self.failed.emit(message, problems))

    @Slot(int)
    def _on_stopped(self, run_id: int) -> None:
        self._outcome(run_id, self.cancelled.emit)

    def _outcome(self, run_id: int, emit: Callable[[], None]) -> None:
        thread = self._thread
        if thread is None or thread.run_id != run_id:
            return
        announce = not thread.superseded
        # The run function has returned; waiting here only lets run() unwind. Announcing after it,
        # a listener that starts a new run from its slot finds the worker idle, not queued.
        thread.wait()
        self._thread = None  # the reaper drops the last reference once ``finished`` has arrived
        if announce:
            emit()
        self._start_pending()

    def _start_pending(self) -> None:
        if self._thread is None and self._pending is not None:
            spec, previous = self._pending
            self._pending = None
            self._launch(spec, previous)
