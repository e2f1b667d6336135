"""The engine in a process of its own, for the window: requests in, progress and results out.

Why: a C call that holds the interpreter lock (HDBSCAN, a codec) freezes a window that shares the
engine's interpreter and cannot be cancelled, and a native crash (a segfault, an abort, running out
of memory) takes the window down with it. In its own process the engine can be stopped at once and
can die alone. The CLI and the library never use this module: they call ``pipeline.run`` in-process.

One ``multiprocessing`` connection carries small messages only; the Result travels as a project
file (:mod:`engine.store`) in a RAM-backed folder, so that no large array is pickled.

- parent -> engine: ``("run", run_id, spec_dict, previous)`` where ``previous`` is ``KEEP`` (the
  engine's last result), ``None`` or the path of a project file; ``("abort_at", stage)`` (test
  hook: the next run calls ``os.abort()`` when it reports that stage); ``("quit",)``.
- engine -> parent: ``("ready",)``; ``("progress", run_id, stage, done, total)``;
  ``("result", run_id, path)``; ``("failed", run_id, message, problems)``; ``("cancelled", run_id)``.

Cancel is a shared event the engine polls, as it polls a :class:`CancelToken` in-process.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import tempfile
import threading
import time
import traceback
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.progress import Cancelled, CancelToken, Throttle, stage_of

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from engine.items import Problem
    from engine.pipeline import Result, Spec

log = logging.getLogger(__name__)

KEEP = "keep"
"""``previous`` of a run request: the engine's own last result."""

HANDOVER_PREFIX = "datamining6-result-"
"""Result files are named ``datamining6-result-<pid of the writer>-<random>.dm6``."""

PROGRESS_INTERVAL_S = 0.05
"""The engine sends at most ~20 progress messages a second (and every new stage at once)."""


class EngineDied(RuntimeError):
    """The engine process ended without being asked to; the message is for the user."""


def failure(exc: BaseException) -> tuple[str, list[Problem]]:
    """The user's message and problems for a run that raised ``exc`` (in-process or in the engine)."""
    from engine.pipeline import PipelineError

    if isinstance(exc, PipelineError | ValueError):  # messages written for the user
        return str(exc), list(getattr(exc, "problems", []))
    log.error("pipeline run failed:\n%s", traceback.format_exc())
    return f"Unexpected error ({type(exc).__name__}): {exc}", []


def handover_dirs() -> list[Path]:
    """Where results wait for the window: RAM (``/dev/shm``) when there is one, then the user cache."""
    from engine.embed.cache import default_cache_dir

    shm = Path("/dev/shm")
    ram = [shm] if shm.is_dir() and os.access(shm, os.W_OK) else []
    return [*ram, default_cache_dir() / "handover"]


def write_handover(result: Result) -> Path:
    """Save ``result`` as a project file for the window to read (and delete).

    A full ``/dev/shm`` (64 MB in a default container) falls back to the user cache on disk.
    """
    from engine import store

    folders = handover_dirs()
    for n, folder in enumerate(folders, 1):
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{HANDOVER_PREFIX}{os.getpid()}-", suffix=".dm6", dir=folder)
        os.close(fd)
        try:
            store.save(result, Path(name), {})
            return Path(name)
        except BaseException as error:
            Path(name).unlink(missing_ok=True)
            if not isinstance(error, OSError) or n == len(folders):
                raise
    raise OSError("no folder to hand the result over in")


def sweep_handovers(pids: Iterable[int] = ()) -> int:
    """Delete result files that nobody will read: those of ``pids`` (an engine just killed) and of
    processes that are gone (a window or engine that crashed). Returns how many were deleted.

    A result waiting in ``/dev/shm`` is RAM: a 100 000 x 384 result holds about 160 MB of it.
    """
    gone = 0
    for folder in handover_dirs():
        for path in folder.glob(f"{HANDOVER_PREFIX}*.dm6"):
            pid = path.name.removeprefix(HANDOVER_PREFIX).split("-", 1)[0]
            if not pid.isdigit() or (int(pid) not in pids and _running(int(pid))):
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                gone += 1
    return gone


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists. Where that cannot be asked safely (Windows, whose
    ``os.kill`` would end it), every process counts as running and only named pids are swept."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


def read_handover(path: Path) -> Result:
    """Load a result written by :func:`write_handover` and delete its file."""
    from engine import store

    try:
        return store.load(path)[0]
    finally:
        Path(path).unlink(missing_ok=True)


# ---- the engine process ------------------------------------------------------------------------
def serve(conn: Connection, cancel_event: Any) -> None:
    """The engine process's main loop: one run at a time, the last result kept for the next run."""
    import engine.anomaly
    import engine.cluster
    import engine.layout
    import engine.metrics
    import engine.pipeline  # noqa: F401  warm: the first run pays no imports

    conn.send(("ready",))
    held: Result | None = None
    abort_at: str | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the window has gone: so does its engine
            return
        if message[0] == "quit":
            return
        if message[0] == "abort_at":
            abort_at = message[1]
        elif message[0] == "run":
            _, run_id, spec_dict, previous = message
            previous = held if previous == KEEP else previous
            held = _serve_run(conn, run_id, spec_dict, previous, cancel_event, abort_at) or held


def _serve_run(
    conn: Connection,
    run_id: int,
    spec_dict: dict,
    previous: Result | str | None,
    cancel_event: Any,
    abort_at: str | None,
) -> Result | None:
    from engine import pipeline

    token = CancelToken(cancel_event)
    throttle = Throttle(PROGRESS_INTERVAL_S)

    def progress(stage: str, done: int, total: int) -> None:
        token.raise_if_cancelled()  # Cancel answers at the next progress call of any stage
        if abort_at is not None and stage_of(stage) == abort_at:
            os.abort()  # test hook: a native crash mid-run
        if throttle.due(stage, time.monotonic()):
            conn.send(("progress", run_id, str(stage), int(done), int(total)))

    try:
        if isinstance(previous, str):
            previous = read_project(previous)
        spec = pipeline.Spec.from_dict(spec_dict)
        result = pipeline.run(spec, progress=progress, cancel=token, previous=previous)
        if token.cancelled:
            raise Cancelled("cancelled by the user")
        conn.send(("result", run_id, str(write_handover(result))))
        return result
    except BaseException as exc:  # noqa: BLE001  every outcome goes back to the window
        if isinstance(exc, Cancelled) or token.cancelled:
            conn.send(("cancelled", run_id))
        else:
            conn.send(("failed", run_id, *failure(exc)))
        return None


def read_project(path: str) -> Result:
    """A project file the window opened (or handed over) as the next run's previous result."""
    from engine import store

    return store.load(Path(path))[0]


# ---- the window's side -------------------------------------------------------------------------
_live: weakref.WeakSet[EngineProcess] = weakref.WeakSet()


class EngineProcess:
    """The parent's handle on one persistent engine process (spawned: the same in a PyInstaller bundle).

    Thread-safe for one driving thread plus :meth:`start` from any thread. ``holds`` is the parent's
    copy of the result the engine keeps, so that a run with that previous result reuses it in place.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self._cancel: Any = None
        self.holds: Result | None = None
        self._adopted: tuple[Result, str] | None = None
        _live.add(self)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process unless it runs (cheap: the imports happen in the new process)."""
        with self._lock:
            if self.alive:
                return
            self._discard()
            sweep_handovers()  # left behind by a window or engine that crashed in an earlier session
            import multiprocessing  # here, not at import: the window opens ~20 ms sooner

            context = multiprocessing.get_context("spawn")
            conn, child = context.Pipe()
            self._cancel = context.Event()
            process = context.Process(target=serve, args=(child, self._cancel), name="datamining6-engine")
            process.start()
            child.close()
            self._process, self._conn = process, conn
            _stop_all_at_exit_once()

    def adopt(self, result: Result, path: str | Path) -> None:
        """``result`` was opened from the project file ``path``: a run with it as previous sends the path."""
        self._adopted = (result, str(path))

    def previous_ref(self, previous: Result | None) -> tuple[str | None, Path | None]:
        """What a run request names as previous, and a temporary file to delete after the run (or None)."""
        if previous is None:
            return None, None
        if previous is self.holds:
            return KEEP, None
        if self._adopted is not None and self._adopted[0] is previous:
            return self._adopted[1], None
        path = write_handover(previous)  # a result the engine never had (it was restarted since)
        return str(path), path

    def send_run(self, run_id: int, spec: Spec, previous: str | None) -> None:
        self._cancel.clear()
        self._conn.send(("run", run_id, spec.to_dict(), previous))

    def abort_at(self, stage: str) -> None:
        """Test hook: the next run's engine calls ``os.abort()`` when it reports ``stage``."""
        self.start()
        self._conn.send(("abort_at", stage))

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def receive(self, timeout: float) -> tuple | None:
        """The next message, or None after ``timeout`` seconds; raises :class:`EngineDied`."""
        try:
            if self._conn.poll(timeout):
                return self._conn.recv()
        except (EOFError, OSError):
            pass
        else:
            if self.alive:
                return None
        code = None
        if self._process is not None:
            self._process.join(1.0)  # the pipe closes a moment before the exit status is known
            code = self._process.exitcode
        self.kill()
        raise EngineDied(_death_message(code))

    def kill(self) -> None:
        """End the process now (it did not stop when asked, or it died); the next start is a fresh one.

        A result it wrote but nobody read is deleted with it."""
        with self._lock:
            process = self._process
            if process is not None and process.is_alive():
                process.kill()
            if process is not None:
                process.join(2.0)
                sweep_handovers({process.pid})
            self._discard()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Ask the process to quit, and kill it if it has not within ``timeout_s``."""
        process = self._process
        if process is not None and process.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send(("quit",))
            process.join(timeout_s)
        self.kill()

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = self._cancel = None
        self.holds = None  # a fresh engine holds nothing


def _death_message(exitcode: int | None) -> str:
    why = "it ended"
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        known = {
            "SIGKILL": "it was killed, probably for lack of memory",
            "SIGSEGV": "a native library crashed",
        }
        why = known.get(name, f"it crashed with {name}")
    elif exitcode:
        why = f"it exited with code {exitcode}"
    return (
        f"The analysis engine stopped unexpectedly ({why}); this run has no result. The window is fine and "
        "the next run starts a fresh engine; if it happens again with these files, try fewer items or "
        "another method."
    )


def _stop_all_at_exit() -> None:
    for engine in list(_live):
        engine.stop(timeout_s=1.0)


def _stop_all_at_exit_once() -> None:
    """Register :func:`_stop_all_at_exit` after multiprocessing's own exit handler, so it runs first.

    That handler joins every child; an engine still waiting for requests would never end.
    """
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        atexit.register(_stop_all_at_exit)


_exit_registered = False
