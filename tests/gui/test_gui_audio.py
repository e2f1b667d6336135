"""Playback through a real PortAudio stream into ALSA's null device (tests/conftest.py sets it up)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gui.audio
from gui.audio import AudioPlayer
from gui.views.player_bar import PlayerBar


@pytest.fixture
def clips(tmp_path: Path, write_tone) -> list[Path]:
    broken = tmp_path / "b_broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot really audio")
    return [write_tone(tmp_path / "a.wav", 0.5, 440), broken, write_tone(tmp_path / "c.flac", 0.3, 660)]


@pytest.fixture
def player(qtbot) -> AudioPlayer:
    player = AudioPlayer()
    if not player.available():
        pytest.skip(player.reason)  # PortAudio or its ALSA plug-in is not installed here
    yield player
    player.shutdown()


def test_sounddevice_plays_into_the_null_device(player: AudioPlayer) -> None:
    import os
    import sys

    assert os.environ["ALSA_CONFIG_PATH"].endswith("alsa-null.conf")
    device = sys.modules["sounddevice"].query_devices(kind="output")
    assert device["max_output_channels"] > 0


def test_one_clip_plays_to_its_end(qtbot, player: AudioPlayer, clips: list[Path]) -> None:
    positions: list[float] = []
    player.position_changed.connect(positions.append)
    states: list[bool] = []
    player.state_changed.connect(states.append)
    with qtbot.waitSignal(player.finished, timeout=5000):
        player.play(clips[0])
    assert states == [True, False]
    assert positions and positions[-1] == pytest.approx(0.5, abs=0.01)
    assert positions == sorted(positions)
    assert not player.playing
    # Sound starts soon after the click: ~2-30 ms on a quiet machine once the decoder's modules are
    # loaded (the first clip of a session also imports soundfile and soxr); slack for busy CI.
    with qtbot.waitSignal(player.finished, timeout=5000):
        player.play(clips[2])
    assert player.start_latency is not None and player.start_latency < 0.5


def test_a_cluster_plays_in_turn_skipping_what_cannot_be_decoded(
    qtbot, player: AudioPlayer, clips: list[Path]
) -> None:
    rows: list[int] = []
    started: list[Path] = []
    messages: list[str] = []
    player.current_changed.connect(rows.append)
    player.clip_started.connect(started.append)
    player.message.connect(messages.append)
    with qtbot.waitSignal(player.finished, timeout=5000):
        player.play_list(clips)
    assert rows == [0, 1, 2, -1]
    assert started == [clips[0], clips[2]]
    assert len(messages) == 1 and messages[0].startswith("Skipped b_broken.wav: cannot be decoded")
    with qtbot.waitSignal(player.state_changed, timeout=5000, check_params_cb=lambda on: not on):
        player.play(clips[1])  # alone, it is not skipped but refused, and nothing "finished"
    assert messages[-1].startswith("Cannot play b_broken.wav: cannot be decoded") and not player.playing


def test_previous_and_next_move_through_the_list(qtbot, player: AudioPlayer, clips: list[Path]) -> None:
    rows: list[int] = []
    player.current_changed.connect(rows.append)
    player.clip_started.connect(lambda path: player.stop())  # hold at each clip
    with qtbot.waitSignal(player.clip_started, timeout=5000):
        player.play_list(clips, 2)
    with qtbot.waitSignal(player.clip_started, timeout=5000):
        player.previous()  # row 1 cannot be decoded: skipped on to 2 again
    with qtbot.waitSignal(player.clip_started, timeout=5000):
        player.play_list(clips, 1)
        player.previous()
    assert rows == [2, 1, 2, 1, 0]


def test_stop_silences_at_once(qtbot, player: AudioPlayer, clips: list[Path], write_tone) -> None:
    states: list[bool] = []
    player.state_changed.connect(states.append)
    player.clip_started.connect(lambda path: player.stop())
    with qtbot.waitSignal(player.clip_started, timeout=5000):
        player.play(clips[2])
    assert states == [True, False] and not player.playing
    with qtbot.assertNotEmitted(player.finished, wait=100):
        pass
    # Stopping while the clip is still being decoded drops the decoded clip when it arrives.
    player.clip_started.disconnect()
    player.play(write_tone(clips[0].with_name("d.wav"), 0.2, 300))  # not cached yet: decoded first
    player.stop()
    with qtbot.assertNotEmitted(player.clip_started, wait=300):
        pass


def test_volume_scales_what_the_callback_writes(player: AudioPlayer) -> None:
    from gui.audio import _Playback

    player.set_volume(1.7)
    assert player.volume == 1.0
    player.set_volume(0.25)
    playback = _Playback(np.ones(10, dtype=np.float32), 8000, 0, player.volume)
    out = np.empty((4, 1), dtype=np.float32)
    playback.fill(out, 4)
    np.testing.assert_allclose(out[:, 0], 0.25)


def test_without_portaudio_the_controls_say_why(qtbot, monkeypatch, clips: list[Path]) -> None:
    def missing() -> None:
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(gui.audio, "import_sounddevice", missing)
    player = AudioPlayer()
    bar = PlayerBar(player)
    qtbot.addWidget(bar)
    bar.set_enabled(True)
    assert not player.available()
    assert "PortAudio" in player.reason
    for widget in bar.controls:
        assert not widget.isEnabled()
        assert widget.toolTip() == player.reason
    with qtbot.waitSignal(player.message, timeout=1000) as said:
        player.play(clips[0])  # never raises
    assert said.args == [player.reason] and not player.playing


def test_without_an_output_device_the_controls_say_why(qtbot, monkeypatch) -> None:
    class NoDevice:
        @staticmethod
        def query_devices(kind: str) -> None:
            raise ValueError("Error querying device -1")

    monkeypatch.setattr(gui.audio, "import_sounddevice", lambda: NoDevice)
    player = AudioPlayer()
    bar = PlayerBar(player)
    qtbot.addWidget(bar)
    bar.set_enabled(True)
    assert player.reason.startswith("No sound output device was found")
    assert not bar.play_button.isEnabled() and bar.play_button.toolTip() == player.reason
