"""Work off the GUI thread on Python threads: :class:`Background` runs the item view's and the
player's short jobs one at a time (decoding a clip, its spectrogram); :class:`JobPool` runs the
views' previews, density images and queries.

Answers come back to the GUI thread as a queued signal carrying the request number, so a caller
that has moved on (another item selected, another clip played) simply ignores old answers.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.items import ItemError


def attempt(fn: Callable[..., Any], errors: tuple[type[BaseException], ...], *args: Any) -> tuple[Any, str]:
    """``(fn(*args), "")``, or ``(None, message)`` for the ``errors`` a user can meet (a full disk).

    For :meth:`Background.submit` when the failure's own message is the one to show.
    """
    try:
        return fn(*args), ""
    except errors as error:
        return None, str(error)


class Background(QObject):
    """Runs functions one at a time off the GUI thread; ``done`` brings each answer back."""

    done = Signal(int, object, str)
    """Request number, the function's value (None on failure), the failure's message for the user."""

    def __init__(self, parent: QObject | None = None, name: str = "item-view") -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._count = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        """Start ``fn(*args)``; returns the request number ``done`` will carry."""
        self._count += 1
        self._pool.submit(self._run, self._count, fn, args)
        return self._count

    def _run(self, request: int, fn: Callable[..., Any], args: tuple) -> None:
        try:
            value = fn(*args)
        except ItemError as error:
            self.done.emit(request, None, str(error))
        except Exception as error:  # an unexpected decoder failure must reach the user, not end the app
            self.done.emit(request, None, f"could not be read ({type(error).__name__}: {error}).")
        else:
            self.done.emit(request, value, "")

    def shutdown(self, wait: bool = False) -> None:
        """Drop the jobs not started; ``wait`` for the running one (a file it is writing)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


class JobPool:
    """Python threads for a view's background jobs, in place of a QThreadPool the view owns.

    A QThreadPool parented to a view is destroyed with it, and its destructor waits for the jobs
    still running while the GUI thread holds the GIL; a job written in Python needs the GIL to
    start or to finish, so closing a view in the middle of one froze the whole app (caught as a
    hung test: the GUI thread in ``~QThreadPool`` -> ``waitForDone``, the pool thread in
    ``PyGILState_Ensure``). Nothing in Qt waits for these threads: a view that goes away leaves its
    job to finish, and the job's answer, emitted to a deleted object, is dropped.
    """

    def __init__(self, threads: int, name: str) -> None:
        self.threads = threads
        """At most this many jobs run at once; more wait their turn."""
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._running: set[Future] = set()
        self._lock = threading.Lock()

    def start(self, job: Callable[[], object]) -> None:
        """Run ``job()`` on a pool thread; an exception it lets out is reported like any other."""
        future = self._executor.submit(_answer_dropped_if_gone, job)
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._finished)

    def wait(self, msecs: int) -> bool:
        """Whether every job started so far finished within ``msecs`` (tests, benchmarks)."""
        with self._lock:
            running = list(self._running)
        return not wait(running, timeout=msecs / 1000).not_done

    def _finished(self, future: Future) -> None:
        with self._lock:
            self._running.discard(future)
        error = future.exception()
        if error is not None:
            sys.excepthook(type(error), error, error.__traceback__)


def _answer_dropped_if_gone(job: Callable[[], object]) -> None:
    try:
        job()
    except RuntimeError as error:
        # Only PySide's "Signal source has been deleted" / "Internal C++ object (...) already
        # deleted": the view closed while the job ran, and nobody waits for its answer.
        if "deleted" not in str(error):
            raise
