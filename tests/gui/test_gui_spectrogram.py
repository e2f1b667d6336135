"""The item view: a chirp's spectrogram as librosa draws it, playhead and click-to-play, series bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPointF, Qt

from engine.ingest.audio import SAMPLE_RATE
from gui.views.spectrogram import SpectrogramView, frequency_ticks


@pytest.fixture
def view(qtbot) -> SpectrogramView:
    view = SpectrogramView()
    qtbot.addWidget(view)
    view.resize(700, 450)
    view.show()
    yield view
    view.shutdown()


def show(qtbot, view: SpectrogramView, path: Path, **kwargs) -> None:
    with qtbot.waitSignal(view.ready, timeout=5000):
        view.show_audio(path, **kwargs)


def test_chirp_is_drawn_as_librosa_computes_it(
    qtbot, view: SpectrogramView, tmp_path: Path, write_chirp
) -> None:
    import librosa

    signal = write_chirp(tmp_path / "chirp.wav")
    show(qtbot, view, tmp_path / "chirp.wav")
    mel = librosa.feature.melspectrogram(y=signal, sr=SAMPLE_RATE, n_fft=2048, hop_length=512, n_mels=128)
    expected = librosa.power_to_db(mel, ref=1.0, top_db=80.0)
    drawn = view.image.image  # bands x frames, low frequencies in row 0 (the bottom of the plot)
    assert drawn.shape == expected.shape
    loud = expected > expected.max() - 40
    assert np.abs(drawn[loud] - expected[loud]).max() < 0.05
    ridge = drawn[:, 5:-5].argmax(axis=0)  # the bright ridge rises from left to right
    assert np.all(np.diff(ridge) >= 0) and ridge[-1] > ridge[0] + 60
    assert view.colour_bar.levels() == pytest.approx((expected.max() - 80, expected.max()), abs=0.05)
    # One time axis for both plots, spanning the clip; frequency ticks in Hz and kHz.
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert rect.left() == 0.0 and rect.right() == pytest.approx(3.0)
    assert view.wave.getViewBox().viewRange()[0] == pytest.approx(view.spec.getViewBox().viewRange()[0])
    major, minor = ([label for _, label in level] for level in view.spec.getAxis("left")._tickLevels)
    assert major == ["100", "1k", "10k"] and minor == ["50", "200", "500", "2k", "5k"]
    assert view.stack.currentIndex() == 1 and view.bar.play_button.isEnabled()


def test_trailing_silence_is_drawn_as_a_flat_line(qtbot, view: SpectrogramView, tmp_path: Path) -> None:
    import pyqtgraph as pg

    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    signal = np.where(t < 0.5, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0)  # a word, then digital silence
    sf.write(tmp_path / "word.wav", signal, SAMPLE_RATE)
    show(qtbot, view, tmp_path / "word.wav")
    x, y = view.wave_curve.getData()
    assert np.all(y[x > 0.51] == 0)  # the envelope's columns there have no height
    flat = [i for i in view.wave.items if isinstance(i, pg.InfiniteLine) and i.angle == 0]
    assert [line.value() for line in flat] == [0.0] and flat[0].isVisible()


def test_frequency_ticks_follow_the_mel_spacing() -> None:
    band_hz = np.array([100.0, 200.0, 400.0, 800.0, 1600.0])
    ticks = dict((label, pos) for pos, label in frequency_ticks(band_hz, (50, 100, 200, 1000, 2000)))
    assert ticks["100"] == 0.5 and ticks["200"] == 1.5 and ticks["1k"] == pytest.approx(3.75)
    assert "50" not in ticks and "2k" not in ticks


def test_undecodable_clip_shows_why(qtbot, view: SpectrogramView, tmp_path: Path, write_tone) -> None:
    (tmp_path / "cut.ogg").write_bytes(b"OggS" + bytes(40))
    show(qtbot, view, tmp_path / "cut.ogg")
    assert view.stack.currentWidget() is view.hint
    assert view.hint.text().startswith("cut.ogg cannot be decoded as OGG audio")
    assert not view.bar.play_button.isEnabled()


def test_only_the_last_selection_is_drawn_and_results_are_cached(
    qtbot, view: SpectrogramView, tmp_path: Path, write_tone, monkeypatch
) -> None:
    import gui.views.spectrogram as module

    computed: list[str] = []
    compute = module.compute_clip
    monkeypatch.setattr(module, "compute_clip", lambda path: computed.append(path.name) or compute(path))
    first, second = (
        write_tone(tmp_path / "first.wav", 2.0, 300),
        write_tone(tmp_path / "second.wav", 1.0, 900),
    )
    drawn: list[str] = []
    view.ready.connect(lambda: drawn.append(view.clip.path.name))
    view.show_audio(first)
    show(qtbot, view, second)  # chosen before the first was computed: the first is dropped
    assert drawn == ["second.wav"]
    assert view.clip.duration == pytest.approx(1.0)
    view.ready.disconnect()
    show(qtbot, view, first)
    show(qtbot, view, second)  # from the cache
    assert view.clip.path == second
    assert computed == ["first.wav", "second.wav", "first.wav"]  # the dropped one was not kept


def test_click_plays_from_there_and_the_playhead_follows(
    qtbot, view: SpectrogramView, tmp_path: Path, write_tone
) -> None:
    path = write_tone(tmp_path / "la.wav", 2.0, 440, sr=SAMPLE_RATE)
    show(qtbot, view, path)
    if not view.player.available():
        pytest.skip(view.player.reason)
    positions: list[float] = []
    view.player.position_changed.connect(positions.append)
    middle = view.spec.vb.mapViewToScene(QPointF(1.5, 64.0))
    widget_point = view.graphics.mapFromScene(middle)
    with qtbot.waitSignal(view.player.finished, timeout=5000):
        qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert positions and positions[0] >= 1.45  # it started where the click was, not at 0
    assert view.playhead == pytest.approx(2.0, abs=0.01)  # and the playhead followed to the end


def test_play_cluster_reports_each_item_in_turn(
    qtbot, view: SpectrogramView, tmp_path: Path, write_tone
) -> None:
    paths = [write_tone(tmp_path / f"{k}.wav", 0.2, 300 + 100 * k) for k in range(3)]
    show(qtbot, view, paths[1], cluster=[(10, paths[0]), (11, paths[1]), (12, paths[2])])
    if not view.player.available():
        pytest.skip(view.player.reason)
    items: list[int] = []
    view.current_item_changed.connect(items.append)
    with qtbot.waitSignal(view.player.finished, timeout=5000):
        view.bar.cluster_button.click()
    assert items == [11, 12, -1]  # from the shown clip on, then the end


def test_series_over_its_cluster_band(qtbot, view: SpectrogramView) -> None:
    values = np.sin(np.linspace(0, 6, 50))
    with qtbot.waitSignal(view.ready, timeout=1000):
        view.show_series(values, values * 0.5, np.full(50, 0.2), name="sensor 3")
    assert view.stack.currentWidget() is view.series
    curves = view.series.getPlotItem().listDataItems()
    np.testing.assert_allclose(curves[-1].getData()[1], values)
    assert "sensor 3" in view.series.getPlotItem().titleLabel.text
    assert not view.bar.play_button.isEnabled()


def test_a_new_selection_stops_playing(qtbot, view: SpectrogramView, tmp_path: Path, write_tone) -> None:
    a, b = write_tone(tmp_path / "a.wav", 0.3, 300), write_tone(tmp_path / "b.wav", 0.3, 500)
    show(qtbot, view, a)
    if not view.player.available():
        pytest.skip(view.player.reason)
    view.player.clip_started.connect(lambda path: view.show_audio(b))
    with qtbot.waitSignal(view.player.state_changed, timeout=5000, check_params_cb=lambda on: not on):
        view.play_from(0.0)
    assert not view.player.playing


def test_long_wav_is_cut_with_a_note(qtbot, view: SpectrogramView, tmp_path: Path, write_tone) -> None:
    sr = 8000
    sf.write(tmp_path / "long.wav", np.full(61 * sr, 0.1, dtype=np.float32), sr)
    show(qtbot, view, tmp_path / "long.wav")
    assert view.clip.duration == pytest.approx(60.0)
    assert "first 60 s" in view.caption.text()
