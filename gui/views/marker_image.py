"""Markers for the points in view, painted into an image off the GUI thread.

When the map of a large result is zoomed in until few enough points are in view, it shows them as
markers again. Building pyqtgraph marker items for tens of thousands of points takes the GUI thread
about half a second; painting the same markers with ``QPainter`` into a ``QImage`` is allowed on a
worker thread, so the map swaps one image for another and the GUI thread only shows it. Hover,
click and lasso never read what is drawn (they search the coordinates), so they work the same.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from gui.views.density import DIMMED, Markers, Rect

CHUNK = 4_096
"""Points per ``drawPoints`` call: the call holds Python's lock, so the GUI thread waits at most one."""
SOURCE = QPainter.CompositionMode.CompositionMode_Source
OVER = QPainter.CompositionMode.CompositionMode_SourceOver


def point_size(n: int) -> int:
    """Marker diameter in pixels for ``n`` shown markers (smaller when many crowd the map)."""
    return 8 if n <= 2_000 else 6 if n <= 20_000 else 4


def _pen(rgba: tuple[int, int, int, int], width: float) -> QPen:
    pen = QPen(QColor(*rgba))
    pen.setWidthF(width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)  # a wide round-capped point is a filled disc
    return pen


def render_markers(
    markers: Markers,
    xy: np.ndarray,
    labels: np.ndarray,
    colours: dict[int, tuple[int, int, int]],
    selected: np.ndarray | None,
    pixel: tuple[float, float],
) -> Markers:
    """``markers`` with ``rgba`` filled in: its points painted over ``markers.rect`` at ``pixel`` =
    (width, height) of one screen pixel in view units, row 0 at the bottom like the density image.

    Looks like the marker items: clusters in id order, noise first and smaller, a white outline when
    few; while some shown point is ``selected`` (a mask), the others are faded.
    """
    (x0, x1), (y0, y1) = markers.rect
    width = max(1, min(8_192, round((x1 - x0) / pixel[0])))
    height = max(1, min(8_192, round((y1 - y0) / pixel[1])))
    image = QImage(width, height, QImage.Format.Format_RGBA8888)
    image.fill(0)
    indices = markers.indices
    n = len(indices)
    size = point_size(n)
    chosen = None
    if selected is not None and selected[indices].any():
        chosen = selected[indices]
    px = (xy[0, indices] - x0) * (width / (x1 - x0))
    py = (xy[1, indices] - y0) * (height / (y1 - y0))
    ids = labels[indices]
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, n <= 20_000)
    for cluster in sorted(np.unique(ids).tolist(), key=lambda c: (c >= 0, c)):  # noise drawn first
        alpha = 150 if cluster < 0 else 230
        diameter = size if cluster >= 0 else max(3, size - 2)
        mine = ids == cluster
        groups = [(mine, alpha)]
        if chosen is not None:  # the faded first, so the selected sit on top
            groups = [(mine & ~chosen, int(alpha * DIMMED)), (mine & chosen, alpha)]
        for where, opacity in groups:
            # The fill replaces what is under it (the outline, other markers) instead of blending,
            # so a marker shows its cluster's colour as a marker item does.
            pens = [(_pen((*colours.get(cluster, (128, 128, 128)), opacity), diameter), SOURCE)]
            if n <= 5_000:
                pens.insert(0, (_pen((255, 255, 255, min(160, opacity)), diameter + 1.6), OVER))
            x, y = np.ascontiguousarray(px[where]), np.ascontiguousarray(py[where])
            for start in range(0, len(x), CHUNK):
                polygon = pg.functions.arrayToQPolygonF(x[start : start + CHUNK], y[start : start + CHUNK])
                for pen, mode in pens:
                    painter.setCompositionMode(mode)
                    painter.setPen(pen)
                    painter.drawPoints(polygon)
    painter.end()
    rgba = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(height, image.bytesPerLine() // 4, 4)
    return Markers(indices, markers.rect, rgba[:, :width].copy())


def covers(markers: Markers, view: Rect, pixel: tuple[float, float]) -> bool:
    """Whether the image ``markers`` shows every part of ``view`` at its scale (a pan inside it
    needs no new image; a zoom does, or the markers would look stretched)."""
    if markers.rgba is None:
        return False
    (x0, x1), (y0, y1) = markers.rect
    (a0, a1), (b0, b1) = view
    height, width = markers.rgba.shape[:2]
    scale = ((x1 - x0) / width / pixel[0], (y1 - y0) / height / pixel[1])
    same_scale = all(abs(s - 1) < 0.02 for s in scale)
    return same_scale and x0 <= a0 and a1 <= x1 and y0 <= b0 and b1 <= y1
