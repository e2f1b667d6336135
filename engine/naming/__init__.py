"""Readable default names for clusters, and keeping clusters' identities across re-clustering.

Each modality has its own namer (``engine.naming.text``, ``images``, ``features``): keywords of
documents, ImageNet classes of pictures, the features in which a cluster stands out. Every namer
returns, per cluster, a name and keywords, or ``None`` where it has nothing better to say; such
clusters are named after their most typical member. Naming never fails a run: any error falls
back to ``cluster N`` with a note (see :func:`name_stage`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engine.progress import NAME, NEVER_CANCELLED, Cancelled, CancelToken, Progress, no_progress

if TYPE_CHECKING:
    from engine.items import Collection


class Clustered(Protocol):
    """What naming reads of a run; :class:`engine.pipeline.Result` has it all, and naming never
    imports the pipeline (the pipeline calls naming)."""

    analysed: Collection
    embeddings: np.ndarray
    modality: str
    embedder: str
    spec: Any

    @property
    def labels(self) -> np.ndarray: ...


STAGE = NAME
"""The stage every namer reports (:data:`engine.progress.NAME`)."""
N_TYPICAL = 5
"""Typical items kept per cluster (clusters.csv lists their names)."""

Namer = Callable[["Clustered", dict[int, np.ndarray], Progress, CancelToken], dict[int, "Naming | None"]]


class NamerUnavailable(Exception):
    """A namer cannot run here (its model is missing); clusters take their typical member's name."""


@dataclass(frozen=True)
class Naming:
    """What a namer found for one cluster: a short name and the words behind it, best first."""

    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ClusterName:
    """A cluster's default name, the keywords behind it and its most typical items."""

    cluster: int
    name: str
    keywords: tuple[str, ...] = ()
    typical: tuple[int, ...] = ()
    """Rows of ``result.analysed.items``, closest to the cluster's centre first."""

    def to_dict(self) -> dict:
        return {
            "cluster": self.cluster,
            "name": self.name,
            "keywords": list(self.keywords),
            "typical": list(self.typical),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ClusterName:
        return cls(
            int(data["cluster"]),
            str(data["name"]),
            tuple(str(k) for k in data.get("keywords", ())),
            tuple(int(i) for i in data.get("typical", ())),
        )


def fallback_name(cluster: int) -> str:
    """The name a cluster has when nothing better is known (the GUI's default too)."""
    return "noise" if cluster < 0 else f"cluster {cluster}"


def typical_order(vectors: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Per cluster (noise excluded), its rows ordered by distance to the cluster's mean vector."""
    order: dict[int, np.ndarray] = {}
    for cluster in sorted(set(labels.tolist()) - {-1}):
        rows = np.flatnonzero(labels == cluster)
        members = vectors[rows].astype(np.float64)
        distance = ((members - members.mean(axis=0)) ** 2).sum(axis=1)
        order[cluster] = rows[np.argsort(distance, kind="stable")]
    return order


def _namer(modality: str) -> Namer | None:
    if modality == "text":
        from engine.naming.text import name_texts

        return name_texts
    if modality == "image":
        from engine.naming.images import name_images

        return name_images
    from engine.naming import features

    return {
        "table": features.name_tables,
        "timeseries": features.name_series,
        "audio": features.name_audio,
    }.get(modality)


def name_clusters(
    result: Clustered,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    notes: list[str] | None = None,
) -> list[ClusterName]:
    """A name for every cluster of ``result`` (noise too, as ``noise``), in cluster order.

    Clusters the modality's namer cannot name are named after their most typical member, and so
    are all clusters when the namer is unavailable (a note saying why goes to ``notes``). Names are
    made unique (a second ``tabby`` becomes ``tabby 2``). Other errors propagate; the pipeline's
    :func:`name_stage` turns them into ``cluster N`` names and a note.
    """
    progress, cancel = progress or no_progress, cancel or NEVER_CANCELLED
    labels = np.asarray(result.labels)
    order = typical_order(result.embeddings, labels)
    namer = _namer(result.modality)
    try:
        found = namer(result, order, progress, cancel) if namer is not None else {}
    except NamerUnavailable as why:
        found = {}
        if notes is not None:
            notes.append(f"Clusters are named after their most typical item: {why}")
    cancel.raise_if_cancelled()
    items = result.analysed.items
    names, used = [], set()
    for cluster, rows in order.items():
        naming = found.get(cluster)
        if naming is None:
            member = items[int(rows[0])].display_name
            naming = Naming(f"like {member}", ())
        name = _unique(naming, used)
        typical = tuple(int(i) for i in rows[:N_TYPICAL])
        names.append(ClusterName(cluster, name, naming.keywords, typical))
    if (labels == -1).any():
        names.insert(0, ClusterName(-1, fallback_name(-1)))
    return names


def _unique(naming: Naming, used: set[str]) -> str:
    """The name, else the name with its next keywords until it is free ("smooth, lined, bright"),
    else numbered ("tabby 2"): a keyword tells two look-alike clusters apart, a number does not."""
    name = naming.name
    for keyword in (k for k in naming.keywords if k not in name.split(", ")):
        if name not in used:
            break
        name = f"{name}, {keyword}"
    if name in used:
        name = naming.name
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name} {n}", n + 1
    used.add(candidate)
    return candidate


def plain_names(result: Clustered) -> list[ClusterName]:
    """``cluster N`` for every cluster, with typical items: what a run shows when naming failed."""
    labels = np.asarray(result.labels)
    order = typical_order(result.embeddings, labels)
    names = [
        ClusterName(c, fallback_name(c), (), tuple(int(i) for i in r[:N_TYPICAL])) for c, r in order.items()
    ]
    return ([ClusterName(-1, fallback_name(-1))] if (labels == -1).any() else []) + names


def name_stage(
    result: Clustered, progress: Progress | None = None, cancel: CancelToken | None = None
) -> tuple[list[ClusterName], str | None]:
    """Names for the pipeline: never raises except for Cancel; a failure gives plain names and a note."""
    notes: list[str] = []
    try:
        return name_clusters(result, progress, cancel, notes), (notes[0] if notes else None)
    except Cancelled:
        raise
    except Exception as error:  # noqa: BLE001 - a name is a nicety: it must never cost the user the run
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return plain_names(result), f"Clusters could not be named ({reason}); they are numbered instead."


def match_labels(old_labels: np.ndarray, new_labels: np.ndarray, min_share: float = 0.5) -> dict[int, int]:
    """New cluster -> the old cluster it overlaps most, one old cluster per new one at most.

    A Hungarian assignment on the overlap counts (items in both), so after k 3 -> 4 the three
    clusters that stayed keep their identities (colours, user names) and only the new one is new.
    A pair is kept when the items in both are more than ``min_share`` of the smaller of the two
    clusters: an unrelated clustering of the same items inherits nothing. Noise (-1) is neither
    matched nor matched to.
    """
    from scipy.optimize import linear_sum_assignment

    old_labels, new_labels = np.asarray(old_labels), np.asarray(new_labels)
    if old_labels.shape != new_labels.shape:
        raise ValueError(f"{len(old_labels)} old labels for {len(new_labels)} new ones")
    old_ids = sorted(set(old_labels.tolist()) - {-1})
    new_ids = sorted(set(new_labels.tolist()) - {-1})
    if not old_ids or not new_ids:
        return {}
    old_pos = {c: j for j, c in enumerate(old_ids)}
    new_pos = {c: i for i, c in enumerate(new_ids)}
    overlap = np.zeros((len(new_ids), len(old_ids)), dtype=np.int64)
    both = (old_labels != -1) & (new_labels != -1)
    for new, old in zip(new_labels[both].tolist(), old_labels[both].tolist(), strict=True):
        overlap[new_pos[new], old_pos[old]] += 1
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    smaller = np.minimum(overlap.sum(axis=1)[:, None], overlap.sum(axis=0)[None, :])
    kept = overlap > min_share * smaller
    return {new_ids[i]: old_ids[j] for i, j in zip(rows, cols, strict=True) if kept[i, j]}
