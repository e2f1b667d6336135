"""Weight-free embedders for CSV data: standardised table features and resampled time series."""

from __future__ import annotations

import numpy as np

from engine.embed import Embedder, register
from engine.items import Collection, Item, Problem
from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress


class StandardizedTable(Embedder):
    """Table rows as z-scored numeric features, so no column dominates the distances by its unit.

    One-hot indicator columns are not z-scored (a rare category would get a huge weight); they stay
    0/1 scaled by 1/sqrt(2), so two rows with different categories are one unit apart, the same
    weight as one standardised numeric feature.
    """

    name = "table-standardized"
    modality = "table"
    description = "numeric features scaled to mean 0, variance 1; categories one-hot, weighted as one feature"
    cacheable = False  # scaling depends on the whole table

    def embed(
        self,
        collection: Collection,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        problems: list[Problem] | None = None,
        cache: object = None,
    ) -> np.ndarray:
        (cancel or NEVER_CANCELLED).raise_if_cancelled()
        X = np.array(collection.table_features, dtype=np.float32)
        one_hot = {f for fs in collection.info.get("table", {}).get("one_hot", {}).values() for f in fs}
        indicator = np.array([name in one_hot for name in collection.feature_names], dtype=bool)
        if len(indicator) != X.shape[1]:
            indicator = np.zeros(X.shape[1], dtype=bool)
        numeric = X[:, ~indicator]
        std = numeric.std(axis=0)
        std[std == 0] = 1.0
        X[:, ~indicator] = (numeric - numeric.mean(axis=0)) / std
        X[:, indicator] *= np.float32(1 / np.sqrt(2))
        (progress or no_progress)("embed", len(X), len(X))
        return X


class ResampledSeries(Embedder):
    """Each series z-normalised and resampled to one length: shape matters, not level or scale."""

    name = "ts-resampled"
    modality = "timeseries"
    description = "z-normalised values resampled to a common length (channels concatenated)"
    batch_size = 1024

    def params(self) -> dict[str, object]:
        return {"length": self.options.get("length", 128)}

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        return collection.series[item.id]

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        length = self.params()["length"]
        return np.stack([resample(znormalise(s), length).ravel(order="F") for s in payloads])


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
register(ResampledSeries)
