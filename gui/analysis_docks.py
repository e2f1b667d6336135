"""The method-specific views (dendrogram, outliers, silhouette, DBSCAN radius) as docks of the window.

They all read the same Result and the window's one :class:`gui.view_state.ViewState`: selecting
items in any of them selects the same items everywhere, and moving the dendrogram's cut recolours
the map live, through the state and not through links between views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from engine.items import needing_a_look
from gui.item_dock import room_for
from gui.views.anomaly import AnomalyView
from gui.views.dendrogram import DendrogramView
from gui.views.k_distance import KDistanceView
from gui.views.silhouette import SilhouetteView

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.settings_panel import SettingsPanel
    from gui.view_state import ViewState


class AnalysisDocks(QObject):
    """Creates the docks on ``window``; their views share ``state``; k and eps edits go to the settings;
    ``problems`` is the window's Problems dock, which they share the bottom with."""

    def __init__(
        self, window: QMainWindow, state: ViewState, settings: SettingsPanel, problems: QDockWidget
    ) -> None:
        super().__init__(window)
        self.window, self.settings, self.problems_dock = window, settings, problems
        self.result: Result | None = None
        self._given_room: set[QDockWidget] = set()
        self._explains: QDockWidget | None = None
        """The dock raised for the last result (raised again only when another one suits a result)."""
        self.dendrogram = DendrogramView(state)
        self.anomaly = AnomalyView(state)
        self.silhouette = SilhouetteView(state)
        self.k_distance = KDistanceView()
        bottom, right = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.dendrogram_dock = self._dock("Dendrogram", self.dendrogram, bottom)
        self.anomaly_dock = self._dock("Outliers", self.anomaly, bottom)
        self.silhouette_dock = self._dock("Silhouette", self.silhouette, bottom)
        self.k_distance_dock = self._dock("DBSCAN radius", self.k_distance, right)

        self.dendrogram.cut_changed.connect(self._cut_moved)
        self.anomaly.item_activated.connect(self.open_item)
        self.k_distance.eps_chosen.connect(lambda eps: settings.edit(eps=float(eps)))

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(title.replace(" ", "") + "Dock")
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        return dock

    @property
    def docks(self) -> list[QDockWidget]:
        return [self.dendrogram_dock, self.anomaly_dock, self.silhouette_dock, self.k_distance_dock]

    def set_result(self, result: Result | None) -> None:
        """Show a new result (after the scatter has it); raise the dock that suits its method."""
        self.result = result
        for view in (self.dendrogram, self.anomaly, self.silhouette, self.k_distance):
            view.set_result(result)
        if result is None:
            return
        self.k_distance_dock.setVisible(result.spec.algorithm == "dbscan")
        dock = self._explaining(result)
        if dock is not None and dock is not self._explains:  # a tab the user picked since stays up
            self._raise(dock)
        self._explains = dock

    def _explaining(self, result: Result) -> QDockWidget | None:
        """The dock that explains ``result``: its tree, else its outlier scores, else the problems
        its input had (files of kinds not read are no problem), else its silhouettes."""
        if result.clustering.tree is not None:
            return self.dendrogram_dock
        if result.anomaly is not None:
            return self.anomaly_dock
        return self.problems_dock if needing_a_look(result.problems) else self.silhouette_dock

    def _raise(self, dock: QDockWidget) -> None:
        """Raise ``dock`` and, the first time it shows a plot, give it room (:func:`room_for`): the
        bottom docks open 170 px high for the problems list, which squashed the outlier histogram
        to a strip. A size the user chooses afterwards stays."""
        dock.raise_()
        if dock is self.problems_dock:
            return  # a list, not a plot: the height it opened with does
        room = room_for(self.window)
        if dock not in self._given_room and dock.height() < room:
            self.window.resizeDocks([dock], [room], Qt.Orientation.Vertical)
        self._given_room.add(dock)

    def _cut_moved(self, _labels: object, k: int) -> None:
        """Make the cut's k the setting (which re-clusters exactly); the map recolours through the state."""
        if self.result is not None and k != self.result.n_clusters:
            self.settings.edit(k=int(k))

    def open_item(self, index: int) -> None:
        """Open an item's file with the desktop's default program (double-click in a list)."""
        if self.result is not None and 0 <= index < len(self.result.analysed.items):
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.analysed.items[index].path)))
