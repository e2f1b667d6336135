"""The weight-free table embedder: standardised numeric features, one-hot categories weighed as one."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.embed import Embedder, register
from engine.items import Collection, Item
from engine.progress import FEATURES, CancelToken, Progress, detailed

FIT_CHUNK = 50_000
"""Rows per step of the scaling fit: about 0.1 s each, so progress moves and Cancel is heard."""


class StandardizedTable(Embedder):
    """Table rows as z-scored numeric features, so no column dominates the distances by its unit.

    One-hot indicator columns are not z-scored (a rare category would get a huge weight); they stay
    0/1 scaled by 1/sqrt(2), so two rows with different categories are one unit apart, the same
    weight as one standardised numeric feature.
    """

    name = "table-standardized"
    modality = "table"
    description = "numeric features scaled to mean 0, variance 1; categories one-hot, weighted as one feature"
    batch_size = 4096
    cacheable = False  # scaling depends on the whole table
    fits_corpus = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._rows: tuple[int, dict[int, int]] | None = None  # (id of the collection, item id -> its row)
        self._scaling: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        """The item's row of ``collection.table_features``."""
        if self._rows is None or self._rows[0] != id(collection):
            self._rows = (id(collection), collection.table_rows())
        return collection.table_features[self._rows[1][item.id]]

    def fit(
        self, payloads: list[np.ndarray], collection: Collection, progress: Progress, cancel: CancelToken
    ) -> None:
        """Which features are one-hot indicators, and the mean and spread of the others.

        Summed in chunks (Chan's pairwise update: as exact as one pass over the whole table), so that a
        million rows report progress and hear Cancel instead of one silent multi-second step.
        """
        width = len(payloads[0]) if payloads else 0
        one_hot = {f for fs in collection.one_hot.values() for f in fs}
        indicator = np.array([name in one_hot for name in collection.feature_names], dtype=bool)
        if len(indicator) != width:
            indicator = np.zeros(width, dtype=bool)
        stage = detailed(f"{FEATURES} ({self.name})", "scaling")
        count, mean, m2 = 0, np.zeros((~indicator).sum()), np.zeros((~indicator).sum())
        for start in range(0, len(payloads), FIT_CHUNK):
            cancel.raise_if_cancelled()
            chunk = np.array(payloads[start : start + FIT_CHUNK], dtype=np.float64)[:, ~indicator]
            n, chunk_mean = len(chunk), chunk.mean(axis=0)
            delta = chunk_mean - mean
            m2 += ((chunk - chunk_mean) ** 2).sum(axis=0) + delta**2 * count * n / (count + n)
            mean += delta * n / (count + n)
            count += n
            progress(stage, count, len(payloads))
        std = np.sqrt(m2 / max(count, 1))
        std[std == 0] = 1.0
        self._scaling = (indicator, mean.astype(np.float32), std.astype(np.float32))

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        indicator, mean, std = self._scaling
        X = np.array(payloads, dtype=np.float32)
        X[:, ~indicator] = (X[:, ~indicator] - mean) / std
        X[:, indicator] *= np.float32(1 / np.sqrt(2))
        return X


register(StandardizedTable, default=True)
