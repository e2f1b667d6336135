"""The map's density layer: above a number of shown points the map is an image of per-pixel counts
coloured by cluster, made with numpy off the GUI thread, instead of one marker per point.

Plain pyqtgraph markers cost about 2 µs each to build and to paint, so a million of them takes
seconds; an image of the view's size costs the same at any number of points. Each pixel's colour is
the mean of its points' cluster colours (so a pixel holding one cluster has that cluster's colour)
and its opacity grows with the logarithm of its count. When few enough points are in view the map
goes back to real markers for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

DENSITY_ABOVE = 50_000
"""Shown points above which the map is drawn as a density image (see tests/benchmarks/bench_map.py)."""

Rect = tuple[tuple[float, float], tuple[float, float]]
"""((x0, x1), (y0, y1)) in view coordinates."""

LEAST_ALPHA = 90
DIMMED = 0.22
"""Opacity factor of pixels holding no selected point while something is selected."""


@dataclass
class Density:
    """One rendered view: ``counts`` (h, w) points per pixel and ``rgba`` (h, w, 4) uint8, row 0 at
    the bottom of ``rect``."""

    counts: np.ndarray
    rgba: np.ndarray
    rect: Rect


@dataclass
class Markers:
    """The points to draw as markers for a view: their ``indices``, all the shown points in ``rect``."""

    indices: np.ndarray
    rect: Rect


def bin_points(coords: np.ndarray, rect: Rect, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(flat pixel index ``row * width + column``, point index) of the points inside ``rect``
    divided into ``size`` = (width, height) pixels; row 0 is the bottom (smallest y)."""
    (x0, x1), (y0, y1) = rect
    width, height = size
    column = (coords[:, 0] - x0) * (width / (x1 - x0))
    row = (coords[:, 1] - y0) * (height / (y1 - y0))
    inside = np.flatnonzero((column >= 0) & (column < width) & (row >= 0) & (row < height))
    return row[inside].astype(np.intp) * width + column[inside].astype(np.intp), inside


def render_density(
    coords: np.ndarray,
    colours: np.ndarray,
    shown: np.ndarray | None,
    rect: Rect,
    size: tuple[int, int],
    selected: np.ndarray | None = None,
) -> Density:
    """Aggregate the ``shown`` points (a mask; None: all) into an image of ``rect``.

    ``colours`` is (n, 3) float32, each point's cluster colour; ``selected`` a mask of the selected
    points: while it has any, pixels without a selected point are dimmed.
    """
    width, height = size
    pixels, index = bin_points(coords, rect, size)
    if shown is not None:
        keep = shown[index]
        pixels, index = pixels[keep], index[keep]
    n_pixels = width * height
    counts = np.bincount(pixels, minlength=n_pixels)
    filled = counts > 0
    rgba = np.zeros((n_pixels, 4), dtype=np.uint8)
    point_colours = colours[index]
    for channel in range(3):
        sums = np.bincount(pixels, weights=point_colours[:, channel], minlength=n_pixels)
        rgba[filled, channel] = np.rint(sums[filled] / counts[filled]).astype(np.uint8)
    if filled.any():
        level = np.log1p(counts[filled]) / np.log1p(counts.max())
        alpha = LEAST_ALPHA + (255 - LEAST_ALPHA) * level
        if selected is not None and selected[index].any():
            chosen = np.bincount(pixels[selected[index]], minlength=n_pixels)[filled] > 0
            alpha = np.where(chosen, alpha, alpha * DIMMED)
        rgba[filled, 3] = alpha.astype(np.uint8)
    return Density(counts.reshape(height, width), rgba.reshape(height, width, 4), rect)


def grown(rect: Rect, by: float) -> Rect:
    """``rect`` widened by ``by`` times its size on every side."""
    (x0, x1), (y0, y1) = rect
    dx, dy = by * (x1 - x0), by * (y1 - y0)
    return (x0 - dx, x1 + dx), (y0 - dy, y1 + dy)


def in_rect(coords: np.ndarray, rect: Rect, shown: np.ndarray | None) -> np.ndarray:
    """Mask of the ``shown`` points inside ``rect``."""
    (x0, x1), (y0, y1) = rect
    x, y = coords[:, 0], coords[:, 1]
    mask = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return mask if shown is None else mask & shown


def density_or_points(
    coords: np.ndarray,
    colours: np.ndarray,
    shown: np.ndarray | None,
    selected: np.ndarray | None,
    rect: Rect,
    size: tuple[int, int],
    above: int,
) -> Density | Markers:
    """What the map draws for this view: markers for the shown points around it (a margin of half
    the view, so a short pan finds them drawn) when at most ``above`` are there, else the image."""
    for margin in (0.5, 0.0):
        around = grown(rect, margin)
        near = in_rect(coords, around, shown)
        if np.count_nonzero(near) <= above:
            return Markers(np.flatnonzero(near), around)
    return render_density(coords, colours, shown, rect, size, selected)


class _Job(QRunnable):
    def __init__(self, runner: LatestRunner, work: Callable[[], object], ticket: int) -> None:
        super().__init__()
        self.runner, self.work, self.ticket = runner, work, ticket

    def run(self) -> None:
        if self.ticket != self.runner.ticket:  # a newer request came in while this one waited
            return
        self.runner.answered.emit(self.ticket, self.work())


class LatestRunner(QObject):
    """Runs callables on its own pool thread, one at a time; only the latest request's answer is
    delivered (``done(answer)`` on the GUI thread), older waiting requests are skipped."""

    answered = Signal(int, object)
    """Internal: emitted on the pool thread."""
    done = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ticket = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.answered.connect(self._on_answered)

    def request(self, work: Callable[[], object]) -> None:
        self.ticket += 1
        self._pool.start(_Job(self, work, self.ticket))

    def forget(self) -> None:
        """Drop the answers of every request made so far."""
        self.ticket += 1

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)

    def _on_answered(self, ticket: int, answer: object) -> None:
        if ticket == self.ticket:
            self.done.emit(answer)
