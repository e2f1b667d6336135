"""Every plot's right-click menu exports the plot to PNG and SVG; pyqtgraph's own entries stay off."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from gui.main_window import MainWindow
from gui.views.plot_export import export_scene, plot_name


def _menu_texts(view: pg.GraphicsView) -> list[list[str]]:
    boxes = [item for item in view.scene().items() if isinstance(item, pg.ViewBox)]
    return [[a.text() for a in box.menu.actions() if a.text()] for box in boxes]


def test_every_plot_offers_only_view_all_and_exports(qtbot, make_result, fake_k_curve):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    views = {
        "map": window.scatter.plot,
        "choosing k": window.k_curve.graphics,
        **{dock.windowTitle(): dock.widget() for dock in window.analysis.docks},
    }
    for name, widget in views.items():
        graphics = widget if isinstance(widget, pg.GraphicsView) else widget.findChildren(pg.GraphicsView)[0]
        texts = _menu_texts(graphics)
        assert texts, name
        assert all(t == ["View all", "Export as PNG…", "Export as SVG…"] for t in texts), (name, texts)
        assert graphics.scene().contextMenu == []  # pyqtgraph's "Export..." dialog entry is off
    assert plot_name(window.scatter.plot) == "map"
    assert plot_name(window.analysis.docks[0].widget()) == window.analysis.docks[0].windowTitle().lower()


def test_a_plot_exports_to_png_and_svg(qtbot, tmp_path, make_result):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.resize(900, 700)
    window.show()
    qtbot.waitExposed(window)
    window._show_result(make_result(n=120, k=3))
    scene = window.scatter.plot.scene()
    png = export_scene(scene, tmp_path / "map.png")
    svg = export_scene(scene, tmp_path / "map.svg")
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100 and image.height() > 100
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and text.count("<path") >= 120  # one vector shape per point, not a pixmap
    assert export_scene(scene, tmp_path / "noext").suffix == ".png"


def test_a_right_click_on_the_map_opens_the_short_menu(qtbot, make_result):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window._show_result(make_result(n=60, k=3))
    plot = window.scatter.plot
    menu = plot.getPlotItem().getViewBox().menu
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.RightButton, pos=plot.viewport().rect().center())
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    menu.close()
