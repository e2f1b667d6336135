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
EMBED = "embed"
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
DONE = "done"
STAGES: tuple[str, ...] = (
    INGEST, EMBED, ALIGN, REDUCE, CHOOSE_K, KMEANS, LINKAGE, DIVISIVE, MIXTURE_PREPARE, MIXTURE_FIT,
    PYCARET_SETUP, K_DISTANCE, MEMORY_CHECK, DBSCAN, HDBSCAN, LAYOUT, ANOMALY, NAME, DONE,
)  # fmt: skip
"""Every stage the engine reports."""


def stage_of(reported: str) -> str:
    """The stage constant of a reported stage (``"embed (text-minilm)"`` -> ``"embed"``)."""
    return reported.split(" (", 1)[0]


class Cancelled(Exception):
    """Raised inside a stage when the user asked to stop; the run ends without a result."""


class CancelToken:
    """A flag one thread sets and the engine polls between batches (thread-safe)."""

    def __init__(self) -> None:
        self._event = threading.Event()

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
