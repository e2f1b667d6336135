"""The "Item" dock: shows the first selected item in the view that fits its kind (a clip's waveform
and spectrogram with a player, a time series over its cluster's band) and lets the map follow a
cluster being played.

The selection comes in through :meth:`ItemDock.show_selection` (a list of item indices, as every
view's ``selection_changed`` carries), so the dock works with whichever object owns the selection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from gui.views.spectrogram import SpectrogramView

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.pipeline import Result

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
    """Creates the dock on ``window``; ``select`` is called with ``[index]`` for each clip a playing
    cluster reaches (the map and the other views highlight it)."""

    def __init__(
        self, window: QMainWindow, select: Callable[[list[int]], None], space_target: QWidget
    ) -> None:
        super().__init__(window)
        self.result: Result | None = None
        self.window, self._select, self._space_target = window, select, space_target
        self._view: SpectrogramView | None = None
        self.dock = QDockWidget("Item", window)
        self.dock.setObjectName("ItemDock")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()

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
        """Show the first selected item (its cluster's clips are what "Play cluster" plays)."""
        result = self.result
        if result is None or not indices or result.modality not in SHOWN_MODALITIES:
            if self._view is not None:
                self._view.clear()
            return
        index = int(indices[0])
        items, labels = result.analysed.items, np.asarray(result.labels)
        members = np.flatnonzero(labels == labels[index]) if index < len(labels) else np.array([index])
        item = items[index]
        if result.modality == "audio":
            self.view.show_audio(item.path, [(int(j), items[j].path) for j in members])
            return
        from engine.item_view import series_band

        series = [result.analysed.series[items[j].id] for j in members]
        band = series_band(series, int(np.flatnonzero(members == index)[0]))
        cluster = f"cluster {labels[index]}" if index < len(labels) and labels[index] >= 0 else "noise"
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
