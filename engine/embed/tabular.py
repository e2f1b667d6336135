"""The weight-free table embedder: standardised numeric features, one-hot categories weighed as one."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.embed import Embedder, register
from engine.items import Collection, Item
from engine.progress import CancelToken, Progress


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
        """Which features are one-hot indicators, and the mean and spread of the others."""
        X = np.array(payloads, dtype=np.float32)
        one_hot = {f for fs in collection.one_hot.values() for f in fs}
        indicator = np.array([name in one_hot for name in collection.feature_names], dtype=bool)
        if len(indicator) != X.shape[1]:
            indicator = np.zeros(X.shape[1], dtype=bool)
        numeric = X[:, ~indicator]
        std = numeric.std(axis=0)
        std[std == 0] = 1.0
        self._scaling = (indicator, numeric.mean(axis=0), std)

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        indicator, mean, std = self._scaling
        X = np.array(payloads, dtype=np.float32)
        X[:, ~indicator] = (X[:, ~indicator] - mean) / std
        X[:, indicator] *= np.float32(1 / np.sqrt(2))
        return X


register(StandardizedTable, default=True)
