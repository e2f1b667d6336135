"""Every plot's right-click menu: *View all*, *Export as PNG…* and *Export as SVG…*.

pyqtgraph's own entries (axis ranges, mouse modes, the plot options and its export dialog listing
scene items) stay off: they confuse more than they help. Only the ViewBox's menu is switched on,
emptied, and given these entries; the whole widget is exported, legend and axes included.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QAction, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QDockWidget, QFileDialog, QGraphicsScene, QWidget

FORMATS = "PNG image (*.png);;SVG drawing (*.svg)"


def export_scene(scene: QGraphicsScene, path: str | Path) -> Path:
    """Write what the plot widget shows to ``path``: SVG for ``.svg``, else PNG (suffix added)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_suffix(".png")
    if path.suffix.lower() == ".svg":
        _write_svg(scene, path)
    else:
        from pyqtgraph.exporters import ImageExporter  # on first export: the window opens faster

        ImageExporter(scene).export(str(path))
    return path


def _write_svg(scene: QGraphicsScene, path: Path) -> None:
    """Qt's own SVG writer: pyqtgraph's SVGExporter fails on the path syntax of current Qt versions.

    pyqtgraph's export mode is switched on around the drawing so points are drawn as shapes, not
    as cached pixmaps.
    """
    view = scene.getViewWidget()
    source = view.viewportTransform().inverted()[0].mapRect(QRectF(view.rect()))
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(view.size())
    generator.setViewBox(view.rect())
    generator.setTitle(path.stem)
    from pyqtgraph.exporters import Exporter

    painter = QPainter(generator)
    modes = Exporter(scene)
    try:
        modes.setExportMode(True, {"painter": painter, "antialias": True, "background": None})
        scene.render(painter, QRectF(view.rect()), source)
    finally:
        modes.setExportMode(False)
        painter.end()


def plot_name(widget: QWidget | None) -> str:
    """A file name for the plot: its dock's title ("Silhouette", "Outliers"), or "map" in the centre."""
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    title = widget.windowTitle() if widget is not None else "map"
    title = re.sub(r"\s*\(.*\)$", "", title)  # "Problems (3)": drop the count
    return re.sub(r"[^\w-]+", "-", title).strip("-").lower() or "plot"


def add_export_menus(view: pg.GraphicsView) -> None:
    """Give every plot in a pyqtgraph widget the short right-click menu (after its plots are added)."""
    scene = view.scene()
    if isinstance(scene, pg.GraphicsScene):
        scene.contextMenu = []  # the "Export..." entry pyqtgraph appends to every menu; ours replace it
    for item in scene.items():
        if isinstance(item, pg.ViewBox):
            _short_menu(item)


def _short_menu(view_box: pg.ViewBox) -> None:
    view_box.setMenuEnabled(True)
    menu = view_box.menu
    menu.clear()  # pyqtgraph's entries; its own widgets stay alive but unseen
    view_all = QAction("View all", menu)
    view_all.triggered.connect(lambda: view_box.autoRange())
    menu.addAction(view_all)
    menu.addSeparator()
    for suffix in ("png", "svg"):
        action = QAction(f"Export as {suffix.upper()}…", menu)
        action.triggered.connect(lambda _=False, s=suffix: _ask_and_export(view_box, s))
        menu.addAction(action)


def _ask_and_export(view_box: pg.ViewBox, suffix: str) -> None:
    scene = view_box.scene()
    widget = scene.getViewWidget()
    default = str(Path.home() / f"{plot_name(widget)}.{suffix}")
    chosen, _ = QFileDialog.getSaveFileName(
        widget, "Export plot", default, FORMATS, "SVG drawing (*.svg)" if suffix == "svg" else ""
    )
    if chosen:
        export_scene(scene, chosen)
