"""What the cluster panel says about a group of items: their order, the cluster's summary numbers, the
mean and band of its series, and how far each table cell is from its column's mean.

Plain numpy over a :class:`engine.pipeline.Result`'s arrays, so the panel never computes anything a
test cannot check without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDERS = {
    "typical": "Most typical first",
    "borderline": "Borderline first",
    "unusual": "Most unusual first",
    "ranked": "Best match first",
}
"""Member orders the panel offers (key: label); ``ranked`` only for a selection made by a search."""


def typicality_order(
    embeddings: np.ndarray, rows: np.ndarray, labels: np.ndarray | None = None
) -> np.ndarray:
    """``rows`` sorted by distance to their cluster's centre in embedding space, closest first.

    With ``labels`` each row is measured against the centre of its own cluster (among ``rows``), so a
    mixed selection lists each cluster's most typical members near the top; else against the centre
    of all ``rows``. Ties keep the original order.
    """
    rows = np.asarray(rows, dtype=np.intp)
    if len(rows) == 0:
        return rows
    vectors = np.asarray(embeddings)
    groups = np.zeros(len(rows), dtype=np.intp) if labels is None else np.asarray(labels)[rows]
    ids, slot = np.unique(groups, return_inverse=True)
    squared = _squared_distances(vectors, _centres(vectors, slot, len(ids), rows), rows)
    return rows[np.argsort(squared[np.arange(len(rows)), slot], kind="stable")]


def borderline_order(embeddings: np.ndarray, rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``rows`` with those that could as well belong to another cluster first: each is scored by
    how much nearer its own cluster's centre is than the closest other centre, (b - a) / max(a, b)
    as a silhouette is, but against centres instead of every other item (no pairwise distances).
    Noise (-1) comes last; with fewer than two clusters the order stays."""
    rows = np.asarray(rows, dtype=np.intp)
    labels = np.asarray(labels)
    ids = np.unique(labels[labels >= 0])
    if len(rows) == 0 or len(ids) < 2:
        return rows
    vectors = np.asarray(embeddings)
    clustered = np.flatnonzero(labels >= 0)
    centres = _centres(vectors, np.searchsorted(ids, labels[clustered]), len(ids), clustered)
    distances = np.sqrt(_squared_distances(vectors, centres, rows))
    own = np.searchsorted(ids, np.maximum(labels, ids[0]))[rows]
    a = distances[np.arange(len(rows)), own]
    distances[np.arange(len(rows)), own] = np.inf
    b = distances.min(axis=1)
    score = (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny)
    score[labels[rows] < 0] = np.inf
    return rows[np.argsort(score, kind="stable")]


def _centres(vectors: np.ndarray, slot: np.ndarray, count: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The mean of ``vectors[rows]`` (default: all) in each slot ``0..count-1``; ``slot`` follows
    ``rows``. Float32 sums stay float32 (1e-7 apart).

    One sparse one-hot product, with no copy of the rows: 0.02 s for 100 000 x 384 float32 vectors,
    where a boolean mask per cluster copied the vectors once per cluster (0.17 s for 6 clusters).
    """
    from scipy.sparse import csr_matrix

    rows = np.arange(len(vectors)) if rows is None else rows
    ones = np.ones(len(rows), dtype=np.float32 if vectors.dtype == np.float32 else np.float64)  # no upcast
    onehot = csr_matrix((ones, (slot, rows)), shape=(count, len(vectors)))
    return (onehot @ vectors) / np.maximum(np.bincount(slot, minlength=count), 1)[:, None]


RANKING_RESOLVE = 1e-3
"""Orders need distances to about 1e-4 of themselves, not K-Means' 1e-6: only distances under this
share of ||x||^2 + ||c||^2 are measured again one by one. At K-Means' 0.1, tight clusters far from
the origin (every row's own centre) were all measured twice: ordering 100 000 x 384 took 0.17 s
instead of 0.08 s."""


def _squared_distances(
    vectors: np.ndarray, centres: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Squared distance from ``vectors[rows]`` (default: all) to every centre, by K-Means' own
    expansion in one matrix product: no float64 copy or difference array of the vectors (0.9 s for
    100 000 x 384 before). Many rows are measured in place and picked after: copying 100 000 x 384
    rows out first cost 0.2-0.3 s; a few rows are copied first."""
    from engine.cluster.lloyd import _exact_sq_distances

    if rows is not None and 8 * len(rows) < len(vectors):
        vectors, rows = vectors[rows], None
    if vectors.dtype not in (np.float32, np.float64):
        vectors = vectors.astype(np.float64)
    squared = _exact_sq_distances(vectors, centres.astype(vectors.dtype), resolve=RANKING_RESOLVE)
    return squared if rows is None else squared[rows]


def outlier_order(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted by outlier score, most unusual first (ties keep the original order)."""
    rows = np.asarray(rows, dtype=np.intp)
    return rows[np.argsort(-np.asarray(scores, dtype=np.float64)[rows], kind="stable")]


@dataclass(frozen=True)
class ClusterSummary:
    """One line of the cluster list."""

    cluster: int
    size: int
    outlier_share: float | None
    """Share of members flagged as outliers at the current threshold; None without a detector."""
    silhouette: float | None
    """Mean silhouette of the members in the silhouette sample; None when none was computed."""


def cluster_summaries(
    labels: np.ndarray,
    flags: np.ndarray | None = None,
    silhouette_rows: np.ndarray | None = None,
    silhouette_values: np.ndarray | None = None,
) -> list[ClusterSummary]:
    """A summary per cluster id in ``labels`` (noise, -1, last), from per-item outlier flags and the
    silhouettes of a sample of items (rows and values, as :class:`engine.metrics.Silhouettes` holds)."""
    labels = np.asarray(labels)
    sil_by_cluster: dict[int, float] = {}
    if silhouette_rows is not None and silhouette_values is not None and len(silhouette_rows):
        sample_labels = labels[np.asarray(silhouette_rows, dtype=np.intp)]
        for cluster in np.unique(sample_labels):
            sil_by_cluster[int(cluster)] = float(np.mean(silhouette_values[sample_labels == cluster]))
    clusters = sorted(np.unique(labels).tolist(), key=lambda c: (c < 0, c))
    summaries = []
    for cluster in clusters:
        mine = labels == cluster
        share = None if flags is None else float(np.mean(np.asarray(flags)[mine]))
        summaries.append(ClusterSummary(int(cluster), int(mine.sum()), share, sil_by_cluster.get(cluster)))
    return summaries


def first_channel(series: np.ndarray) -> np.ndarray:
    """A series' first channel as float64 (1-D series are their own first channel)."""
    values = np.asarray(series, dtype=np.float64)
    return values if values.ndim == 1 else values[:, 0]


def resample(values: np.ndarray, length: int) -> np.ndarray:
    """A 1-D series linearly resampled to ``length`` points (missing values bridged)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(length)
    old = np.linspace(0.0, 1.0, len(values))
    return np.interp(np.linspace(0.0, 1.0, length), old[finite], values[finite])


def series_mean_band(series: list[np.ndarray], length: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the first channels of ``series``, each resampled to ``length``.

    Series of different lengths are compared by their relative position (start to end), as the
    mini plots draw them.
    """
    if not series:
        return np.zeros(length), np.zeros(length)
    stacked = np.vstack([resample(first_channel(s), length) for s in series])
    return stacked.mean(axis=0), stacked.std(axis=0)


STATS_CHUNK = 8192
"""Rows per step of the column statistics: ``std`` made a centred copy of 100 000 x 384 (0.3 s)."""


@dataclass(frozen=True)
class ColumnStats:
    """Each table column's mean and standard deviation over every analysed row.

    A cell's colour and a cluster's most distinctive columns say how far values lie from these, in
    standard deviations, so they read against the whole collection, not only the shown members.
    Only these two vectors are kept: the table of every cell's deviation they replace took 0.3 GB
    and 0.85 s for 100 000 x 384 rows, on the GUI thread.
    """

    mean: np.ndarray
    sd: np.ndarray
    """inf for a constant column, whose cells all lie at its mean."""
    complete: bool
    """No missing value: sums over many rows are one matrix-vector product."""

    @classmethod
    def of(cls, table: np.ndarray) -> ColumnStats:
        table = np.asarray(table)
        if not len(table):
            return cls(np.zeros(table.shape[1]), np.full(table.shape[1], np.inf), True)
        complete = not np.isnan(table).any()
        if not complete:
            mean, sd = np.nanmean(table, axis=0, dtype=np.float64), np.nanstd(table, axis=0, dtype=np.float64)
            return cls(mean, np.where(sd > 0, sd, np.inf), False)
        mean = table.mean(axis=0, dtype=np.float64)
        squares = np.zeros(table.shape[1])
        for start in range(0, len(table), STATS_CHUNK):  # two passes, no centred copy of the table
            centred = table[start : start + STATS_CHUNK] - mean
            squares += np.einsum("ij,ij->j", centred, centred)
        sd = np.sqrt(squares / len(table))
        return cls(mean, np.where(sd > 0, sd, np.inf), True)

    def deviation(self, value: float, column: int) -> float:
        """One cell's distance from its column's mean in standard deviations (0 when missing)."""
        z = (value - self.mean[column]) / self.sd[column]
        return 0.0 if np.isnan(z) else float(z)

    def shift(self, table: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per column, the rows' mean deviation (a missing cell counts as 0, as it is coloured)."""
        rows = np.asarray(rows, dtype=np.intp)
        if not len(rows):
            return np.zeros(len(self.mean))
        table = np.asarray(table)
        if self.complete and 8 * len(rows) >= len(table):
            weights = np.zeros(len(table), dtype=table.dtype)
            weights[rows] = 1
            total, counted = (weights @ table).astype(np.float64), len(rows)
        else:
            picked = table[rows]
            total, counted = np.nansum(picked, axis=0, dtype=np.float64), np.sum(~np.isnan(picked), axis=0)
        return (total - counted * self.mean) / self.sd / len(rows)


def distinctive_columns(
    stats: ColumnStats, table: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The columns, most distinctive of ``rows`` first, and each column's shift
    (:meth:`ColumnStats.shift`: how far the rows lie from the column's mean, in standard deviations).

    What sets a cluster apart then reads from the left, as its name says it ("high age, low
    visits"), instead of sitting wherever the file put the column.
    """
    shift = stats.shift(table, rows)
    return np.argsort(-np.abs(shift), kind="stable"), shift


def cell_text(value: float) -> str:
    """A table cell to four significant digits, without an exponent between 0.001 and a million
    ("14,900" and "9.3" in one income column read better than "1.49e+04" beside "9600")."""
    if np.isnan(value):
        return ""
    size = abs(value)
    if size == 0 or not 1e-3 <= size < 1e6:
        return f"{value:.4g}"
    decimals = max(0, 3 - int(np.floor(np.log10(size))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
