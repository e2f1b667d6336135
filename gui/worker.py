"""The window's one link to the engine: runs, progress, Cancel, as Qt signals.

The work runs in one persistent engine process (:mod:`engine.server`), driven from a background
thread per run: it sends the Spec, turns the engine's progress messages into signals, and loads
the handed-over Result. Cancel asks the engine to stop; if it has not within
:data:`STOP_GRACE_S`, the process is killed and a fresh one started, so that a C call that never
checks the cancel token (HDBSCAN) or a native crash never costs more than that run.

Given a ``run_fn`` (tests pass fakes), the run happens in-process on the background thread
instead. Either way the engine knows nothing of Qt, progress is throttled so the GUI thread is
never flooded, and at most one run is alive: a new request cancels the running one and starts once
it ends.
"""

from __future__ import annotations

import atexit
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from engine import server
from engine.progress import Cancelled, CancelToken, Throttle
from gui.view_state import items_digest

if TYPE_CHECKING:
    from engine.pipeline import Result, Spec

RunFn = Callable[..., Any]
"""Same signature as ``engine.pipeline.run(spec, progress, cancel, previous)``; tests pass fakes."""

PROGRESS_INTERVAL_S = 0.05
"""At most ~20 progress signals a second reach the GUI thread."""

STOP_GRACE_S = 0.5
"""How long a cancelled engine may take to stop by itself before it is killed (then restarted)."""

POLL_S = 0.05
"""How often the driving thread looks at Cancel while it waits for the engine."""


def _prepare(result: Result) -> None:
    """Do here, off the GUI thread, what showing a result would otherwise do there the first time:
    the items' fingerprint (the view state's, ~40 ms per 100 000 items) and the embedder registry
    (the settings panel lists the embedders; their modules bring pandas, about 1 s to import once)."""
    from engine.embed import list_embedders

    items_digest(result)
    list_embedders(result.modality)


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
        self._throttle = Throttle(PROGRESS_INTERVAL_S)

    def _progress(self, stage: str, done: int, total: int) -> None:
        # Checking the token here too makes Cancel answer at the next progress call of any stage.
        self.token.raise_if_cancelled()
        self._emit_progress(stage, done, total)

    def _emit_progress(self, stage: str, done: int, total: int) -> None:
        if self._throttle.due(stage, time.monotonic()):
            self.progressed.emit(self.run_id, str(stage), int(done), int(total))

    def run(self) -> None:
        """Thread entry point: exactly one of succeeded / errored / stopped is emitted."""
        try:
            previous = self.previous
            result = self._run_fn(self.spec, progress=self._progress, cancel=self.token, previous=previous)
        except BaseException as exc:  # an engine bug must not kill the window: report it instead
            if isinstance(exc, Cancelled) or self.token.cancelled:
                self.stopped.emit(self.run_id)
            else:
                self.errored.emit(self.run_id, *server.failure(exc))
        else:
            self._succeed(result)
        finally:
            self.previous = None  # do not keep the old result alive through a finished thread

    def _succeed(self, result: object) -> None:
        if self.token.cancelled:
            self.stopped.emit(self.run_id)
        else:
            if getattr(result, "analysed", None) is not None:  # a Result (a test's stand-in may not be)
                _prepare(result)
            self.succeeded.emit(self.run_id, result)


class _EngineRunThread(_RunThread):
    """One run in the engine process: this thread only waits, relays and loads the handed-over result."""

    def __init__(
        self, run_id: int, spec: Spec, previous: Result | None, engine: server.EngineProcess
    ) -> None:
        super().__init__(run_id, spec, previous, None)
        self._engine = engine

    def run(self) -> None:
        temporary = None
        try:
            self._engine.start()
            reference, temporary = self._engine.previous_ref(self.previous)
            self.previous = None
            self._engine.send_run(self.run_id, self.spec, reference)
            self._relay()
        except server.EngineDied as died:
            if self.token.cancelled:
                self.stopped.emit(self.run_id)
            else:
                self.errored.emit(self.run_id, str(died), [])
        except BaseException as exc:  # a failure on this side (reading the result) is a message too
            self.errored.emit(self.run_id, *server.failure(exc))
        finally:
            self.previous = None
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    def _relay(self) -> None:
        """Pass the engine's messages on until the run's outcome; kill the engine if Cancel is not heard."""
        asked_at: float | None = None
        while True:
            if self.token.cancelled and asked_at is None:
                self._engine.cancel()
                asked_at = time.monotonic()
            if asked_at is not None and time.monotonic() - asked_at > STOP_GRACE_S:
                self._engine.kill()  # stuck in a C call that never looks at the token
                self.stopped.emit(self.run_id)
                return
            message = self._engine.receive(POLL_S)
            if message is None or message[0] == "ready":
                continue
            if message[1] != self.run_id:
                if message[0] == "result":  # an earlier run's, finished as it was cancelled
                    Path(message[2]).unlink(missing_ok=True)
                continue
            kind = message[0]
            if kind == "progress":
                if not self.token.cancelled:
                    self._emit_progress(*message[2:])
                continue
            if kind == "result":
                result = server.read_handover(message[2])
                self._engine.holds = result
                self._succeed(result)
            elif kind == "failed":
                self.errored.emit(self.run_id, message[2], message[3])
            else:
                self.stopped.emit(self.run_id)
            return


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
        self.engine = server.EngineProcess() if run_fn is None else None
        """The engine process (None when a ``run_fn`` runs in-process instead)."""
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

    def warm_up(self) -> None:
        """Start the engine process now, so the first run finds it warm (call after the first paint)."""
        if self.engine is not None:
            self.engine.start()

    def adopt(self, result: Result, path: str) -> None:
        """``result`` was opened from the project file ``path``: the engine reuses it as previous result."""
        if self.engine is not None:
            self.engine.adopt(result, path)

    def cancel(self) -> None:
        """Ask the running job to stop; ``cancelled`` follows as soon as the engine notices."""
        self._pending = None
        if self._thread is not None:
            self._thread.token.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the thread (call before the window goes away)."""
        self._pending = None
        thread = self._thread
        stopped = True
        if thread is not None:
            thread.superseded = True
            thread.token.cancel()
            stopped = thread.wait(timeout_ms)
            if stopped:
                self._thread = None
        if self.engine is not None:
            self.engine.stop()
        return stopped

    def _launch(self, spec: Spec, previous: Result | None) -> None:
        self._next_id += 1
        if self.engine is None:
            thread = _RunThread(self._next_id, spec, previous, self._run_fn)
        else:
            thread = _EngineRunThread(self._next_id, spec, previous, self.engine)
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
        if self._thread is None and self.engine is not None and not self.engine.alive:
            self.warm_up()  # killed or crashed: the next run finds a fresh engine ready

    def _start_pending(self) -> None:
        if self._thread is None and self._pending is not None:
            spec, previous = self._pending
            self._pending = None
            self._launch(spec, previous)
