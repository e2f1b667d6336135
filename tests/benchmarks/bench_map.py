"""The map at 100 000 and 1 000 000 points: first paint and repaint after a pan, ours against a plain
pyqtgraph ``ScatterPlotItem`` in the same run, offscreen (``grab()`` forces a full paint).

``first paint`` is ``ScatterView.set_points`` (or ``setData``) plus the first paint; ``repaint`` is
one pan and its paint (the density map shows the previous image stretched); ``fresh image`` is the
pan until the new image, rendered off the GUI thread, is on screen. Medians of ``--runs`` pans.
``hover lookup`` is one nearest-point query (KD-tree), ``lasso`` the points inside a lasso (the
view finds them off the GUI thread; timed here directly).

``longest block`` rows: a 5 ms heartbeat timer on the GUI thread while the map takes its points (until
the first image is on screen; above 300 000 points it is made off the GUI thread), zooms in until fewer
than 50 000 points are in view, and while every point gets a new label (a moved dendrogram cut),
each until the new picture is painted; the longest gap between two ticks is the longest time the
GUI thread was busy in one piece. The plain item zooms by its own repaint and recolours with
``setBrush`` of one brush per point.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_map.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.views.map_tools import points_in_shape  # noqa: E402
from gui.views.scatter import ScatterView  # noqa: E402

SIZE = (1000, 700)


def blobs(n: int, k: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, k, n)
    centres = rng.uniform(-20, 20, size=(k + 1, 2))
    coords = centres[labels + 1] + rng.normal(scale=rng.uniform(0.5, 3, k + 1)[labels + 1, None], size=(n, 2))
    return coords.astype(np.float32), labels


def wait_for(signal, msecs: int = 10_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(msecs, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


class Heartbeat:
    """A 5 ms timer on the GUI thread; the longest gap between ticks is the longest block."""

    def __init__(self) -> None:
        self.longest, self._last = 0.0, time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest, self._last = max(self.longest, now - self._last), now

    def around(self, action, until=None, settle_ms: int = 300) -> float:
        """Run ``action`` with the timer going, wait for the ``until`` signal, then ``settle_ms``
        more (the paints that follow); the longest block in seconds."""
        self.longest, self._last = 0.0, time.perf_counter()
        self.timer.start()
        if until is not None:
            loop = QEventLoop()
            until.connect(loop.quit)
            QTimer.singleShot(0, action)
            QTimer.singleShot(30_000, loop.quit)
            loop.exec()
            until.disconnect(loop.quit)
        else:
            QTimer.singleShot(0, action)
        loop = QEventLoop()
        QTimer.singleShot(settle_ms, loop.quit)
        loop.exec()
        self.timer.stop()
        return self.longest


def zoom_rect(coords: np.ndarray, below: int = 50_000) -> tuple[tuple[float, float], tuple[float, float]]:
    """A view around the densest cluster's centre holding just under ``below`` points."""
    centre = np.median(coords[:2000], axis=0)
    d = np.abs(coords - centre).max(axis=1)
    half = float(np.sort(d)[min(below, len(d)) - 1]) * 0.98
    x, y = float(centre[0]), float(centre[1])
    return (x - half, x + half), (y - half, y + half)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def ours(coords: np.ndarray, labels: np.ndarray, runs: int) -> dict[str, float]:
    view = ScatterView()
    view.resize(*SIZE)
    view.show()
    QApplication.processEvents()

    def show() -> None:
        view.set_points(coords, labels)
        if view.density_image() is None and len(coords) > view.density_above:  # made off the GUI thread
            wait_for(view.density_ready)
        view.plot.grab()

    first = timed(show)
    beat = Heartbeat()
    lands = view.density_ready if len(coords) > view.density_above else None
    first_block = beat.around(lambda: view.set_points(coords, labels), lands)
    repaints, fresh = [], []
    for i in range(runs):
        step = 0.03 if i % 2 == 0 else -0.03
        start = time.perf_counter()
        view.view_box.translateBy(x=step * 40, y=step * 20)
        view.plot.grab()
        repaints.append(time.perf_counter() - start)
        if view.density_shown():
            wait_for(view.density_ready)
            view.plot.grab()
            fresh.append(time.perf_counter() - start)
    view._tree_runner.wait()
    QApplication.processEvents()
    view.fit_all()
    wait_for(view.density_ready)
    shuffled = np.random.default_rng(2).permutation(labels)
    lands = view.density_ready if view.density_shown() else None
    relabel = beat.around(lambda: view._redraw(shuffled), lands)
    view._density_runner.wait()
    QApplication.processEvents()  # nothing of the relabelling left to land during the zoom
    (x0, x1), (y0, y1) = zoom_rect(coords)
    zoom = beat.around(
        lambda: view.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0),
        view.density_ready if view.density_shown() else None,
    )
    view.fit_all()
    wait_for(view.density_ready)
    probes = coords[np.random.default_rng(1).integers(0, len(coords), 200)]
    hover = timed(lambda: [view.index_at(float(x), float(y)) for x, y in probes]) / len(probes)
    lasso = np.array([[-10, -10], [5, -12], [12, 3], [0, 10], [-12, 4]], dtype=float)
    points_in_shape(view._coords[:10], "lasso", lasso)  # matplotlib's import is not the lasso's time
    inside = timed(lambda: points_in_shape(view._coords, "lasso", lasso))
    result = {
        "first": first,
        "repaint": statistics.median(repaints),
        "fresh": statistics.median(fresh) if fresh else float("nan"),
        "hover": hover,
        "lasso": inside,
        "density": view.density_shown(),
        "first block": first_block,
        "zoom": zoom,
        "relabel": relabel,
    }
    view.close()
    view.deleteLater()
    return result


def plain(coords: np.ndarray, runs: int) -> dict[str, float]:
    plot = pg.PlotWidget()
    plot.resize(*SIZE)
    plot.show()
    QApplication.processEvents()
    item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(30, 120, 200, 230), hoverable=False)
    plot.addItem(item)
    first = timed(lambda: (item.setData(pos=coords), plot.getViewBox().autoRange(), plot.grab()))
    repaints = []
    for i in range(runs):
        step = 0.03 if i % 2 == 0 else -0.03
        repaints.append(
            timed(lambda s=step: (plot.getViewBox().translateBy(x=s * 40, y=s * 20), plot.grab()))
        )
    beat = Heartbeat()
    plot.getViewBox().autoRange()
    (x0, x1), (y0, y1) = zoom_rect(coords)
    zoom = beat.around(lambda: plot.getViewBox().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0))
    plot.getViewBox().autoRange()
    QApplication.processEvents()
    colours = [pg.mkBrush(*c) for c in np.random.default_rng(3).integers(0, 255, (13, 3))]
    brushes = [colours[i] for i in np.random.default_rng(2).integers(0, 13, len(coords))]
    relabel = beat.around(lambda: item.setBrush(brushes))
    plot.close()
    plot.deleteLater()
    return {"first": first, "repaint": statistics.median(repaints), "zoom": zoom, "relabel": relabel}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    print(
        "| points | map | first paint s | repaint after pan s | fresh image s | hover lookup ms | lasso s "
        "| longest block: first paint s | longest block: zoom in to < 50k s | longest block: new labels s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        coords, labels = blobs(n)
        a = ours(coords, labels, args.runs)
        b = plain(coords, args.runs)
        kind = "ScatterView (density)" if a["density"] else "ScatterView (markers)"
        print(
            f"| {n:,} | {kind} | {a['first']:.3f} | {a['repaint']:.3f} | {a['fresh']:.3f} "
            f"| {1000 * a['hover']:.2f} | {a['lasso']:.3f} | {a['first block']:.3f} | {a['zoom']:.3f} "
            f"| {a['relabel']:.3f} |"
        )
        print(
            f"| {n:,} | plain ScatterPlotItem | {b['first']:.3f} | {b['repaint']:.3f} | | | "
            f"| {b['first']:.3f} | {b['zoom']:.3f} | {b['relabel']:.3f} |"
        )


if __name__ == "__main__":
    main()
