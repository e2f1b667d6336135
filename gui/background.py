"""One worker thread for short jobs of the item view and the player (decoding a clip, its spectrogram).

Answers come back to the GUI thread as a queued signal carrying the request number, so a caller
that has moved on (another item selected, another clip played) simply ignores old answers.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
