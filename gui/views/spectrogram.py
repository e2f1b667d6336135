"""The item view: the selected clip's waveform above its mel spectrogram, or a time series over its
cluster's mean and spread.

As in audio editors: one time axis in seconds for both plots, a frequency axis in Hz/kHz whose
ticks follow the mel spacing, a dB colour bar, a playhead that moves while the clip plays, and a
click that plays from that point. The spectrogram is computed on a worker thread
(:mod:`engine.item_view`, a few tens of ms for a minute of audio) and the last few are cached by
path and modification time; the answer for an item no longer shown is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from gui.audio import AudioPlayer, cache_key
from gui.background import Background
from gui.views.player_bar import PlayerBar
from gui.views.widgets import hint_label, plain_plot

CACHED_VIEWS = 16
AXIS_WIDTH = 52
"""Both plots' left axes are this wide, so their time axes line up."""
MAJOR_HZ = (100, 1000, 10000)
MINOR_HZ = (50, 200, 500, 2000, 5000, 20000)
"""Labelled where there is room: pyqtgraph skips a label that would overlap one of a higher level."""
NOTHING_SHOWN = "Select a clip or series on the map, or choose a cluster in the list, to see it here."
_PLAYHEAD = pg.mkPen(214, 39, 40, width=2)
_WAVE = (31, 119, 180)


def compute_clip(path: Path) -> Any:
    """The worker thread's job (imported there: the window opens without the engine's audio code)."""
    from engine.item_view import clip_view

    return clip_view(path)


def frequency_ticks(band_hz: np.ndarray, hz: Sequence[int]) -> list[tuple[float, str]]:
    """Positions on the band axis (band ``i`` drawn from ``i`` to ``i + 1``) of the frequencies ``hz``."""
    rows = np.arange(len(band_hz)) + 0.5
    wanted = [f for f in hz if band_hz[0] <= f <= band_hz[-1]]
    return [(float(np.interp(f, band_hz, rows)), f"{f // 1000}k" if f >= 1000 else str(f)) for f in wanted]


class SpectrogramView(QWidget):
    """Shows one item; owns the audio player and its bar so click-to-play and the playhead work."""

    ready = Signal()
    """The current item has been drawn, or the reason it cannot be shown."""
    current_item_changed = Signal(int)
    """Item index of the playlist clip now playing (-1 when the list ends), for the map to highlight."""
    message = Signal(str)
    """A line for the status bar (a skipped clip)."""

    def __init__(self, player: AudioPlayer | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player or AudioPlayer(self)
        self.bar = PlayerBar(self.player)
        self.caption = hint_label(centred=False)
        self.bar.layout().insertWidget(4, self.caption, 1)
        self.hint = hint_label(NOTHING_SHOWN)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.wave = self.graphics.addPlot(row=0, col=0)
        self.spec = self.graphics.addPlot(row=1, col=0)
        self.wave.setMaximumHeight(90)  # the spectrogram gets the rest
        for plot in (self.wave, self.spec):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=True, y=False)
            plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.wave.setXLink(self.spec)
        self.wave.getAxis("bottom").setStyle(showValues=False)
        self.wave.getAxis("left").setTicks([[(0.0, "0")]])
        self.spec.setLabel("bottom", "time (s)")
        self.spec.getAxis("bottom").enableAutoSIPrefix(False)  # seconds, never "(x0.001)"
        self.spec.setLabel("left", "Hz")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.spec.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(colorMap="viridis", label="dB", interactive=False, width=14)
        self.colour_bar.setImageItem(self.image)
        self.graphics.addItem(self.colour_bar, row=1, col=1)
        self.wave_curve = pg.PlotDataItem(pen=pg.mkPen(_WAVE), connect="pairs")
        self.wave.addItem(self.wave_curve)
        # Digital silence gives zero-height envelope columns: without this line it looked like the
        # clip ended early (a spoken word's trailing silence left a third of the plot blank).
        self.wave.addItem(pg.InfiniteLine(0.0, 0, pen=pg.mkPen(_WAVE)))
        self.playheads = [pg.InfiniteLine(0.0, 90, pen=_PLAYHEAD) for _ in range(2)]
        for plot, line in zip((self.wave, self.spec), self.playheads, strict=True):
            plot.addItem(line)
            line.setZValue(10)
        self.series = plain_plot()
        self.series.setLabel("bottom", "step")

        self.stack = QStackedWidget()
        for page in (self.hint, self.graphics, self.series):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.bar)  # always there, enabled while a clip is shown

        self.path: Path | None = None
        self.clip: Any = None
        """The :class:`engine.item_view.ClipView` drawn now, if any."""
        self._playlist: list[int] = []
        self._cluster: list[tuple[int, Path]] = []
        self._cache: OrderedDict[tuple[Path, float], tuple[Any, str]] = OrderedDict()
        self._request = -1
        self._background = Background(self)
        self._background.done.connect(self._computed)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.player.position_changed.connect(self._move_playhead)
        self.player.current_changed.connect(self._playing_row)
        self.player.message.connect(self.message)
        self.bar.play_requested.connect(lambda: self.play_from(self.playhead))
        self.bar.cluster_requested.connect(self.play_cluster)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.bar.toggle)

    # ---- what to show -----------------------------------------------------------------------
    def show_audio(self, path: Path | str, cluster: Sequence[tuple[int, Path | str]] = ()) -> None:
        """Show a clip; ``cluster`` lists (item index, path) of its cluster for "Play cluster".

        A new clip stops what is playing, unless it is the clip the player has just moved to (the
        map following a playing cluster selects each clip in turn).
        """
        path = Path(path)
        self._cluster = [(int(i), Path(p)) for i, p in cluster]
        if path == self.path and self.clip is not None:
            self.ready.emit()
            return
        if self.player.playing and self.player.current_path != path:
            self.player.stop()
        self.path, self.clip = path, None
        self.bar.set_enabled(True)
        key = cache_key(path)
        if key is not None and key in self._cache:
            self._cache.move_to_end(key)
            self._draw(*self._cache[key])
            return
        self._request = self._background.submit(compute_clip, path)

    def show_series(self, values: np.ndarray, mean: np.ndarray, sd: np.ndarray, name: str = "") -> None:
        """A time series (dark line) over its cluster's mean (dashed) and ±1 standard deviation (band)."""
        self._forget_audio()
        steps = np.arange(len(values))
        plot = self.series
        plot.clear()
        band_pen = pg.mkPen(None)
        upper = pg.PlotDataItem(steps, mean + sd, pen=band_pen)
        lower = pg.PlotDataItem(steps, mean - sd, pen=band_pen)
        plot.addItem(pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(*_WAVE, 50)))
        plot.addItem(pg.PlotDataItem(steps, mean, pen=pg.mkPen(*_WAVE, width=2, style=Qt.PenStyle.DashLine)))
        plot.addItem(pg.PlotDataItem(steps, values, pen=pg.mkPen(30, 30, 30, width=2)))
        plot.setTitle(f"{name} over its cluster's mean ± 1 sd", color="#444", size="9pt")
        self.stack.setCurrentWidget(self.series)
        self.ready.emit()

    def clear(self, text: str = NOTHING_SHOWN) -> None:
        """Show a hint (nothing selected, or the selection has no view)."""
        self._forget_audio()
        self.hint.setText(text)
        self.stack.setCurrentWidget(self.hint)

    def _forget_audio(self) -> None:
        self.path, self.clip, self._request = None, None, -1
        self.player.stop()
        self.bar.set_enabled(False)

    # ---- drawing ----------------------------------------------------------------------------
    def _computed(self, request: int, clip: Any, error: str) -> None:
        if request != self._request or self.path is None:
            return  # another item was selected meanwhile
        key = cache_key(self.path)
        if key is not None:
            self._cache[key] = (clip, error)
            while len(self._cache) > CACHED_VIEWS:
                self._cache.popitem(last=False)
        self._draw(clip, error)

    def _draw(self, clip: Any, error: str) -> None:
        if clip is None:
            self.hint.setText(f"{self.path.name} {error}")
            self.stack.setCurrentWidget(self.hint)
            self.bar.set_enabled(False)
            self.ready.emit()
            return
        self.clip = clip
        self.wave_curve.setData(
            np.repeat(clip.envelope_times, 2),
            np.column_stack([clip.envelope_min, clip.envelope_max]).ravel(),
        )
        peak = max(float(np.abs(clip.envelope_max).max()), float(np.abs(clip.envelope_min).max()), 1e-3)
        self.wave.setYRange(-peak, peak, padding=0.05)
        self.image.setImage(clip.db.T, autoLevels=False)
        n_bands = clip.db.shape[1]
        self.image.setRect(0.0, 0.0, clip.duration, float(n_bands))
        top = float(clip.db.max())
        self.colour_bar.setLevels((top - 80.0, top))
        self.spec.getAxis("left").setTicks([frequency_ticks(clip.band_hz, hz) for hz in (MAJOR_HZ, MINOR_HZ)])
        self.spec.setYRange(0, n_bands, padding=0)
        self.spec.setXRange(0, clip.duration, padding=0)
        self.spec.setLimits(xMin=0, xMax=clip.duration, minXRange=min(clip.duration, 0.05))
        notes = f" ({'; '.join(clip.notes)})" if clip.notes else ""
        self.caption.setText(f"{clip.path.name}: {clip.duration:.2f} s{notes}")
        self._move_playhead(0.0)
        self.stack.setCurrentIndex(1)
        self.ready.emit()

    # ---- playing ----------------------------------------------------------------------------
    @property
    def playhead(self) -> float:
        return float(self.playheads[0].value())

    def _move_playhead(self, seconds: float) -> None:
        if seconds == 0.0 or self.player.current_path == self.path:
            for line in self.playheads:
                line.setValue(seconds)

    def play_from(self, seconds: float = 0.0) -> None:
        """Play the shown clip from ``seconds`` (the end of the clip means from the start)."""
        if self.path is None or self.clip is None:
            return
        if seconds >= self.clip.duration - 0.05:
            seconds = 0.0
        self._playlist = []
        self.player.play(self.path, start=seconds)

    def play_cluster(self) -> None:
        """Play every clip of the shown item's cluster in turn, starting with the shown one."""
        if not self._cluster:
            self.play_from(0.0)
            return
        first = next((k for k, (_, p) in enumerate(self._cluster) if p == self.path), 0)
        self._playlist = [i for i, _ in self._cluster]
        self.player.play_list([p for _, p in self._cluster], first)

    def _playing_row(self, row: int) -> None:
        if self._playlist:
            self.current_item_changed.emit(self._playlist[row] if 0 <= row < len(self._playlist) else -1)

    def _clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.clip is None or event.double():
            return
        for plot in (self.wave, self.spec):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                seconds = plot.vb.mapSceneToView(event.scenePos()).x()
                if 0.0 <= seconds <= self.clip.duration and self.player.available():
                    self.play_from(seconds)
                return

    def shutdown(self) -> None:
        """Stop playing and let the worker threads end (the window calls this when it closes)."""
        self.player.shutdown()
        self._background.shutdown()
