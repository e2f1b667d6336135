"""Small widget factories every view shares, so the plots and hints look alike everywhere."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from gui.views.plot_export import add_export_menus


def plain_plot(**plot_args: object) -> pg.PlotWidget:
    """A white plot with a short right-click menu (view all, export) instead of pyqtgraph's own.

    pyqtgraph's auto-range button is hidden too (it confuses users). ``plot_args`` go to
    ``pg.PlotWidget`` (a custom ``viewBox``, say).
    """
    plot = pg.PlotWidget(background="w", **plot_args)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    add_export_menus(plot)
    return plot


def hint_label(text: str = "", centred: bool = True) -> QLabel:
    """Grey, wrapped text: what a view says when it has nothing to draw, or a caption under it."""
    label = QLabel(text)
    if centred:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: #777")
    return label
