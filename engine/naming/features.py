"""Clusters of tables, time series and audio named by the features in which they stand out.

A cluster is described by the two or three interpretable features in which it differs most from
the other clusters, each with its direction: "high proline, low hue" for wine, "periodic, noisy"
for series, "loud, low-pitched" for sounds. A feature counts when the cluster's mean is at least
:data:`MIN_Z` overall standard deviations from the overall mean; features are ranked by how far
the cluster's mean is from the other items' mean in within-cluster standard deviations (against
the overall deviation alone, every feature that separates two clusters scores about 1 and the
ranking is noise); features that separate it cleanly rank alike, in the order the namer lists them
(for series: shape before level). A cluster without any such feature is named after its most typical member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.naming import STAGE, Naming
from engine.progress import CancelToken, Progress

if TYPE_CHECKING:
    from engine.naming import Clustered

MIN_Z = 0.5
IN_NAME = 3
CLEAR = 3.0
"""Within-cluster deviations at which a difference is clear-cut; clearer ones rank alike."""
N_KEYWORDS = 6
AUDIO_SAMPLE = 8
"""Most typical clips per cluster read again for the sound features (reading audio is slow)."""


@dataclass(frozen=True)
class Feature:
    """What a feature is called when a cluster is high in it, and when it is low.

    An empty word is never said. ``high_from`` and ``low_to`` make a word absolute: a cluster is
    "rising" only when its mean trend is at least ``high_from``, not merely when it rises more than
    the others.
    """

    high: str
    low: str
    high_from: float = -np.inf
    low_to: float = np.inf
    group: str = ""
    """The one-hot column a category belongs to: "region=south" says what "not region=east, not
    region=north" would, so a cluster high in one category of a group is not described by the others."""


def contrasts(
    values: np.ndarray, features: list[Feature], members: dict[int, np.ndarray]
) -> dict[int, Naming | None]:
    """Per cluster, its most distinctive features as words, strongest first.

    ``values`` is items x features; ``members`` gives each cluster's rows of ``values``; items in no
    cluster count in the overall mean and spread only.
    """
    values = np.asarray(values, dtype=np.float64)
    mean, spread = values.mean(axis=0), values.std(axis=0)
    usable = spread > 1e-12 * np.maximum(1.0, np.abs(mean))
    spread = np.where(usable, spread, 1.0)
    within = np.sqrt(np.mean([values[rows].var(axis=0) for rows in members.values()], axis=0))
    within = np.maximum(within, 0.05 * spread)
    found: dict[int, Naming | None] = {}
    for cluster, rows in members.items():
        inside = values[rows].mean(axis=0)
        rest = np.delete(values, rows, axis=0)
        z = np.where(usable, (inside - mean) / spread, 0.0)
        effect = (inside - (rest.mean(axis=0) if len(rest) else mean)) / within
        said: list[tuple[str, Feature, bool]] = []
        # Beyond CLEAR a feature separates the cluster cleanly; ties keep the features' own order.
        for j in np.argsort(-np.minimum(np.abs(effect), CLEAR), kind="stable"):
            f = features[j]
            if z[j] >= MIN_Z and inside[j] >= f.high_from:
                said.append((f.high, f, True))
            elif z[j] <= -MIN_Z and inside[j] <= f.low_to and f.low:
                said.append((f.low, f, False))
        named = {f.group for _, f, high in said if high and f.group}
        phrases = [text for text, f, high in said if high or f.group not in named]
        kept = tuple(phrases[:N_KEYWORDS])
        found[cluster] = Naming(", ".join(kept[:IN_NAME]), kept) if kept else None
    return found


def _table_feature(feature: str, values: np.ndarray) -> Feature:
    if "=" in feature:  # a one-hot category: "colour=red"
        return Feature(feature, f"not {feature}", group=feature.split("=", 1)[0])
    if np.isin(values, (0.0, 1.0)).all():  # a yes/no column: "member", not "high member"
        return Feature(feature, f"not {feature}")
    return Feature(f"high {feature}", f"low {feature}")


def name_tables(
    result: Clustered, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Clusters of table rows named by their most different columns ("high proline, low hue")."""
    table = result.analysed.table_features
    if table is None or table.shape[1] == 0:
        return {}
    progress(STAGE, 1, 1)
    names = result.analysed.feature_names
    return contrasts(table, [_table_feature(f, table[:, j]) for j, f in enumerate(names)], order)


SERIES_FEATURES = [
    Feature("rising", "falling", high_from=0.3, low_to=-0.3),
    Feature("periodic", "", high_from=0.4),
    Feature("bursty", "", high_from=1.0),
    Feature("noisy", "smooth"),
    Feature("variable", "steady"),
    Feature("high level", "low level"),
    Feature("long", "short"),
]
"""In the order of :func:`series_features`, which is also the order of precedence between features
that set clusters apart equally well (shape words before level and length)."""


def series_features(series: np.ndarray) -> np.ndarray:
    """Trend, periodicity, burstiness, roughness, spread, level and length of one series (channels averaged).

    Trend is the correlation of the values with time; periodicity the highest autocorrelation
    after the first zero crossing; burstiness the excess kurtosis (a quiet series with a few
    excursions: over 1; a sine -1.5, a step -2; the demo's bursts were named only "noisy" without
    it); roughness the spread of the steps over the spread of the values.
    """
    values = np.asarray(series, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    n = len(values)
    rows = []
    for x in values.T:
        x = x[np.isfinite(x)]
        level, spread = (float(x.mean()), float(x.std())) if len(x) else (0.0, 0.0)
        if len(x) < 4 or spread == 0:
            rows.append([0.0, 0.0, 0.0, 0.0, spread, level])
            continue
        t = np.arange(len(x), dtype=np.float64)
        trend = float(np.corrcoef(t, x)[0, 1])
        bursts = float(np.mean(((x - level) / spread) ** 4) - 3.0)
        rows.append([trend, _periodicity(x), bursts, float(np.diff(x).std() / spread), spread, level])
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
    result: Clustered, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
) -> dict[int, Naming | None]:
    """Clusters of time series named by shape features ("periodic, noisy", "rising")."""
    series = result.analysed.series
    n = len(result.analysed.items)
    values = np.zeros((n, len(SERIES_FEATURES)))
    for i in range(n):
        if i % 256 == 0:
            cancel.raise_if_cancelled()
            progress(STAGE, i, n)
        if i in series:
            values[i] = series_features(series[i])
    progress(STAGE, n, n)
    return contrasts(values, SERIES_FEATURES, order)


AUDIO_FEATURES = [
    Feature("loud", "quiet"),
    Feature("high-pitched", "low-pitched"),
    Feature("noisy", "tonal"),
    Feature("rising", "falling", high_from=0.0, low_to=0.0),
    Feature("long", "short"),
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
    result: Clustered, order: dict[int, np.ndarray], progress: Progress, cancel: CancelToken
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
        np.vstack(rows), AUDIO_FEATURES, {c: np.array(r, dtype=int) for c, r in members.items() if r}
    )
