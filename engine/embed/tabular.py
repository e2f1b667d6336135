"""The weight-free table embedder: standardised numeric features, one-hot categories weighed as one."""

from __future__ import annotations

import numpy as np

from engine.embed import Embedder, register
from engine.items import Collection, Problem
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
        one_hot = {f for fs in collection.one_hot.values() for f in fs}
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


register(StandardizedTable, default=True)
