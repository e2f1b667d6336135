"""Small widget factories every view shares, so the plots and hints look alike everywhere."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain_plot(**plot_args: object) -> pg.PlotWidget:
    """A white plot without pyqtgraph's context menu and auto-range button (they confuse users).

    ``plot_args`` go to ``pg.PlotWidget`` (a custom ``viewBox``, say).
    """
    plot = pg.PlotWidget(background="w", **plot_args)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    return plot


def hint_label(text: str = "", centred: bool = True) -> QLabel:
    """Grey, wrapped text: what a view says when it has nothing to draw, or a caption under it."""
    label = QLabel(text)
    if centred:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: #777")
    return label
