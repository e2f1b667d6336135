"""Weight-free embedders for CSV data: standardised table features and resampled time series."""

from __future__ import annotations

import numpy as np

from engine.embed import Embedder, register
from engine.items import Collection
from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress


class StandardizedTable(Embedder):
    """Table rows as z-scored features, so no column dominates the distances by its unit."""

    name = "table-standardized"
    modality = "table"
    description = "numeric and one-hot features, each scaled to mean 0 and variance 1"

    def embed(
        self, collection: Collection, progress: Progress | None = None, cancel: CancelToken | None = None
    ) -> np.ndarray:
        (cancel or NEVER_CANCELLED).raise_if_cancelled()
        X = np.asarray(collection.table_features, dtype=np.float32)
        std = X.std(axis=0)
        std[std == 0] = 1.0
        (progress or no_progress)("embed", len(X), len(X))
        return ((X - X.mean(axis=0)) / std).astype(np.float32)


class ResampledSeries(Embedder):
    """Each series z-normalised and resampled to one length: shape matters, not level or scale."""

    name = "ts-resampled"
    modality = "timeseries"
    description = "z-normalised values resampled to a common length (channels concatenated)"
    max_length = 256

    def embed(
        self, collection: Collection, progress: Progress | None = None, cancel: CancelToken | None = None
    ) -> np.ndarray:
        progress = progress or no_progress
        cancel = cancel or NEVER_CANCELLED
        series = [_as_2d(collection.series[item.id]) for item in collection.items]
        length = min(self.max_length, int(np.median([len(s) for s in series])))
        length = max(length, 2)
        out = np.empty((len(series), length * series[0].shape[1]), dtype=np.float32)
        channels = {s.shape[1] for s in series}
        if len(channels) > 1:
            raise ValueError(f"Series have different numbers of channels: {sorted(channels)}.")
        for i, s in enumerate(series):
            if i % 1000 == 0:
                cancel.raise_if_cancelled()
                progress("embed", i, len(series))
            out[i] = resample(znormalise(s), length).ravel(order="F")
        progress("embed", len(series), len(series))
        return out


def _as_2d(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[:, None] if values.ndim == 1 else values


def znormalise(series: np.ndarray) -> np.ndarray:
    """Per-channel z-normalisation; a flat channel becomes zeros instead of NaN."""
    series = _as_2d(series)
    std = series.std(axis=0)
    std[std == 0] = 1.0
    return (series - series.mean(axis=0)) / std


def resample(series: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation of every channel onto ``length`` evenly spaced points."""
    series = _as_2d(series)
    if len(series) == length:
        return series
    old = np.linspace(0.0, 1.0, len(series))
    new = np.linspace(0.0, 1.0, length)
    return np.column_stack([np.interp(new, old, series[:, c]) for c in range(series.shape[1])])


register(StandardizedTable, default=True)
register(ResampledSeries, default=True)
