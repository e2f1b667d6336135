"""Playback through sounddevice: one clip, or a list of clips (a cluster) one after another.

Nothing here blocks the GUI thread: clips are decoded on a worker thread, samples reach the sound
card from PortAudio's own callback thread, and a GUI timer only reads how far the callback got (for
the playhead) and notices the end. Nothing here crashes the app either: sounddevice is imported on
first use, and without PortAudio (an OSError on import) or without an output device the player says
so in :attr:`AudioPlayer.reason` and plays nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from gui.background import Background

TICK_MS = 30
"""How often the playhead moves (about 33 times a second)."""
PLAY_MAX_SECONDS = 600.0
"""Longer files play their first ten minutes: a decoded hour would take over half a gigabyte."""
CACHE_CLIPS = 8


def import_sounddevice() -> ModuleType:
    """sounddevice, imported on first use (it loads PortAudio, which may be missing)."""
    import sounddevice

    return sounddevice


def output_problem(sd: Any) -> str:
    """Why nothing can be played through ``sd``'s default output, or '' when it can."""
    try:
        device = sd.query_devices(kind="output")
    except Exception as error:  # PortAudioError, ValueError: no default output
        return f"No sound output device was found ({error})."
    if not device or device.get("max_output_channels", 0) < 1:
        return "No sound output device was found."
    return ""


def decode(path: Path) -> tuple[np.ndarray, int]:
    """The clip as mono float32 at its own rate (raises ItemError with a message for the user)."""
    from engine.ingest.audio import load_audio

    signal, sr, _ = load_audio(path, sr=None, max_seconds=PLAY_MAX_SECONDS)
    return signal, sr


class _Playback:
    """What PortAudio's callback thread reads and advances: one clip, where it is, how loud."""

    def __init__(self, signal: np.ndarray, sr: int, start: int, volume: float) -> None:
        self.signal, self.sr, self.pos, self.volume = signal, sr, start, volume
        self.first_callback: float | None = None
        self.stop_exception: type[Exception] = StopIteration  # sounddevice's CallbackStop once known

    def fill(self, out: np.ndarray, frames: int, *_: object) -> None:
        if self.first_callback is None:
            self.first_callback = time.perf_counter()
        chunk = self.signal[self.pos : self.pos + frames]
        out[: len(chunk), 0] = chunk * self.volume
        out[len(chunk) :] = 0
        self.pos += len(chunk)
        if len(chunk) < frames:
            raise self.stop_exception


class AudioPlayer(QObject):
    """Plays clips; ``play_list`` plays several in turn with ``next``/``previous``."""

    state_changed = Signal(bool)
    """True when playing starts, False when it stops (by itself or by ``stop``)."""
    position_changed = Signal(float)
    """Seconds into the current clip, for the playhead."""
    current_changed = Signal(int)
    """Row of the playlist now playing (-1 when none), for the map and panel to highlight."""
    clip_started = Signal(object)
    """Path of the clip whose sound has just started."""
    finished = Signal()
    """The clip, or the whole playlist, played to its end."""
    message = Signal(str)
    """A line for the status bar: a clip that was skipped, a device that failed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sd: Any = None
        self._reason: str | None = None
        self._volume = 1.0
        self._paths: list[Path] = []
        self._row = -1
        self._active = False
        self._request = 0
        self._pending: tuple[Path, float] = (Path(), 0.0)
        self._stream: Any = None
        self._playback: _Playback | None = None
        self._asked_at = 0.0
        self.start_latency: float | None = None
        """Seconds from the last ``play`` call to PortAudio's first request for samples."""
        self._cache: OrderedDict[tuple[Path, float], tuple[np.ndarray, int]] = OrderedDict()
        self._background = Background(self, "audio-decode")
        self._background.done.connect(self._on_decoded)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    # ---- availability -----------------------------------------------------------------------
    def available(self) -> bool:
        """Whether sound can be played here (checked once, on first ask)."""
        return not self.reason

    @property
    def reason(self) -> str:
        """Why nothing can be played ('' when sound works): for the controls' tooltip."""
        if self._reason is None:
            try:
                self._sd = import_sounddevice()
            except (OSError, ImportError) as error:
                self._reason = f"Sound is unavailable: the PortAudio library is missing ({error})."
            else:
                self._reason = output_problem(self._sd)
        return self._reason

    # ---- what is playing --------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True from ``play`` until the end or ``stop``, decoding included."""
        return self._active

    @property
    def current_path(self) -> Path | None:
        return self._paths[self._row] if 0 <= self._row < len(self._paths) else None

    @property
    def row(self) -> int:
        return self._row

    @property
    def volume(self) -> float:
        return self._volume

    def set_volume(self, volume: float) -> None:
        """Loudness from 0 (silent) to 1 (as recorded); applies at once to what is playing."""
        self._volume = float(np.clip(volume, 0.0, 1.0))
        if self._playback is not None:
            self._playback.volume = self._volume

    # ---- commands ---------------------------------------------------------------------------
    def play(self, path: Path | str, start: float = 0.0) -> None:
        """Play one clip from ``start`` seconds (the same clip already playing just jumps there)."""
        path = Path(path)
        if self._playback is not None and self.current_path == path and len(self._paths) == 1:
            self.seek(start)
            return
        self.play_list([path], 0, start)

    def play_list(self, paths: Sequence[Path | str], row: int = 0, start: float = 0.0) -> None:
        """Play ``paths`` one after another from ``row``; undecodable ones are skipped with a message."""
        self._close_stream()
        self._paths = [Path(p) for p in paths]
        self._go(row, start)

    def next(self) -> None:
        if self._paths:
            self._go(self._row + 1)

    def previous(self) -> None:
        if self._paths:
            self._go(max(self._row - 1, 0))

    def toggle(self) -> None:
        """Stop if playing, else play the current (or first) clip of the list again."""
        if self.playing:
            self.stop()
        elif self._paths:
            self._go(max(self._row, 0))

    def seek(self, seconds: float) -> None:
        """Jump within the clip now playing."""
        if self._playback is not None:
            pb = self._playback
            pb.pos = int(np.clip(seconds * pb.sr, 0, len(pb.signal)))

    def stop(self) -> None:
        """Stop at once; the list is kept so ``toggle`` can start it again."""
        was = self._active
        self._close_stream()
        self._request = -1  # a decode still under way is dropped when it arrives
        self._active = False
        if was:
            self.state_changed.emit(False)

    def shutdown(self) -> None:
        """Stop and let the decoding thread end (the window calls this when it closes)."""
        self.stop()
        self._background.shutdown()

    # ---- inside -----------------------------------------------------------------------------
    def _go(self, row: int, start: float = 0.0) -> None:
        self._close_stream()
        if not self.available():
            self.message.emit(self.reason)
            return
        if row >= len(self._paths):
            self._end()
            return
        was, self._active = self._active, True
        self._row = row
        self._request = -1
        self._asked_at = time.perf_counter()
        self.start_latency = None
        self.current_changed.emit(row)
        if not was:
            self.state_changed.emit(True)
        path = self._paths[row]
        key = cache_key(path)
        if key is not None and key in self._cache:
            self._cache.move_to_end(key)
            self._start(path, *self._cache[key], start)
            return
        self._request = self._background.submit(decode, path)
        self._pending = (path, start)

    def _on_decoded(self, request: int, decoded: tuple[np.ndarray, int] | None, error: str) -> None:
        if request != self._request or not self._active:
            return  # the user moved on
        path, start = self._pending
        if decoded is None:
            if len(self._paths) == 1:
                self.message.emit(f"Cannot play {path.name}: {error}")
                self._end(finished=False)
            else:
                self.message.emit(f"Skipped {path.name}: {error}")
                self._go(self._row + 1)
            return
        key = cache_key(path)
        if key is not None:
            self._cache[key] = decoded
            while len(self._cache) > CACHE_CLIPS:
                self._cache.popitem(last=False)
        self._start(path, *decoded, start)

    def _start(self, path: Path, signal: np.ndarray, sr: int, start: float) -> None:
        sd = self._sd
        playback = _Playback(signal, sr, int(np.clip(start * sr, 0, len(signal))), self._volume)
        playback.stop_exception = sd.CallbackStop
        try:
            stream = sd.OutputStream(samplerate=sr, channels=1, dtype="float32", callback=playback.fill)
            stream.start()
        except Exception as error:  # PortAudioError: the device vanished or refuses this rate
            self.message.emit(f"Could not play {path.name}: {error}")
            self._end(finished=False)
            return
        self._stream, self._playback = stream, playback
        self.clip_started.emit(path)
        self._timer.start()

    def _tick(self) -> None:
        pb, stream = self._playback, self._stream
        if pb is None or stream is None:
            self._timer.stop()
            return
        self._note_latency(pb)
        latency = float(stream.latency) if stream.active else 0.0
        self.position_changed.emit(max(pb.pos / pb.sr - latency, 0.0))
        if not stream.active:  # the callback ran out of samples
            self._go(self._row + 1)

    def _note_latency(self, pb: _Playback) -> None:
        if pb.first_callback is not None and self.start_latency is None:
            self.start_latency = pb.first_callback - self._asked_at

    def _end(self, finished: bool = True) -> None:
        was, self._active = self._active, False
        self._close_stream()
        self._row = -1
        self.current_changed.emit(-1)
        if was:
            self.state_changed.emit(False)
        if finished and was:
            self.finished.emit()

    def _close_stream(self) -> None:
        self._timer.stop()
        stream, pb = self._stream, self._playback
        self._stream, self._playback = None, None
        if pb is not None:
            self._note_latency(pb)
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # closing a stream whose device vanished: nothing left to free
                pass


def cache_key(path: Path) -> tuple[Path, float] | None:
    """(path, modification time): an edited or replaced file is decoded again."""
    try:
        return path, path.stat().st_mtime
    except OSError:
        return None
