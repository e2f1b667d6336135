"""Clusters of tables, time series and audio named by the features in which they stand out.

A cluster is described by the two or three interpretable features whose cluster mean differs
most from the overall mean, in standard deviations, each with its direction: "high proline, low
hue" for wine, "periodic, noisy" for series, "loud, low-pitched" for sounds. Features that
differ by less than :data:`MIN_Z` say nothing; a cluster without any is named after its most
typical member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.naming import STAGE, Naming
from engine.progress import CancelToken, Progress

if TYPE_CHECKING:
    from engine.pipeline import Result

MIN_Z = 0.5
IN_NAME = 3
N_KEYWORDS = 6
AUDIO_SAMPLE = 8
"""Most typical clips per cluster read again for the sound features (reading audio is slow)."""

Words = tuple[str, str]
"""What a feature is called when a cluster is high in it, and when it is low."""


def contrasts(
    values: np.ndarray, words: list[Words], members: dict[int, np.ndarray]
) -> dict[int, Naming | None]:
    """Per cluster, its most distinctive features as words, strongest first.

    ``values`` is items x features; ``members`` gives each cluster's rows of ``values``. The overall
    mean and spread are over all rows of ``values``.
    """
    values = np.asarray(values, dtype=np.float64)
    mean, spread = values.mean(axis=0), values.std(axis=0)
    usable = spread > 1e-12 * np.maximum(1.0, np.abs(mean))
    found: dict[int, Naming | None] = {}
    for cluster, rows in members.items():
        z = np.zeros(values.shape[1])
        z[usable] = (values[rows][:, usable].mean(axis=0) - mean[usable]) / spread[usable]
        strongest = [j for j in np.argsort(-np.abs(z), kind="stable") if abs(z[j]) >= MIN_Z][:N_KEYWORDS]
        phrases = tuple(words[j][0] if z[j] > 0 else words[j][1] for j in strongest)
        found[cluster] = Naming(", ".join(phrases[:IN_NAME]), phrases) if phrases else None
    return found


def _table_words(feature: str) -> Words:
    if "=" in feature:  # a one-hot category: "colour=red"
        return feature, f"not {feature}"
    return f"high {feature}", f"low {feature}"


def name_tables(
    result: Result, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Clusters of table rows named by their most different columns ("high proline, low hue")."""
    table = result.analysed.table_features
    if table is None or table.shape[1] == 0:
        return {}
    progress(STAGE, 1, 1)
    return contrasts(table, [_table_words(f) for f in result.analysed.feature_names], order)


SERIES_WORDS: list[Words] = [
    ("high level", "low level"),
    ("variable", "steady"),
    ("rising", "falling"),
    ("periodic", "irregular"),
    ("noisy", "smooth"),
    ("long", "short"),
]


def series_features(series: np.ndarray) -> np.ndarray:
    """Level, spread, trend, periodicity, roughness and length of one series (channels averaged).

    Trend is the correlation of the values with time; periodicity the highest autocorrelation
    after the first zero crossing; roughness the spread of the steps over the spread of the values.
    """
    values = np.asarray(series, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    n = len(values)
    rows = []
    for x in values.T:
        x = x[np.isfinite(x)]
        level, spread = (float(x.mean()), float(x.std())) if len(x) else (0.0, 0.0)
        if len(x) < 4 or spread == 0:
            rows.append([level, spread, 0.0, 0.0, 0.0])
            continue
        t = np.arange(len(x), dtype=np.float64)
        trend = float(np.corrcoef(t, x)[0, 1])
        rows.append([level, spread, trend, _periodicity(x), float(np.diff(x).std() / spread)])
    return np.append(np.mean(rows, axis=0), float(n))


def _periodicity(x: np.ndarray) -> float:
    z = (x - x.mean()) / x.std()
    size = 1 << int(np.ceil(np.log2(2 * len(z))))
    spectrum = np.fft.rfft(z, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: len(z)] / len(z)
    below = np.flatnonzero(acf[1 : len(z) // 2] <= 0)
    if len(below) == 0:
        return 0.0  # never decorrelates within half the series: a trend, not a cycle
    return float(max(0.0, acf[below[0] + 1 : len(z) // 2].max(initial=0.0)))


def name_series(
    result: Result, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Clusters of time series named by shape features ("periodic, noisy", "rising")."""
    series = result.analysed.series
    n = len(result.analysed.items)
    values = np.zeros((n, len(SERIES_WORDS)))
    for i in range(n):
        if i % 256 == 0:
            cancel.raise_if_cancelled()
            progress(STAGE, i, n)
        if i in series:
            values[i] = series_features(series[i])
    progress(STAGE, n, n)
    return contrasts(values, SERIES_WORDS, order)


AUDIO_WORDS: list[Words] = [
    ("loud", "quiet"),
    ("high-pitched", "low-pitched"),
    ("noisy", "tonal"),
    ("rising", "falling"),
    ("long", "short"),
]


def sound_features(signal: np.ndarray, sr: int) -> np.ndarray:
    """Loudness (dB), spectral centroid, flatness, centroid change over the clip, and duration."""
    from engine.embed.audio import audio_features, feature_blocks

    starts = np.cumsum([0, *feature_blocks()])
    stats = audio_features(signal, sr)
    shape_mean, change = stats[starts[3] : starts[4]], stats[starts[7] : starts[8]]
    loudness = 10 * np.log10(max(float(np.mean(np.square(signal, dtype=np.float64))), 1e-12))
    return np.array([loudness, shape_mean[0], shape_mean[3], change[0], len(signal) / sr])


def name_audio(
    result: Result, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Clusters of clips named by how their typical clips sound ("loud, low-pitched")."""
    from engine.ingest.audio import SAMPLE_RATE, load_audio

    items = result.analysed.items
    total = sum(min(len(r), AUDIO_SAMPLE) for r in order.values())
    rows, members, done = [], {}, 0
    for cluster, typical in order.items():
        members[cluster] = []
        for row in typical[:AUDIO_SAMPLE]:
            cancel.raise_if_cancelled()
            done += 1
            try:
                signal, sr, _ = load_audio(items[int(row)].path, sr=SAMPLE_RATE, max_seconds=30.0)
            except Exception:  # noqa: BLE001, S112 - changed since the run: the other clips still name it
                continue
            members[cluster].append(len(rows))
            rows.append(sound_features(signal, sr))
            progress(STAGE, done, total)
    if len(rows) < 2:
        return {}
    return contrasts(
        np.vstack(rows), AUDIO_WORDS, {c: np.array(r, dtype=int) for c, r in members.items() if r}
    )
