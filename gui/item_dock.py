"""The "Item" dock: shows the first selected item in the view that fits its kind (a clip's waveform
and spectrogram with a player, a time series over its cluster's band) and lets the map follow a
cluster being played. With nothing selected it shows the most typical member of the cluster chosen
in the cluster list, so that *Play cluster* goes through that cluster, most typical first.

It reads the selection and the chosen clusters from the view state and selects the clips a playing
cluster reaches through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from engine.members import typicality_order
from gui.views.spectrogram import SpectrogramView

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.view_state import ViewState

SHOWN_MODALITIES = ("audio", "timeseries")
ROOM = 330
"""Pixels high a bottom dock is given when it first shows a plot: a spectrogram needs room for its
frequency ticks, a dendrogram and the outlier histogram for their shapes."""
ROOM_SHARE = 3
"""...but at most a third of the window: on a 1366 x 768 laptop 330 px left the map 360."""


def room_for(window: QWidget) -> int:
    """The height a bottom dock showing a plot is given in ``window`` (:data:`ROOM`, :data:`ROOM_SHARE`)."""
    return min(ROOM, window.height() // ROOM_SHARE)


class ItemDock(QObject):
    """Creates the dock on ``window``; each clip a playing cluster reaches is selected in ``state`` (the
    map and the other views highlight it); the space bar plays from ``space_target`` too."""

    def __init__(self, window: QMainWindow, state: ViewState, space_target: QWidget) -> None:
        super().__init__(window)
        self.result: Result | None = None
        self.window, self.state, self._space_target = window, state, space_target
        self._view: SpectrogramView | None = None
        self.dock = QDockWidget("Item", window)
        self.dock.setObjectName("ItemDock")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        state.selection_changed.connect(lambda rows, _source: self.show_selection(list(rows)))
        state.focus_changed.connect(lambda _clusters, _source: self._show_chosen())

    def _select(self, rows: list[int]) -> None:
        self.state.select(rows, source=self)

    @property
    def view(self) -> SpectrogramView:
        """The view, built on first need: a table-only session never pays for its plots and player."""
        if self._view is None:
            self._view = view = SpectrogramView()
            self.dock.setWidget(view)
            view.current_item_changed.connect(lambda index: index >= 0 and self._select([index]))
            view.message.connect(lambda text: self.window.statusBar().showMessage(text, 8000))
            # The space bar plays and stops from the map too, where the user's eyes are.
            shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self._space_target)
            shortcut.setWhatsThis("Play / stop the selected clip")
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(view.bar.toggle)
        return self._view

    def set_result(self, result: Result | None) -> None:
        """A new result: the dock appears for audio and time series, and shows nothing selected yet.

        It comes to the front with room for its plots when it appears; while it stays (another k,
        another method), the tab and the height the user chose stay too.
        """
        self.result = result
        shown = result is not None and result.modality in SHOWN_MODALITIES
        if shown or self._view is not None:
            self.view.clear()
        appears = shown and self.dock.isHidden()
        self.dock.setVisible(shown)
        if appears:
            self.dock.raise_()
            self.window.resizeDocks([self.dock], [room_for(self.window)], Qt.Orientation.Vertical)

    def show_selection(self, indices: list[int]) -> None:
        """Show the first selected item (its cluster's clips are what "Play cluster" plays); with
        nothing selected, the chosen cluster's most typical member."""
        result = self.result
        if result is None or result.modality not in SHOWN_MODALITIES:
            return
        if not indices:
            self._show_chosen()
            return
        index = int(indices[0])
        labels = self._labels()
        self._show(
            index, np.flatnonzero(labels == labels[index]) if index < len(labels) else np.array([index])
        )

    def _labels(self) -> np.ndarray:
        """The clusters as shown (a moved dendrogram cut included)."""
        labels = self.state.labels
        return labels if len(labels) == len(self.result.analysed.items) else np.asarray(self.result.labels)

    def _show_chosen(self) -> None:
        """With nothing selected: the most typical member of the first chosen cluster, its cluster's
        members in order of typicality (what Play cluster goes through), else nothing."""
        result = self.result
        if result is None or result.modality not in SHOWN_MODALITIES or len(self.state.selected):
            return
        labels = self._labels()
        rows = np.flatnonzero(labels == min(self.state.focused)) if self.state.focused else []
        if len(rows):
            members = typicality_order(result.embeddings, rows)
            self._show(int(members[0]), members)
        elif self._view is not None:
            self._view.clear()

    def _show(self, index: int, members: np.ndarray) -> None:
        """Show item ``index`` with ``members`` as its cluster, in playing order."""
        result = self.result
        items, labels = result.analysed.items, self._labels()
        item = items[index]
        if result.modality == "audio":
            self.view.show_audio(item.path, [(int(j), items[j].path) for j in members])
            return
        from engine.item_view import series_band

        series = [result.analysed.series[items[j].id] for j in members]
        band = series_band(series, int(np.flatnonzero(members == index)[0]))
        cluster = (
            self.state.name_of(int(labels[index])) if index < len(labels) and labels[index] >= 0 else "noise"
        )
        name = f"{item.display_name} ({cluster}, {band.members} series)"
        self.view.show_series(band.values, band.mean, band.sd, name)

    def play_row(self, row: int) -> None:
        """Play one clip from the start (a play button in the cluster panel), shown here as it plays."""
        if self.result is None or self.result.modality != "audio":
            return
        self._select([row])
        self.view.player.play(self.result.analysed.items[row].path)

    def shutdown(self) -> None:
        if self._view is not None:
            self._view.shutdown()
