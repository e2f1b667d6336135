"""What the item view draws for one selected item: an audio clip's waveform and mel spectrogram, or a
time series over its cluster's mean and spread.

Plain numpy on top of :mod:`engine.ingest.audio` (the same loader and mel front end the embedders
use, so the picture shows what was clustered); no librosa, whose first call compiles numba code for
seconds. A 60 s clip takes a few tens of milliseconds here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.ingest.audio import HOP, MAX_SECONDS, SAMPLE_RATE, load_audio, log_mel, mel_edges

ENVELOPE_COLUMNS = 2000
"""Waveform columns: more than a screen is wide, so the drawn outline never misses a peak."""
N_MELS = 128


@dataclass(frozen=True)
class ClipView:
    """One clip ready to draw: waveform envelope and log-mel spectrogram on one time axis (seconds)."""

    path: Path
    duration: float
    """Seconds of audio shown (at most ``MAX_SECONDS``; ``notes`` says when the file was cut)."""
    envelope_times: np.ndarray
    """Start time of each envelope column."""
    envelope_min: np.ndarray
    envelope_max: np.ndarray
    db: np.ndarray
    """Mel power in dB, (frames, n_mels), floored 80 dB under its loudest cell."""
    frame_times: np.ndarray
    """Centre time of each spectrogram frame."""
    band_hz: np.ndarray
    """Centre frequency of each mel band (ascending)."""
    notes: list[str] = field(default_factory=list)


def waveform_envelope(signal: np.ndarray, columns: int = ENVELOPE_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of each of ``columns`` equal stretches of ``signal`` (fewer for short clips).

    Drawing the band between them shows every peak of a long clip at the cost of a few thousand
    points instead of millions of samples.
    """
    columns = max(1, min(columns, len(signal)))
    starts = np.linspace(0, len(signal), columns + 1).astype(int)[:-1]
    return np.minimum.reduceat(signal, starts), np.maximum.reduceat(signal, starts)


def clip_view(
    path: Path | str,
    n_mels: int = N_MELS,
    columns: int = ENVELOPE_COLUMNS,
    sr: int = SAMPLE_RATE,
    max_seconds: float = MAX_SECONDS,
) -> ClipView:
    """Decode ``path`` and compute what the spectrogram view draws.

    Raises :class:`engine.embed.ItemError` with a message for the user when the clip cannot be
    decoded (moved, truncated, an unsupported codec, silent).
    """
    signal, sr, notes = load_audio(path, sr=sr, max_seconds=max_seconds)
    low, high = waveform_envelope(signal, columns)
    db = log_mel(signal, sr, n_mels)
    return ClipView(
        path=Path(path),
        duration=len(signal) / sr,
        envelope_times=np.linspace(0, len(signal), len(low) + 1)[:-1] / sr,
        envelope_min=low,
        envelope_max=high,
        db=db.astype(np.float32, copy=False),
        frame_times=np.arange(len(db)) * HOP / sr,
        band_hz=mel_edges(sr, n_mels)[1:-1],
        notes=notes,
    )


@dataclass(frozen=True)
class SeriesBand:
    """A time series beside its cluster's mean and standard deviation, on the series' own steps."""

    values: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    members: int
    """How many series (the item included) the mean is taken over."""


def series_band(series: list[np.ndarray], index: int) -> SeriesBand:
    """Series ``index`` against the mean and spread of all of ``series`` (its cluster's members).

    Members of other lengths are stretched to the item's length by linear interpolation, so a
    cluster of series sampled at different rates still gives one band. Multi-channel series
    (length x channels) use their first channel.
    """
    from engine.members import first_channel, series_mean_band

    values = first_channel(series[index])
    mean, sd = series_mean_band(series, length=len(values))
    return SeriesBand(values, mean, sd, len(series))
