"""Automatic settings for DBSCAN and HDBSCAN: the density scale at which the data's stable groups appear.

Density methods see structure at every scale: on the demo table (customers in 3 segments, each
split by a one-hot shopping channel) min_samples = 5 gives 8 small groups (ARI 0.59), 8-15 gives
the 3 segments (0.98-0.99); on the demo time series 4-5 gives the 3 patterns (0.93-0.94) and
anything above 5 merges two of them. No rule of thumb tied to the dimension fits both (d + 1 is 8
on the table, right, and 25 on the series, wrong; 2 d is wrong on both). Measured over
min_samples 4..20 with eps at the k-distance knee, and min_cluster_size 5..30 for HDBSCAN.

So the scale is chosen by stability: the number of groups that stay the same when the items are
split in random halves (prediction strength, :mod:`engine.cluster.choose_k`) is measured first,
and of the candidate settings the one whose number of clusters is closest to it wins, the one
nearest the usual default (5) breaking ties: larger settings also swallow scattered items that
should stay noise. When no number of groups is stable, the method's default (5) is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine.progress import NEVER_CANCELLED, CancelToken, Progress, detailed, no_progress

DEFAULT = 5
"""min_samples (DBSCAN) or min_cluster_size (HDBSCAN) when no number of groups is stable."""
CANDIDATES = (4, 5, 6, 8, 10, 12, 15, 20, 25, 30)


def stable_k(
    X: np.ndarray,
    random_state: Any = 0,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
    stage: str = "",
) -> int | None:
    """The largest k in 2..10 whose K-Means clusters are stable between random halves, or None."""
    from engine.cluster.choose_k import STABLE, prediction_strength

    ks = list(range(2, 11))
    scores = prediction_strength(
        X, ks, random_state=random_state, cancel=cancel or NEVER_CANCELLED, progress=progress, stage=stage
    )
    stable = [k for k, v in zip(ks, scores, strict=True) if v >= STABLE]
    return stable[-1] if stable else None


def choose_scale(
    X: np.ndarray,
    fit: Callable[[int], np.ndarray],
    what: str,
    random_state: Any = 0,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
    stage: str = "",
) -> tuple[int, np.ndarray, str]:
    """(setting, labels, note): the candidate of ``fit(setting) -> labels`` matching the stable k.

    ``what`` names the setting in the note (min_samples, min_cluster_size); ``progress`` hears
    ``stage (stability)`` and then ``stage (choosing what)`` before each candidate.
    """
    cancel = cancel or NEVER_CANCELLED
    progress = progress or no_progress
    n = len(X)
    target = stable_k(X, random_state, cancel, progress, stage) if n >= 20 else None
    if target is None:
        value = min(DEFAULT, n)
        return value, fit(value), f"{what} = {value} (no number of groups was stable between random halves)."
    best: tuple[tuple[int, int], int, np.ndarray] | None = None  # (gap to target, gap to default)
    tried = [v for v in CANDIDATES if v <= n // 2]
    for i, value in enumerate(tried):
        progress(detailed(stage, f"choosing {what}"), i, len(tried))
        cancel.raise_if_cancelled()
        labels = fit(value)
        found = len(set(labels.tolist()) - {-1})
        key = (abs(found - target), abs(value - DEFAULT))
        if best is None or key < best[0]:
            best = (key, value, labels)
    if best is None:
        value = min(DEFAULT, n)
        return value, fit(value), f"{what} = {value} (too few items to compare settings)."
    _, value, labels = best
    found = len(set(labels.tolist()) - {-1})
    note = (
        f"{what} = {value}, chosen automatically from {tried[0]}..{tried[-1]}: its {found} clusters are "
        f"closest to the {target} groups that stay the same between random halves of the items "
        "(prediction strength)."
    )
    return value, labels, note
