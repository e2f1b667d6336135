"""Progress reporting and cancellation shared by every engine stage.

The engine never knows who listens: the GUI worker turns these calls into Qt signals, the CLI
prints them, tests record them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; called between batches of work.

``stage`` is one of the constants below, optionally followed by `` (detail)`` (the embedder's
name, say); :func:`stage_of` strips the detail. The window's stage labels are keyed by them.
"""

INGEST = "ingest"
LOAD_MODEL = "loading model"
"""An embedder's model read from disk before its first batch (seconds for a transformer)."""
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
    INGEST, LOAD_MODEL, EMBED, FEATURES, ALIGN, REDUCE, CHOOSE_K, KMEANS, LINKAGE, DIVISIVE,
    MIXTURE_PREPARE, MIXTURE_FIT, PYCARET_SETUP, K_DISTANCE, MEMORY_CHECK, DBSCAN, HDBSCAN, LAYOUT, ANOMALY,
    NAME, METRICS, DONE,
)  # fmt: skip
"""Every stage the engine reports."""


def detailed(stage: str, detail: str) -> str:
    """``"HDBSCAN (trying min_cluster_size 8: tree)"``: a stage constant and what it is doing now."""
    return f"{stage} ({detail})"


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


ESTIMATE_STEPS = 100
"""An estimated stage reports ``done`` out of this many steps (a percentage)."""
ESTIMATE_SHARE = 0.9
"""Share of the steps reached at the expected time; the rest is approached but never reached."""


def estimated_steps(elapsed_s: float, expected_s: float) -> int:
    """Steps done after ``elapsed_s`` of a call expected to take ``expected_s``: never the last one.

    Linear up to 90 % at the expected time (so the rate and time left read right when the model
    is), then ever slower, so that a call slower than expected still moves and never looks done.
    """
    expected_s = max(expected_s, 1e-3)
    if elapsed_s <= expected_s:
        share = ESTIMATE_SHARE * elapsed_s / expected_s
    else:
        over = (elapsed_s - expected_s) / expected_s
        share = ESTIMATE_SHARE + (1 - ESTIMATE_SHARE) * (1 - math.exp(-over))
    return min(ESTIMATE_STEPS - 1, int(share * ESTIMATE_STEPS))


class Ticker:
    """Reports time-based progress from a small thread while one opaque library call runs.

    Used as ``with Ticker(progress, "HDBSCAN (estimate)", expected_s): model.fit(X)``. The thread
    sleeps between reports (releasing the interpreter lock) and never touches the work's data, so
    the call runs at full speed. It stops when the block ends, on success, error or Cancel; an
    exception from ``progress`` (Cancel heard by the sink) stops the reports, and the caller hears
    the Cancel after the call returns.
    """

    def __init__(self, progress: Progress, stage: str, expected_s: float, interval_s: float = 0.25) -> None:
        self.progress = progress
        self.stage = stage
        self.expected_s = expected_s
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"progress ticker: {stage}", daemon=True)
        self._start = 0.0

    def __enter__(self) -> Ticker:
        self._start = time.monotonic()
        self.progress(self.stage, 0, ESTIMATE_STEPS)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            done = estimated_steps(time.monotonic() - self._start, self.expected_s)
            try:
                self.progress(self.stage, done, ESTIMATE_STEPS)
            except Exception:  # noqa: BLE001 - Cancel (or a broken sink): stop reporting, the call goes on
                return


class CostModel:
    """Seconds a library call takes, ``seconds_per_unit * work(n, d)``, learnt from each finished call.

    The starting rate was measured on a 2-core laptop; after a call finishes, the rate it showed
    replaces it, so that the next estimate in the same engine process fits this machine and its load.
    """

    def __init__(self, seconds_per_unit: float, work: Callable[[int, int], float]) -> None:
        self.seconds_per_unit = seconds_per_unit
        self.work = work

    def expected_s(self, n: int, d: int) -> float:
        return self.seconds_per_unit * self.work(n, d)

    def learn(self, n: int, d: int, seconds: float) -> None:
        work = self.work(n, d)
        if work > 0 and seconds > 0.05:  # shorter calls are mostly fixed overhead
            self.seconds_per_unit = seconds / work


@contextmanager
def estimated(
    progress: Progress, stage: str, model: CostModel, n: int, d: int, detail: str = ""
) -> Iterator[None]:
    """Runs the block under a :class:`Ticker` reporting ``stage (detail, estimate)``; learns its time."""
    label = detailed(stage, f"{detail}, estimate" if detail else "estimate")
    start = time.monotonic()
    with Ticker(progress, label, model.expected_s(n, d)):
        yield
    model.learn(n, d, time.monotonic() - start)


def no_progress(stage: str, done: int, total: int) -> None:
    """Default progress sink: ignores every call."""


NEVER_CANCELLED = CancelToken()
"""Default token for callers that cannot cancel; nothing ever sets it."""
