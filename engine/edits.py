"""Hand edits of a clustering: clusters merged, items moved into another cluster or a new one.

An analyst who sees that two clusters are one topic, or that a few items belong elsewhere, fixes
the grouping by hand. The edits are a setting (:attr:`engine.spec.Spec.edits`), so a project
saves them, a run that changes only the map, the outlier detector or the names applies them again,
and the metrics and names describe the edited clusters. Each edit records a digest of the labels
it was made on: when the clustering itself changes (another k, method or input) the edits no longer
mean anything, so they are dropped and a note says so.

An edit is a plain tuple, which a project stores and the engine process receives as it is:
``("merge", digest, clusters)`` or ``("move", digest, cluster, rows)``; ``rows`` are rows of
``Result.analysed``. After each edit the clusters are numbered 0, 1, ... again (noise stays -1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

from engine.items import plural

MERGE = "merge"
MOVE = "move"
Edit = tuple
"""``(MERGE, digest, clusters)`` or ``(MOVE, digest, cluster, rows)``."""


def labels_digest(labels: np.ndarray) -> str:
    """Which labels an edit was made on: 16 hex digits of their BLAKE2b hash."""
    data = np.ascontiguousarray(np.asarray(labels, dtype=np.int64)).tobytes()
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def merge(labels: np.ndarray, clusters: Iterable[int]) -> Edit:
    """The edit that makes ``clusters`` (two or more, not noise) one cluster."""
    chosen = tuple(sorted({int(c) for c in clusters}))
    present = set(np.unique(labels).tolist()) - {-1}
    if len(chosen) < 2 or not set(chosen) <= present:
        raise ValueError(f"Merging needs two or more of the clusters {sorted(present)}; got {list(chosen)}.")
    return (MERGE, labels_digest(labels), chosen)


def move(labels: np.ndarray, rows: Iterable[int], cluster: int | None = None) -> Edit:
    """The edit that puts ``rows`` into ``cluster`` (an existing one), or into a new cluster (None)."""
    chosen = tuple(sorted({int(r) for r in rows}))
    if not chosen or chosen[0] < 0 or chosen[-1] >= len(labels):
        raise ValueError(f"Moving needs rows between 0 and {len(labels) - 1}.")
    present = set(np.unique(labels).tolist()) - {-1}
    target = max(present, default=-1) + 1 if cluster is None else int(cluster)
    if cluster is not None and target not in present:
        raise ValueError(f"There is no cluster {target} to move items to.")
    return (MOVE, labels_digest(labels), target, chosen)


def apply(labels: np.ndarray, edits: Sequence[Edit]) -> tuple[np.ndarray, int]:
    """The labels after ``edits``, and how many applied: they stop at the first made on other labels."""
    current = np.asarray(labels)
    for done, edit in enumerate(edits):
        if len(edit) < 3 or edit[1] != labels_digest(current):
            return current, done
        current = current.copy()
        if edit[0] == MERGE:
            current[np.isin(current, edit[2])] = min(edit[2])
        elif edit[0] == MOVE:
            current[np.asarray(edit[3], dtype=np.intp)] = edit[2]
        else:
            return current, done
        current = _renumbered(current)
    return current, len(edits)


def _renumbered(labels: np.ndarray) -> np.ndarray:
    """Clusters 0..m-1 in the order of their old numbers; a cluster emptied by a move disappears."""
    clusters = np.unique(labels[labels >= 0])
    out = np.full_like(labels, -1)
    out[labels >= 0] = np.searchsorted(clusters, labels[labels >= 0])
    return out


def describe(edits: Sequence[Edit], applied: int) -> str | None:
    """The note: what was edited by hand, and what was dropped because the clusters changed."""
    if not edits:
        return None
    kept = edits[:applied]
    merged = sum(1 for e in kept if e[0] == MERGE)
    moves = [len(e[3]) for e in kept if e[0] == MOVE]
    parts = [plural(merged, "merge")] if merged else []
    parts += [f"{plural(len(moves), 'move')} ({plural(sum(moves), 'item')})"] if moves else []
    said = []
    if parts:
        said.append(
            f"Clusters edited by hand: {', '.join(parts)}; the scores and names describe the edited clusters"
        )
    dropped = len(edits) - applied
    if dropped:
        apply_, it, were = ("applies", "it was", "was") if dropped == 1 else ("apply", "they were", "were")
        said.append(
            f"{plural(dropped, 'hand edit')} no longer {apply_} (the clustering {it} made on changed) "
            f"and {were} dropped"
        )
    text = "; ".join(said)
    return text[0].upper() + text[1:] + "."


def normalised(edits: Iterable[Sequence]) -> tuple[Edit, ...]:
    """Edits as tuples all the way down (JSON gives lists), so that settings compare equal."""
    return tuple(tuple(tuple(part) if isinstance(part, list | tuple) else part for part in e) for e in edits)
