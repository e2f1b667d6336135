"""How k was chosen: silhouette and inertia against k (K-Means), or BIC and AIC against k (Gaussian
mixtures), with the chosen k (and, for K-Means, the elbow) marked, and below them the stability of
each k (prediction strength) with the line above which a k counts as stable: the rule that
usually decides (:mod:`engine.cluster.choose_k`), so a chosen k that is not the best silhouette's
shows why.

Shown when the Spec asks for automatic k, so the user can see how clear-cut the choice was and
pick another k in the settings panel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.views.plot_export import add_export_menus

_SILHOUETTE = (31, 119, 180)
_INERTIA = (255, 127, 14)
_CHOSEN = (214, 39, 40)
_BIC = (44, 160, 44)
_AIC = (148, 103, 189)
_STABILITY = (127, 127, 127)
STABLE = 0.8
"""engine.cluster.choose_k.STABLE, repeated so that the window does not import scikit-learn to draw
a line (a test keeps the two equal)."""


def _values(curve: Any, name: str, n: int) -> np.ndarray:
    raw = getattr(curve, name, None)
    if raw is None:
        return np.full(n, np.nan)
    return np.array([np.nan if v is None else float(v) for v in raw], dtype=float)


class KCurveView(QWidget):
    """Two stacked plots sharing the k axis: silhouette (higher is better) and inertia for K-Means,
    BIC and AIC (lower is better) for a mixture; ``silhouette_plot`` is the upper plot either way.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.silhouette_plot = self.graphics.addPlot(row=0, col=0)
        self.inertia_plot = self.graphics.addPlot(row=1, col=0)
        self.stability_plot = self.graphics.addPlot(row=2, col=0)
        for plot in (self.inertia_plot, self.stability_plot):
            plot.setXLink(self.silhouette_plot)
        self.silhouette_plot.setLabel("left", "silhouette")
        self.inertia_plot.setLabel("left", "inertia")
        self.stability_plot.setLabel("left", "stability")
        self.stability_plot.setLabel("bottom", "k")
        self.stability_plot.setYRange(0, 1.05, padding=0)
        self.stability_plot.setVisible(False)  # until a curve with measured stability comes
        for plot in (self.silhouette_plot, self.inertia_plot, self.stability_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.getAxis("left").enableAutoSIPrefix(False)  # "x0.001" scaling misleads on scores
        add_export_menus(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.chosen_k: int | None = None
        self.elbow_k: int | None = None
        self.criterion: str | None = None
        """``bic`` or ``aic`` while a mixture's curve is shown, else None."""

    def set_curve(self, curve: Any) -> None:
        """Draw a k curve; None clears.

        K-Means curves have ks, inertia, silhouette, best_k and elbow_k; mixture curves
        (:class:`engine.cluster.gmm.CriterionCurve`) have ks, bic, aic, best_k and criterion.
        """
        for plot in (self.silhouette_plot, self.inertia_plot, self.stability_plot):
            plot.clear()
        self.chosen_k = self.elbow_k = None
        self.criterion = None
        if curve is None or not len(getattr(curve, "ks", []) or []):
            return
        ks = np.asarray(list(curve.ks), dtype=float)
        self.chosen_k = getattr(curve, "best_k", None)
        if getattr(curve, "bic", None) is not None:
            self.criterion = str(getattr(curve, "criterion", "bic")).lower()
            upper, lower = ("bic", _BIC), ("aic", _AIC)
        else:
            self.elbow_k = getattr(curve, "elbow_k", None)
            upper, lower = ("silhouette", _SILHOUETTE), ("inertia", _INERTIA)
        self.silhouette_plot.setLabel("left", upper[0].upper() if self.criterion else upper[0])
        self.inertia_plot.setLabel("left", lower[0].upper() if self.criterion else lower[0])
        series = [
            (self.silhouette_plot, _values(curve, upper[0], len(ks)), upper[1]),
            (self.inertia_plot, _values(curve, lower[0], len(ks)), lower[1]),
        ]
        stability = _values(curve, "stability", len(ks)) if getattr(curve, "stability", None) else None
        measured = stability is not None and bool(np.isfinite(stability).any())
        self.stability_plot.setVisible(measured)
        self.inertia_plot.setLabel("bottom", "" if measured else "k")
        if measured:
            series.append((self.stability_plot, stability, _STABILITY))
            dotted = pg.mkPen(*_STABILITY, width=1, style=pg.QtCore.Qt.PenStyle.DotLine)
            self.stability_plot.addItem(pg.InfiniteLine(pos=STABLE, angle=0, pen=dotted))
        step = max(1, int(np.ceil(len(ks) / 12)))  # whole-number k ticks, at most about a dozen
        ticks = [[(float(k), str(int(k))) for k in ks[::step]]]
        for plot, values, colour in series:
            plot.getAxis("bottom").setTicks(ticks)
            ok = np.isfinite(values)
            plot.plot(
                ks[ok],
                values[ok],
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolSize=7,
                symbolBrush=colour,
                symbolPen=None,
            )
            if self.chosen_k is not None:
                plot.addItem(pg.InfiniteLine(pos=self.chosen_k, angle=90, pen=pg.mkPen(_CHOSEN, width=2)))
            if self.elbow_k is not None and self.elbow_k != self.chosen_k:
                dashed = pg.mkPen(120, 120, 120, width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
                plot.addItem(pg.InfiniteLine(pos=self.elbow_k, angle=90, pen=dashed))
        title = self._title(ks, stability if measured else None)
        self.silhouette_plot.setTitle(title, color="#444", size="9pt")

    def _title(self, ks: np.ndarray, stability: np.ndarray | None) -> str:
        """The chosen k, and on a second line the rule that chose it (the dock is narrow)."""
        if self.chosen_k is None:
            return ""
        chosen = np.flatnonzero(ks == self.chosen_k)
        by_stability = stability is not None and len(chosen) > 0 and stability[chosen[0]] >= STABLE
        why = []
        if self.criterion:
            among = "<br>among k above the dotted line" if by_stability else ""  # fits a narrow dock
            why.append(f"lowest {self.criterion.upper()}{among}")
        elif by_stability:
            why.append("most clusters above the dotted line")
        if self.elbow_k is not None and self.elbow_k != self.chosen_k:
            why.append(f"elbow at k = {self.elbow_k}, dashed")
        return "<br>".join([f"chosen k = {self.chosen_k}", *why])  # a line each: the dock is narrow
