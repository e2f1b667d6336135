"""What the user is looking at, shared by every view: selection, hover, hidden clusters, cluster
names and colours, the current cluster labels and the outlier threshold.

Views never talk to each other; each one writes here and redraws from the change signals. Every
setter emits only on a real change and passes on who made it (``source``), so a view can skip
redrawing its own change and nothing echoes. The state is plain data underneath (``to_dict`` /
``from_dict``) so a project file can keep it.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.anomaly import flags_at
from engine.edits import labels_digest
from engine.naming import fallback_name, match_labels
from gui.views.palette import PALETTE, cluster_color

if TYPE_CHECKING:
    from engine.pipeline import Result

Colour = tuple[int, int, int]
SCHEMA = 1
"""Version of :meth:`ViewState.to_dict`'s layout; a project file stores it beside the state."""
SEEN_CLUSTERINGS = 20
"""How many earlier clusterings of the same items keep their names and colours for a way back."""


def _indices(values: Iterable[int], n: int) -> np.ndarray:
    """Sorted unique row indices inside ``range(n)``, as a read-only array."""
    array = np.unique(np.fromiter((int(v) for v in values), dtype=np.intp))
    array = array[(array >= 0) & (array < n)]
    array.setflags(write=False)
    return array


def _same_ranking(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


_DIGESTS: dict[int, tuple[weakref.ref, str]] = {}
"""Fingerprints already made, by the id of the collection (while it lives)."""


def items_digest(result: Result) -> str:
    """A short fingerprint of which items (file and row, in order) a result analysed.

    Remembered per collection: it costs about 40 ms per 100 000 items, so the worker thread makes
    it before the result reaches the GUI thread, and ``reset_for`` finds it ready.
    """
    collection = result.analysed
    known = _DIGESTS.get(id(collection))
    if known is not None and known[0]() is collection:
        return known[1]
    digest = hashlib.sha1()
    for item in collection.items:
        digest.update(f"{item.path}\t{item.row}\n".encode())
    key = id(collection)
    _DIGESTS[key] = (weakref.ref(collection, lambda _gone: _DIGESTS.pop(key, None)), digest.hexdigest())
    return _DIGESTS[key][1]


def detector_key(result: Result) -> list[Any] | None:
    """What makes two results' outlier scores comparable: detector, contamination and embedder."""
    if result.anomaly is None:
        return None
    return [result.anomaly.detector, float(result.anomaly.contamination), result.embedder]


class ViewState(QObject):
    """The one view state of the window; ``reset_for`` moves it to a new result."""

    selection_changed = Signal(object, object)
    """``(indices, source)``: sorted read-only int array of selected rows of ``Result.analysed.items``."""
    hover_changed = Signal(int, object)
    """``(index, source)``: the item under the mouse, -1 when none."""
    hidden_changed = Signal(object, object)
    """``(frozenset of cluster ids, source)``: clusters whose points are hidden."""
    labels_changed = Signal(object, object)
    """``(labels, source)``: cluster ids per item changed for the same items (a moved dendrogram cut)."""
    clusters_changed = Signal(object)
    """``source``: a cluster's name or colour changed."""
    threshold_changed = Signal(object, object)
    """``(threshold or None, source)``: items scoring above it are outliers."""
    focus_changed = Signal(object, object)
    """``(frozenset of cluster ids, source)``: the clusters chosen in the list or the map's legend
    (empty: none)."""
    reset = Signal()
    """A new result (or none) was taken: views redraw everything from the state."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.result: Result | None = None
        self._n = 0
        self._labels = np.zeros(0, dtype=int)
        self._selected = _indices((), 0)
        self._ranking: np.ndarray | None = None
        self._search = ""
        self._hovered = -1
        self._hidden: frozenset[int] = frozenset()
        self._focused: frozenset[int] = frozenset()
        self._names: dict[int, str] = {}
        self._default_names: dict[int, str] = {}
        self._colours: dict[int, Colour] = {}
        self._threshold: float | None = None
        self._items_digest: str | None = None
        self._detector_key: list[Any] | None = None
        self._seen: dict[str, tuple[dict[int, str], dict[int, Colour]]] = {}
        """Names and colours of the clusterings shown for these items, by labels digest (see _carried)."""

    # ---- a new result ---------------------------------------------------------------------------
    def reset_for(self, result: Result | None) -> None:
        """Follow a new result: keep what still means the same thing, reset the rest, emit ``reset``.

        The selection is kept when the items are the same; names, colours and hidden clusters when
        the labels are the same; with the same items but new labels (another k or method), names the
        user gave and colours move to the new clusters that overlap the old ones most; a threshold
        the user moved when the outlier scores come from the same detector, contamination, embedder
        and items (else the detector's own threshold).
        """
        digest = None if result is None else items_digest(result)
        same_items = digest is not None and digest == self._items_digest
        labels = np.zeros(0, dtype=int) if result is None else np.asarray(result.labels, dtype=int)
        same_labels = same_items and np.array_equal(labels, self._labels)
        key = None if result is None else detector_key(result)
        keep_threshold = same_items and key is not None and key == self._detector_key
        self.result, self._items_digest, self._detector_key = result, digest, key
        if not same_items:
            self._seen = {}
        if not same_labels:
            carried = self._carried(labels) if same_items else ({}, {})
            self._hidden, (self._names, self._colours) = frozenset(), carried
            self._focused = frozenset()
        self._default_names = {} if result is None else {n.cluster: n.name for n in result.names}
        self._n, self._labels = len(labels), labels
        if not same_items:
            self._selected = _indices((), 0)
        self._ranking, self._search = None, ""
        self._hovered = -1
        if not keep_threshold:
            self._threshold = (
                None if result is None or result.anomaly is None else float(result.anomaly.threshold)
            )
        self.reset.emit()

    # ---- reading --------------------------------------------------------------------------------
    @property
    def ranking(self) -> np.ndarray | None:
        """The selection best first when a search made it ("More like this", a typed query), else None."""
        return self._ranking

    @property
    def search(self) -> str:
        """The text typed for the current selection ("" unless a typed query made it)."""
        return self._search

    @property
    def selected(self) -> np.ndarray:
        """Selected rows, sorted (read-only)."""
        return self._selected

    @property
    def hovered(self) -> int:
        return self._hovered

    @property
    def hidden(self) -> frozenset[int]:
        return self._hidden

    @property
    def focused(self) -> frozenset[int]:
        """The clusters chosen in the cluster list (or the legend), which every view brings forward."""
        return self._focused

    def emphasis(self) -> np.ndarray | None:
        """Per item: whether the map draws it at full strength (the rest faded): the selection when
        there is one, else the chosen clusters' items; None when nothing is singled out."""
        if len(self._selected):
            mask = np.zeros(self._n, dtype=bool)
            mask[self._selected] = True
            return mask
        if self._focused:
            return np.isin(self._labels, list(self._focused))
        return None

    @property
    def labels(self) -> np.ndarray:
        """Cluster id per item as shown now (-1 noise); a dendrogram cut changes it before a re-run."""
        return self._labels

    @property
    def threshold(self) -> float | None:
        return self._threshold

    def name_of(self, cluster: int) -> str:
        """The cluster's name: the user's, else the run's (:mod:`engine.naming`), else ``cluster N``."""
        return self._names.get(cluster) or self._default_names.get(cluster) or fallback_name(cluster)

    def colour_of(self, cluster: int) -> Colour:
        return self._colours.get(cluster, cluster_color(cluster))

    def visible_mask(self) -> np.ndarray:
        """Per item: True unless its cluster is hidden."""
        if not self._hidden:
            return np.ones(self._n, dtype=bool)
        return ~np.isin(self._labels, list(self._hidden))

    def outlier_flags(self) -> np.ndarray | None:
        """Outliers at the state's threshold (what the map rings and exports use); None without scores."""
        if self.result is None or self.result.anomaly is None or self._threshold is None:
            return None
        return flags_at(self.result.anomaly.scores, self._threshold)

    # ---- writing --------------------------------------------------------------------------------
    def select(
        self, indices: Iterable[int], source: object = None, ranked: bool = False, search: str = ""
    ) -> None:
        """Select these items; ``ranked``: they come best first (a search), which :attr:`ranking` keeps;
        ``search``: the text typed for them, whose words the document cards mark."""
        order = np.fromiter((int(v) for v in indices), dtype=np.intp)
        chosen = _indices(order, self._n)
        ranking = None
        if ranked:
            order = order[(order >= 0) & (order < self._n)]
            ranking = order[np.sort(np.unique(order, return_index=True)[1])]
        search = search.strip() if ranked else ""
        changed = not _same_ranking(ranking, self._ranking) or search != self._search
        if changed or not np.array_equal(chosen, self._selected):
            self._selected, self._ranking, self._search = chosen, ranking, search
            self.selection_changed.emit(chosen, source)

    def hover(self, index: int, source: object = None) -> None:
        index = int(index) if 0 <= int(index) < self._n else -1
        if index != self._hovered:
            self._hovered = index
            self.hover_changed.emit(index, source)

    def set_hidden(self, clusters: Iterable[int], source: object = None) -> None:
        hidden = frozenset(int(c) for c in clusters)
        if hidden != self._hidden:
            self._hidden = hidden
            self.hidden_changed.emit(hidden, source)

    def set_focused(self, clusters: Iterable[int], source: object = None) -> None:
        focused = frozenset(int(c) for c in clusters)
        if focused != self._focused:
            self._focused = focused
            self.focus_changed.emit(focused, source)

    def choose(self, cluster: int, additive: bool = False, source: object = None) -> None:
        """A click on one cluster (a legend name, a silhouette band): choose it alone, or let it go
        when it was the only one chosen; ``additive`` (Ctrl) adds or removes it."""
        if additive:
            self.set_focused(self._focused ^ {int(cluster)}, source)
        else:
            self.set_focused(() if self._focused == {int(cluster)} else (int(cluster),), source)

    def set_cluster_visible(self, cluster: int, visible: bool, source: object = None) -> None:
        self.set_hidden(self._hidden - {cluster} if visible else self._hidden | {cluster}, source)

    def set_labels(self, labels: np.ndarray, source: object = None) -> None:
        """New cluster ids for the same items; names, colours and hidden clusters no longer apply."""
        labels = np.asarray(labels, dtype=int).reshape(-1)
        if len(labels) != self._n:
            raise ValueError(f"{len(labels)} labels for {self._n} items")
        if np.array_equal(labels, self._labels):
            return
        self._names, self._colours = self._carried(labels)
        self._default_names = {}  # the run's names describe its own clusters, not these
        self._labels = labels
        self.set_hidden((), source)
        self.labels_changed.emit(labels, source)

    def _carried(self, labels: np.ndarray) -> tuple[dict[int, str], dict[int, Colour]]:
        """The user's names and the colours of the current clusters, moved to the clusters of ``labels``
        that overlap them most (see :func:`engine.naming.match_labels`); unmatched new clusters get
        palette colours no matched cluster uses, so two clusters never share a colour.

        A name given to a cluster that is now part of a bigger one (a merge, a smaller k) goes to it
        when the cluster it matched has none. Clusterings shown before for the same items (an undone
        hand edit, going back to a k) get exactly the names and colours they had.
        """
        self._seen[labels_digest(self._labels)] = (dict(self._names), dict(self._colours))
        if len(self._seen) > SEEN_CLUSTERINGS:
            self._seen.pop(next(iter(self._seen)))
        seen = self._seen.get(labels_digest(labels))
        if seen is not None:
            return dict(seen[0]), dict(seen[1])
        matched = match_labels(self._labels, labels) if len(labels) == len(self._labels) else {}
        names = {new: self._names[old] for new, old in matched.items() if old in self._names}
        for old, name in self._names.items():
            if old in matched.values():
                continue
            values, counts = np.unique(labels[self._labels == old], return_counts=True)
            if len(values) and counts.max() > counts.sum() / 2:
                whole = int(values[counts.argmax()])
                if whole >= 0 and whole not in names:
                    names[whole] = name
        colours = {new: self.colour_of(old) for new, old in matched.items()}
        free = [c for c in PALETTE if c not in colours.values()]
        for cluster in sorted(set(labels.tolist()) - {-1} - set(colours)):
            own = cluster_color(cluster)
            colours[cluster] = own if own in free or not free else free[0]
            if colours[cluster] in free:
                free.remove(colours[cluster])
        return names, colours

    def rename(self, cluster: int, name: str, source: object = None) -> None:
        """Give a cluster a name; an empty name goes back to the default."""
        name = name.strip()
        current = self._names.get(cluster)
        if name == (current or ""):
            return
        if name:
            self._names[cluster] = name
        else:
            self._names.pop(cluster, None)
        self.clusters_changed.emit(source)

    def set_colour(self, cluster: int, colour: Colour, source: object = None) -> None:
        colour = tuple(int(c) for c in colour)
        if colour != self.colour_of(cluster):
            self._colours[cluster] = colour
            self.clusters_changed.emit(source)

    def set_threshold(self, value: float | None, source: object = None) -> None:
        value = None if value is None else float(value)
        if value != self._threshold:
            self._threshold = value
            self.threshold_changed.emit(value, source)

    # ---- plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: lists, strings and numbers only."""
        return {
            "schema": SCHEMA,
            "items_digest": self._items_digest,
            "n_items": self._n,
            "labels": self._labels.tolist(),
            "selected": self._selected.tolist(),
            "hidden": sorted(self._hidden),
            "focused": sorted(self._focused),
            "names": {str(c): n for c, n in sorted(self._names.items())},
            "colours": {str(c): list(rgb) for c, rgb in sorted(self._colours.items())},
            "threshold": self._threshold,
            "detector": self._detector_key,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], parent: QObject | None = None) -> ViewState:
        """The state :meth:`to_dict` wrote; ``reset_for(result)`` afterwards keeps what still applies."""
        if int(data.get("schema", 0)) > SCHEMA:
            raise ValueError(f"This view state was written by a newer version (schema {data['schema']}).")
        state = cls(parent)
        state._items_digest = data.get("items_digest")
        state._n = int(data.get("n_items", 0))
        state._labels = np.asarray(data.get("labels", []), dtype=int)
        state._selected = _indices(data.get("selected", []), state._n)
        state._hidden = frozenset(int(c) for c in data.get("hidden", []))
        state._focused = frozenset(int(c) for c in data.get("focused", []))
        state._names = {int(c): str(n) for c, n in data.get("names", {}).items()}
        state._colours = {int(c): tuple(int(v) for v in rgb) for c, rgb in data.get("colours", {}).items()}
        threshold = data.get("threshold")
        state._threshold = None if threshold is None else float(threshold)
        state._detector_key = data.get("detector")
        return state
