"""The item view's numbers: a chirp's mel spectrogram as librosa computes it, envelopes, series bands."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from engine.ingest.audio import SAMPLE_RATE
from engine.item_view import clip_view, series_band, waveform_envelope
from engine.items import ItemError


def test_chirp_matches_librosa_and_its_ridge_rises(tmp_path: Path, write_chirp) -> None:
    import librosa

    signal = write_chirp(tmp_path / "chirp.wav")
    view = clip_view(tmp_path / "chirp.wav")

    mel = librosa.feature.melspectrogram(y=signal, sr=SAMPLE_RATE, n_fft=2048, hop_length=512, n_mels=128)
    expected = librosa.power_to_db(mel, ref=1.0, top_db=80.0).T
    assert view.db.shape == expected.shape
    # Where there is sound (within 40 dB of the top), our dB agree with librosa's to a hundredth of a dB.
    loud = expected > expected.max() - 40
    assert np.abs(view.db[loud] - expected[loud]).max() < 0.05
    np.testing.assert_allclose(view.band_hz, librosa.mel_frequencies(130, fmax=SAMPLE_RATE / 2)[1:-1])
    times = librosa.frames_to_time(np.arange(len(expected)), sr=SAMPLE_RATE)
    np.testing.assert_allclose(view.frame_times, times)

    # The brightest band of each frame rises with time and follows the sweep's frequency.
    inner = slice(5, -5)  # the centred first and last frames see half silence
    ridge = view.band_hz[view.db.argmax(axis=1)][inner]
    sweep = 200.0 + 5800.0 * view.frame_times[inner] / 3.0
    assert np.all(np.diff(ridge) >= 0) and ridge[-1] > 10 * ridge[0]
    assert np.abs(ridge / sweep - 1).max() < 0.1  # within a mel band's width
    assert view.duration == pytest.approx(3.0)


def test_envelope_keeps_every_peak() -> None:
    signal = np.zeros(100_000, dtype=np.float32)
    signal[12_345] = 0.9
    signal[77_777] = -0.7
    low, high = waveform_envelope(signal, 1000)
    assert len(low) == len(high) == 1000
    assert high.max() == pytest.approx(0.9) and low.min() == pytest.approx(-0.7)
    assert high.argmax() == 123 and low.argmin() == 777
    assert len(waveform_envelope(signal[:10], 1000)[0]) == 10  # never more columns than samples


def test_sixty_seconds_are_ready_fast(tmp_path: Path) -> None:
    sr = 44100
    t = np.arange(60 * sr) / sr
    sf.write(tmp_path / "long.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)
    clip_view(tmp_path / "long.wav")  # first call: numpy's FFT and soxr set up once per process
    start = time.perf_counter()
    view = clip_view(tmp_path / "long.wav")
    elapsed = time.perf_counter() - start
    assert view.duration == pytest.approx(60.0)
    # 0.04 s on a quiet machine, 0.2 s with a load of 8 on 2 cores; a tenfold slowdown fails.
    assert elapsed < 1.5, f"{elapsed:.3f} s for a 60 s clip"


def test_undecodable_clip_says_why(tmp_path: Path) -> None:
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    with pytest.raises(ItemError, match="cannot be decoded"):
        clip_view(tmp_path / "broken.wav")
    with pytest.raises(ItemError, match="cannot be read"):
        clip_view(tmp_path / "moved.wav")


def test_series_band_stretches_members_to_the_items_length() -> None:
    a = np.linspace(0.0, 1.0, 11)
    b = np.linspace(0.0, 3.0, 21)  # same shape, other length and scale
    c = np.column_stack([np.linspace(0.0, 2.0, 6), np.ones(6)])  # two channels: the first is used
    band = series_band([a, b, c], 0)
    np.testing.assert_allclose(band.values, a)
    np.testing.assert_allclose(band.mean, 2 * a)
    np.testing.assert_allclose(band.sd, np.std([a, 3 * a, 2 * a], axis=0))
    assert band.members == 3
