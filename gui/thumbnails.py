"""Previews made off the GUI thread and kept in a memory cache: the member grid asks, paints a
"loading" tile, and repaints the row when ``ready`` fires.

Requests are served newest first (a stack, not a queue): while the user scrolls through 10 000
items, what is on screen now is decoded before the rows that flew past, and old requests beyond
:data:`MAX_PENDING` are dropped (they are asked for again if their rows come back into view). A
preview that cannot be made is remembered as a :class:`Failed` with the reason, so a broken file is
tried once, not on every repaint.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtGui import QImage

from engine.embed import ItemError
from gui.background import JobPool

MEMORY_ITEMS = 4000
"""Previews kept in memory (96-pixel thumbnails: about 110 MB at most)."""
MAX_PENDING = 400
"""Requests waiting beyond this many are forgotten, oldest first: they scrolled out of sight."""


def default_threads() -> int:
    """Preview workers: one core is left to the GUI thread and at most two are used.

    Decoding runs partly in Python, so workers compete with painting for the GIL: on 2 cores, two
    workers cut warm-cache scrolling from about 180 to 40-80 frames per second, one keeps it smooth.
    """
    return min(2, max(1, QThread.idealThreadCount() - 1))


@dataclass(frozen=True)
class Failed:
    """A preview that could not be made, and why (shown in the placeholder)."""

    reason: str


def to_qimage(pixels: np.ndarray) -> QImage:
    """An HxWx3 uint8 array as a QImage that owns its pixels (safe to hand to another thread)."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class _Signals(QObject):
    done = Signal(object, object, int)  # key, preview, generation


def _drain(loader: PreviewLoader) -> None:
    """Run queued jobs until the stack is empty; the loader's workers each run one of these."""
    while (job := loader._next_job()) is not None:
        key, make, generation = job
        try:
            preview = make()
        except ItemError as error:
            preview = Failed(str(error))
        except Exception as error:  # noqa: BLE001 - a preview never crashes the panel
            preview = Failed(f"the preview failed ({type(error).__name__}: {error})")
        loader._signals.done.emit(key, preview, generation)


class PreviewLoader(QObject):
    """Makes previews with ``make()`` callables on a thread pool; ``get`` answers from memory at once."""

    ready = Signal(object)
    """``key``: a preview (or its failure) is now in memory."""

    def __init__(self, threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = JobPool(threads or default_threads(), "thumbnails")
        self._memory: OrderedDict[Hashable, object] = OrderedDict()
        self._stack: list[tuple[Hashable, Callable[[], object], int]] = []
        self._asked: set[Hashable] = set()
        self._lock = threading.Lock()
        self._running = 0
        self._generation = 0
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)

    def get(self, key: Hashable, make: Callable[[], object]) -> object | None:
        """The preview for ``key`` (an image, a text, or :class:`Failed`), or None while it is made."""
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        with self._lock:
            if key in self._asked:
                return None
            self._asked.add(key)
            self._stack.append((key, make, self._generation))
            if len(self._stack) > MAX_PENDING:
                for old, _make, _gen in self._stack[: len(self._stack) - MAX_PENDING]:
                    self._asked.discard(old)
                del self._stack[: len(self._stack) - MAX_PENDING]
            start = self._running < self.pool.threads
            if start:
                self._running += 1
        if start:
            self.pool.start(lambda: _drain(self))
        return None

    def clear(self) -> None:
        """Forget every preview and pending request (a new result); late answers are ignored."""
        with self._lock:
            self._generation += 1
            self._stack.clear()
            self._asked.clear()
        self._memory.clear()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the workers are idle (tests, benchmarks and shutdown)."""
        return self.pool.wait(msecs)

    def _next_job(self) -> tuple[Hashable, Callable[[], object], int] | None:
        with self._lock:
            if self._stack:
                return self._stack.pop()
            self._running -= 1
            return None

    def _on_done(self, key: Hashable, preview: object, generation: int) -> None:
        if generation != self._generation:
            return
        with self._lock:
            self._asked.discard(key)
        self._memory[key] = preview
        while len(self._memory) > MEMORY_ITEMS:
            self._memory.popitem(last=False)
        self.ready.emit(key)
