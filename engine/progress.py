"""Progress reporting and cancellation shared by every engine stage.

The engine never knows who listens: the GUI worker turns these calls into Qt signals, the CLI
prints them, tests record them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; called between batches of work.

``stage`` is one of the constants below, optionally followed by `` (detail)`` (the embedder's
name, say); :func:`stage_of` strips the detail. The window's stage labels are keyed by them.
"""

INGEST = "ingest"
LOAD_MODEL = "loading model"
"""An embedder's model read from disk before its first batch (seconds for a transformer)."""
COMPILE = "compiling"
"""numba code compiled (or read from its cache) before the first batch: catch22, MiniRocket."""
EMBED = "embed"
FEATURES = "features"
"""The second pass of an embedder fitted on the whole collection (TF-IDF, MiniRocket, a table's scaling)."""
ALIGN = "align"
"""Audio clips aligned pairwise by dynamic time warping (audio-dtw)."""
REDUCE = "reducing dimensions"
CHOOSE_K = "choose k"
KMEANS = "k-means"
LINKAGE = "linkage"
DIVISIVE = "divisive"
MIXTURE_PREPARE = "mixture: prepare"
MIXTURE_FIT = "mixture: fit"
PYCARET_SETUP = "DBSCAN: PyCaret setup"
K_DISTANCE = "k-distance curve"
MEMORY_CHECK = "DBSCAN: memory check"
DBSCAN = "DBSCAN"
HDBSCAN = "HDBSCAN"
LAYOUT = "layout"
ANOMALY = "anomaly"
NAME = "name"
METRICS = "metrics"
"""Silhouettes and the quality scores: seconds on a large collection, so it says so."""
DONE = "done"
STAGES: tuple[str, ...] = (
    INGEST, LOAD_MODEL, COMPILE, EMBED, FEATURES, ALIGN, REDUCE, CHOOSE_K, KMEANS, LINKAGE, DIVISIVE,
    MIXTURE_PREPARE, MIXTURE_FIT, PYCARET_SETUP, K_DISTANCE, MEMORY_CHECK, DBSCAN, HDBSCAN, LAYOUT, ANOMALY,
    NAME, METRICS, DONE,
)  # fmt: skip
"""Every stage the engine reports."""


def stage_of(reported: str) -> str:
    """The stage constant of a reported stage (``"embed (text-minilm)"`` -> ``"embed"``)."""
    return reported.split(" (", 1)[0]


class Throttle:
    """Lets through at most one report per ``interval_s``, and the first report of every stage.

    A new stage always passes: dropped, a model's loading would read as the stage before it.
    """

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stage: str | None = None
        self._last = float("-inf")

    def due(self, stage: str, now: float) -> bool:
        if stage != self._stage or now - self._last >= self.interval_s:
            self._stage, self._last = stage, now
            return True
        return False


class Meter:
    """Rate and time left of the stage being reported, from the progress calls themselves.

    The rate is measured from the first report of a stage (a new stage, or ``done`` going back,
    starts again), and only once half a second has passed, so that a burst of cached items at the
    start does not promise a finish that never comes.
    """

    MIN_SPAN_S = 0.5

    def __init__(self) -> None:
        self._stage: str | None = None
        self._start = (0.0, 0)
        self._last_done = 0

    def update(self, stage: str, done: int, total: int, now: float) -> tuple[float | None, float | None]:
        """``(items per second, seconds left)``; either is None while it cannot be known yet."""
        if stage != self._stage or done < self._last_done:
            self._stage, self._start = stage, (now, done)
        self._last_done = done
        began, first = self._start
        span = now - began
        if span < self.MIN_SPAN_S or done <= first:
            return None, None
        rate = (done - first) / span
        return rate, (max(total - done, 0) / rate if total > 0 else None)

    def describe(self, stage: str, done: int, total: int, now: float) -> str:
        """``"320/1000 · 45/s · 15 s left"``: what a status line shows after the stage's name."""
        rate, left = self.update(stage, done, total, now)
        parts = [f"{done}/{total}"] if total > 1 else []
        if rate is not None and total > 1:
            parts.append(f"{rate:.1f}/s" if rate < 10 else f"{rate:.0f}/s")
        if left is not None and done < total:
            parts.append(f"{left:.0f} s left" if left < 90 else f"{left / 60:.0f} min left")
        return " · ".join(parts)


class Cancelled(Exception):
    """Raised inside a stage when the user asked to stop; the run ends without a result."""


class CancelToken:
    """A flag one thread sets and the engine polls between batches (thread-safe).

    ``event`` may be a ``multiprocessing`` event, so that another process can set the flag.
    """

    def __init__(self, event: threading.Event | None = None) -> None:
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __deepcopy__(self, memo: dict) -> CancelToken:
        # Shared, never copied: a cloned estimator (sklearn.base.clone) must hear the same Cancel.
        return self

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def no_progress(stage: str, done: int, total: int) -> None:
    """Default progress sink: ignores every call."""


NEVER_CANCELLED = CancelToken()
"""Default token for callers that cannot cancel; nothing ever sets it."""
