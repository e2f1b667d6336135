"""The player's controls: previous, play/stop, next, play the cluster, volume.

Without sound (no PortAudio, no output device) every control is disabled and its tooltip says why.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QWidget

from gui.audio import AudioPlayer


class PlayerBar(QWidget):
    """A row of buttons driving an :class:`AudioPlayer`; what "play" means is the owner's choice."""

    play_requested = Signal()
    """Play was pressed while nothing plays: the owner plays the item it shows."""
    cluster_requested = Signal()
    """"Play cluster" was pressed: the owner plays the shown item's cluster."""

    def __init__(self, player: AudioPlayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        icon = self.style().standardIcon
        self._play_icon = icon(QStyle.StandardPixmap.SP_MediaPlay)
        self._stop_icon = icon(QStyle.StandardPixmap.SP_MediaStop)
        self.previous_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaSkipBackward), "")
        self.play_button = QPushButton(self._play_icon, "Play")
        self.next_button = QPushButton(icon(QStyle.StandardPixmap.SP_MediaSkipForward), "")
        self.cluster_button = QPushButton("Play cluster")
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(round(player.volume * 100))
        self.volume.setFixedWidth(90)
        self.previous_button.setToolTip("Previous clip of the cluster")
        self.next_button.setToolTip("Next clip of the cluster")
        self.play_button.setToolTip("Play or stop (space bar)")
        self.cluster_button.setToolTip("Play every clip of this item's cluster, one after another")
        self.volume.setToolTip("Volume")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for widget in (self.previous_button, self.play_button, self.next_button, self.cluster_button):
            layout.addWidget(widget)
        layout.addStretch(1)
        speaker = QLabel()
        speaker.setPixmap(icon(QStyle.StandardPixmap.SP_MediaVolume).pixmap(16, 16))
        layout.addWidget(speaker)
        layout.addWidget(self.volume)

        self.previous_button.clicked.connect(player.previous)
        self.next_button.clicked.connect(player.next)
        self.play_button.clicked.connect(self.toggle)
        self.cluster_button.clicked.connect(self.cluster_requested)
        self.volume.valueChanged.connect(lambda value: player.set_volume(value / 100))
        player.state_changed.connect(self._show_state)
        self.set_enabled(False)  # until a clip is shown: sounddevice loads only when needed

    @property
    def controls(self) -> list[QWidget]:
        return [self.previous_button, self.play_button, self.next_button, self.cluster_button, self.volume]

    def set_enabled(self, enabled: bool) -> None:
        """Enable the controls when sound works; without it they stay disabled, saying why."""
        reason = self.player.reason if enabled else ""
        for widget in self.controls:
            widget.setEnabled(enabled and not reason)
            if reason:
                widget.setToolTip(reason)

    def toggle(self) -> None:
        """Stop what plays, or ask the owner to play its item."""
        if self.player.playing:
            self.player.stop()
        elif self.player.available():
            self.play_requested.emit()

    def _show_state(self, playing: bool) -> None:
        self.play_button.setText("Stop" if playing else "Play")
        self.play_button.setIcon(self._stop_icon if playing else self._play_icon)
