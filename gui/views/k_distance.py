"""DBSCAN's radius, shown and chosen: the sorted k-distance curve with eps as a draggable line.

Each point of the curve is one item's distance to its ``min_samples``-th nearest neighbour (itself
counted); DBSCAN makes an item a core point when that distance is at most eps, so the share of
the curve under the line is the share of core points. Dragging the line emits ``eps_chosen``; the
window puts that eps into the Spec and runs the clustering again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from gui.views.widgets import plain_plot

if TYPE_CHECKING:
    from engine.pipeline import Result

_CURVE = (31, 119, 180)
_EPS = (214, 39, 40)
_SUGGESTED = (120, 120, 120)


class KDistanceView(QWidget):
    """The k-distance curve of a DBSCAN result; a message for any other method."""

    eps_chosen = Signal(float)
    """A new eps the user picked by dragging the line (emitted when the drag ends)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = plain_plot()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "items, sorted by distance (%)")
        self.plot.setLabel("left", "k-th neighbour distance")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getPlotItem().getViewBox().setMouseEnabled(x=False, y=False)  # the drag is for eps
        self.curve_item = self.plot.plot([], [], pen=pg.mkPen(_CURVE, width=2))
        self.suggested_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(_SUGGESTED, width=1, style=Qt.PenStyle.DashLine)
        )
        self.eps_line = pg.InfiniteLine(
            angle=0, movable=True, pen=pg.mkPen(_EPS, width=2), hoverPen=pg.mkPen(_EPS, width=4)
        )
        self.eps_line.setCursor(Qt.CursorShape.SizeVerCursor)
        self.plot.setToolTip("Drag the red line to choose eps; DBSCAN then runs again with it.")
        self.eps_line.sigPositionChanged.connect(self._show_eps)
        self.eps_line.sigPositionChangeFinished.connect(self._eps_dropped)
        for line in (self.suggested_line, self.eps_line):
            line.setVisible(False)
            self.plot.addItem(line, ignoreBounds=True)

        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #666; padding: 12px;")
        self._stack = QStackedLayout()
        self._stack.addWidget(self.message)
        self._stack.addWidget(self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._stack)

        self._distances = np.zeros(0)
        self._k: int | None = None
        self._reported_eps: float | None = None
        self._show_message("Run DBSCAN to see its k-distance curve.")

    # ---- state the window and the tests read -------------------------------------------------
    @property
    def showing_curve(self) -> bool:
        return self._stack.currentWidget() is self.plot

    @property
    def eps(self) -> float | None:
        """The eps the line stands at, or None when no curve is shown."""
        return float(self.eps_line.value()) if self.showing_curve else None

    def core_share(self, eps: float | None = None) -> float:
        """Share of the curve's items that are core points at ``eps`` (default: the line's)."""
        eps = self.eps if eps is None else eps
        if eps is None or not len(self._distances):
            return 0.0
        return float(np.searchsorted(self._distances, eps, side="right") / len(self._distances))

    # ---- data ----------------------------------------------------------------------------------
    def set_result(self, result: Result | None) -> None:
        """Show the k-distance curve of a DBSCAN result; other results get a short message."""
        if result is None:
            self._show_message("Run DBSCAN to see its k-distance curve.")
            return
        algorithm = getattr(result.spec, "algorithm", "")
        curve = result.clustering.info.get("k_distance")
        if algorithm != "dbscan" or not curve:
            self._show_message(
                f"The k-distance curve chooses DBSCAN's radius (eps); this result was made with "
                f"{algorithm or 'another method'}. Choose DBSCAN in the settings to see it."
            )
            return
        eps = float(result.clustering.info.get("eps", curve.get("eps", curve.get("suggested_eps", 0.0))))
        self.set_curve(curve["distances"], eps, curve.get("suggested_eps"), curve.get("k"))

    def set_curve(
        self, distances: Any, eps: float, suggested: float | None = None, k: int | None = None
    ) -> None:
        """Draw sorted k-distances with the eps line (and the knee's eps, dashed, when it differs)."""
        y = np.sort(np.asarray(distances, dtype=float).reshape(-1))
        if not len(y):
            self._show_message("The k-distance curve is empty.")
            return
        self._distances, self._k = y, k
        x = np.linspace(0.0, 100.0, len(y))
        self.curve_item.setData(x, y)
        self._reported_eps = float(eps)
        self.eps_line.blockSignals(True)
        self.eps_line.setValue(float(eps))
        self.eps_line.blockSignals(False)
        self.eps_line.setVisible(True)
        knee_differs = suggested is not None and not np.isclose(float(suggested), float(eps))
        if knee_differs:
            self.suggested_line.setValue(float(suggested))
        self.suggested_line.setVisible(bool(knee_differs))
        self.eps_line.setBounds((max(float(y[0]), 1e-12), None))
        self._stack.setCurrentWidget(self.plot)
        top = max(float(y[-1]), float(eps)) * 1.05
        self.plot.setXRange(0, 100, padding=0.02)
        self.plot.setYRange(0, top if top > 0 else 1.0, padding=0)
        self._show_eps()

    def set_eps(self, eps: float) -> None:
        """Move the line without emitting ``eps_chosen`` (the Spec changed elsewhere)."""
        self.eps_line.blockSignals(True)
        self.eps_line.setValue(float(eps))
        self.eps_line.blockSignals(False)
        self._reported_eps = float(eps)
        self._show_eps()

    def clear(self) -> None:
        self._show_message("Run DBSCAN to see its k-distance curve.")

    # ---- internals -----------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self._distances = np.zeros(0)
        self.curve_item.setData([], [])
        self.eps_line.setVisible(False)
        self.suggested_line.setVisible(False)
        self._stack.setCurrentWidget(self.message)

    def _show_eps(self, *_: Any) -> None:
        if not self.showing_curve:
            return
        parts = [f"k = {self._k}"] if self._k else []
        parts += [f"eps = {self.eps:.4g}", f"{self.core_share():.0%} core points"]
        if self.suggested_line.isVisible():
            parts.append(f"knee {self.suggested_line.value():.4g} (dashed)")
        self.plot.setTitle(" · ".join(parts), color="#444", size="9pt")

    def _eps_dropped(self, *_: Any) -> None:
        eps = self.eps
        if (
            eps is None
            or eps <= 0
            or (self._reported_eps is not None and np.isclose(eps, self._reported_eps))
        ):
            return
        self._reported_eps = eps
        self.eps_chosen.emit(eps)
