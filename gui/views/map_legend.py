"""The map's legend, beside the plot rather than over the points: one checkable entry per cluster
(unchecking hides it, through the view state; clicking its name chooses it, as in the cluster list)
and entries that explain the outlier and uncertainty rings when the map draws them."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QListWidget, QListWidgetItem, QWidget

ICON = 14
OUTLIER_RING = (200, 30, 30)
UNCERTAIN_RING = (60, 60, 60)


def dot_icon(rgb: tuple[int, int, int]) -> QIcon:
    return _icon(QColor(*rgb), None)


def ring_icon(rgb: tuple[int, int, int], dotted: bool) -> QIcon:
    return _icon(None, QPen(QColor(*rgb), 1.6, Qt.PenStyle.DotLine if dotted else Qt.PenStyle.SolidLine))


def _icon(fill: QColor | None, pen: QPen | None) -> QIcon:
    pixmap = QPixmap(ICON, ICON)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(pen if pen is not None else QPen(QColor(255, 255, 255), 0.8))
    if fill is not None:
        painter.setBrush(fill)
    painter.drawEllipse(2, 2, ICON - 4, ICON - 4)
    painter.end()
    return QIcon(pixmap)


class MapLegend(QListWidget):
    """Cluster entries (checkable) then ring entries; ``visibility_toggled(cluster, visible)``,
    ``cluster_clicked(cluster, additive)`` for a click on a name (``additive``: with Ctrl)."""

    visibility_toggled = Signal(int, bool)
    cluster_clicked = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(QSize(ICON, ICON))
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        # Names are phrases ("high income, high avg_basket"): wrap them rather than hide them
        # behind a scroll bar; the tooltip still has the whole name.
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMaximumWidth(200)
        self.setMinimumWidth(120)
        self.setToolTip("Click a cluster to bring it forward (Ctrl+click: several); untick it to hide it.")
        self.itemChanged.connect(self._on_item_changed)
        self.itemClicked.connect(self._on_item_clicked)
        self._toggled = False
        """The click being handled ticked or unticked its entry (then it chooses nothing)."""
        # White like the plot beside it, in a dark theme too: the map reads as one figure, and the
        # grey uncertainty ring stays visible.
        paper = self.palette()
        for role, colour in ((QPalette.ColorRole.Base, "#ffffff"), (QPalette.ColorRole.Text, "#141414")):
            paper.setColor(role, QColor(colour))
        self.setPalette(paper)

    def set_entries(
        self, clusters: list[tuple[int, str, tuple[int, int, int], bool]], outliers: bool, uncertain: bool
    ) -> None:
        """``clusters``: (id, text, colour, visible) in display order; rings listed when drawn."""
        self.blockSignals(True)
        try:
            self.clear()
            for cluster, text, rgb, visible in clusters:
                item = QListWidgetItem(dot_icon(rgb), text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.UserRole, cluster)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
                self.addItem(item)
            rings = [
                (outliers, ring_icon(OUTLIER_RING, False), "outlier", "Scores above the outlier threshold."),
                (
                    uncertain,
                    ring_icon(UNCERTAIN_RING, True),
                    "uncertain",
                    "Top mixture probability below 0.8.",
                ),
            ]
            for shown, icon, text, tip in rings:
                if shown:
                    item = QListWidgetItem(icon, text)
                    item.setToolTip(tip)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    self.addItem(item)
        finally:
            self.blockSignals(False)

    def set_visible_clusters(self, hidden: frozenset[int]) -> None:
        """Tick every cluster except the hidden ones (the state changed elsewhere)."""
        self.blockSignals(True)
        try:
            for row in range(self.count()):
                item = self.item(row)
                cluster = item.data(Qt.ItemDataRole.UserRole)
                if cluster is not None:
                    shown = int(cluster) not in hidden
                    item.setCheckState(Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)
        finally:
            self.blockSignals(False)

    def cluster_texts(self) -> list[str]:
        return [t for t, c in self._rows() if c is not None]

    def ring_texts(self) -> list[str]:
        return [t for t, c in self._rows() if c is None]

    def _rows(self) -> list[tuple[str, int | None]]:
        items = [self.item(row) for row in range(self.count())]
        return [(item.text(), item.data(Qt.ItemDataRole.UserRole)) for item in items]

    def set_focused(self, focused: frozenset[int]) -> None:
        """Write the chosen clusters' names in bold."""
        blocked = self.blockSignals(True)  # a new font is an item change, not a tick
        for row in range(self.count()):
            item = self.item(row)
            cluster = item.data(Qt.ItemDataRole.UserRole)
            font = QFont(self.font())
            font.setBold(cluster is not None and int(cluster) in focused)
            item.setFont(font)
        self.blockSignals(blocked)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        cluster = item.data(Qt.ItemDataRole.UserRole)
        if cluster is not None:
            self._toggled = True
            self.visibility_toggled.emit(int(cluster), item.checkState() == Qt.CheckState.Checked)

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        cluster, toggled, self._toggled = item.data(Qt.ItemDataRole.UserRole), self._toggled, False
        if cluster is not None and not toggled:
            additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
            self.cluster_clicked.emit(int(cluster), additive)
