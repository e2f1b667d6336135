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
from PySide6.QtCore import QObject, Signal

from gui.background import JobPool

DENSITY_ABOVE = 50_000
"""Shown points above which the map is drawn as a density image (see tests/benchmarks/bench_map.py)."""

Rect = tuple[tuple[float, float], tuple[float, float]]
"""((x0, x1), (y0, y1)) in view coordinates."""

LEAST_ALPHA = 90
DIMMED = 0.22
"""Opacity factor of what is not singled out (see :meth:`gui.view_state.ViewState.emphasis`)."""


@dataclass
class Density:
    """One rendered view: ``counts`` (h, w) points per pixel and ``rgba`` (h, w, 4) uint8, row 0 at
    the bottom of ``rect``."""

    counts: np.ndarray
    rgba: np.ndarray
    rect: Rect


@dataclass
class Markers:
    """The points to draw as markers for a view: their ``indices``, all the shown points in ``rect``;
    ``rgba`` (h, w, 4) uint8 once painted (:mod:`gui.views.marker_image`), row 0 at the bottom."""

    indices: np.ndarray
    rect: Rect
    rgba: np.ndarray | None = None


def pixel_index(xy: np.ndarray, rect: Rect, size: tuple[int, int]) -> np.ndarray:
    """Per point, its flat pixel index ``row * width + column`` in ``rect`` divided into ``size`` =
    (width, height) pixels, row 0 at the bottom (smallest y); ``width * height`` for points outside.

    ``xy`` is (2, n): the x and the y of every point, each contiguous (one pass per operation).
    """
    (x0, x1), (y0, y1) = rect
    width, height = size
    column = xy[0] - x0
    column *= width / (x1 - x0)
    row = xy[1] - y0
    row *= height / (y1 - y0)
    outside = column < 0
    outside |= column >= width
    outside |= row < 0
    outside |= row >= height
    # floor(row) * width + column truncates to the flat index of every point inside: one conversion.
    np.floor(row, out=row)
    row *= width
    row += column
    flat = row.astype(np.intp)
    np.copyto(flat, width * height, where=outside)
    return flat


def render_density(
    pixels: np.ndarray,
    channels: np.ndarray,
    size: tuple[int, int],
    rect: Rect,
    selected: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> Density:
    """Aggregate points by their ``pixels`` (from :func:`pixel_index`, hidden points set outside);
    ``counts`` is their ``bincount`` with the outside bin last, when already made.

    ``channels`` is (3, n) float64 (what ``bincount`` weighs with), each point's cluster colour;
    ``selected`` a mask of the points singled out (the selection, else the chosen clusters'): while
    it has any in view, pixels without one are dimmed.
    """
    width, height = size
    n_pixels = width * height
    if counts is None:
        counts = np.bincount(pixels, minlength=n_pixels + 1)
    counts = counts[:n_pixels]
    filled = np.flatnonzero(counts)
    rgba = np.zeros((n_pixels, 4), dtype=np.uint8)
    for channel in range(3):
        sums = np.bincount(pixels, weights=channels[channel], minlength=n_pixels + 1)[filled]
        rgba[filled, channel] = np.rint(sums / counts[filled]).astype(np.uint8)
    if len(filled):
        level = np.log1p(counts[filled]) / np.log1p(counts.max())
        alpha = LEAST_ALPHA + (255 - LEAST_ALPHA) * level
        if selected is not None:
            chosen = np.bincount(pixels[selected], minlength=n_pixels + 1)[filled] > 0
            if chosen.any():
                alpha = np.where(chosen, alpha, alpha * DIMMED)
        rgba[filled, 3] = alpha.astype(np.uint8)
    return Density(counts.reshape(height, width), rgba.reshape(height, width, 4), rect)


def grown(rect: Rect, by: float) -> Rect:
    """``rect`` widened by ``by`` times its size on every side."""
    (x0, x1), (y0, y1) = rect
    dx, dy = by * (x1 - x0), by * (y1 - y0)
    return (x0 - dx, x1 + dx), (y0 - dy, y1 + dy)


def density_or_points(
    xy: np.ndarray,
    channels: np.ndarray,
    shown: np.ndarray | None,
    selected: np.ndarray | None,
    rect: Rect,
    size: tuple[int, int],
    above: int,
) -> Density | Markers:
    """What the map draws for this view: markers for the ``shown`` points (a mask; None: all) around
    it when at most ``above`` are there, else the image. The markers cover a margin of half the view
    when that holds few enough, so a short pan finds them drawn."""
    outside = size[0] * size[1]
    pixels = pixel_index(xy, rect, size)
    if shown is not None:
        pixels[~shown] = outside
    counts = np.bincount(pixels, minlength=outside + 1)
    if len(pixels) - counts[outside] > above:
        return render_density(pixels, channels, size, rect, selected, counts)
    (x0, x1), (y0, y1) = around = grown(rect, 0.5)
    near = (xy[0] >= x0) & (xy[0] <= x1) & (xy[1] >= y0) & (xy[1] <= y1)
    if shown is not None:
        near &= shown
    if np.count_nonzero(near) <= above:
        return Markers(np.flatnonzero(near), around)
    return Markers(np.flatnonzero(pixels < outside), rect)


def _answer(runner: LatestRunner, work: Callable[[], object], ticket: int) -> None:
    if ticket != runner.ticket:  # a newer request came in while this one waited
        return
    runner.answered.emit(ticket, work())


class LatestRunner(QObject):
    """Runs callables on its own pool thread, one at a time; only the latest request's answer is
    delivered (``done(answer)`` on the GUI thread), older waiting requests are skipped."""

    answered = Signal(int, object)
    """Internal: emitted on the pool thread."""
    done = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ticket = 0
        self._pool = JobPool(1, "density")
        self.answered.connect(self._on_answered)

    def request(self, work: Callable[[], object]) -> None:
        self.ticket += 1
        ticket = self.ticket
        self._pool.start(lambda: _answer(self, work, ticket))

    def forget(self) -> None:
        """Drop the answers of every request made so far."""
        self.ticket += 1

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.wait(msecs)

    def _on_answered(self, ticket: int, answer: object) -> None:
        if ticket == self.ticket:
            self.done.emit(answer)
