"""Embedders: one small class per way of turning items into vectors, behind a registry.

Each embedder says which modality it handles, whether it needs model weights and where they
come from, so the GUI and ``main.py models`` can list them and the Spec can pick one by name.

Most embedders only write two methods: :meth:`Embedder.load` (one item's file or data into a
payload, raising :class:`~engine.items.ItemError` with a message for the user when the item is bad) and
:meth:`Embedder.embed_batch` (payloads into vectors). :meth:`Embedder.embed` does the rest for
all of them: batching, progress, cancellation between batches, the on-disk cache, and turning a
bad item into a :class:`~engine.items.Problem` and a NaN row instead of stopping the run.

Hooks for the rest, so that no embedder overrides :meth:`Embedder.embed`: :meth:`Embedder.fit`
(with ``fits_corpus``) learns from every payload before any is embedded (TF-IDF, MiniRocket, a
table's scaling); :meth:`Embedder.finish` works over all the vectors afterwards;
:meth:`Embedder.check_cancelled` lets a long batch stop halfway; :meth:`Embedder.warn` reports an
item that was used but cut or repaired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.embed.prefetch import loaded_batches
from engine.items import Collection, Item, ItemError, Problem
from engine.progress import (
    EMBED,
    FEATURES,
    NEVER_CANCELLED,
    Cancelled,
    CancelToken,
    Progress,
    no_progress,
)


@dataclass(frozen=True)
class Readiness:
    """Whether an embedder can run here, where its model comes from, and what to do if it cannot."""

    ready: bool
    source: str
    message: str = ""


class Embedder:
    """Base class; subclasses set the class attributes and implement :meth:`load` and :meth:`embed_batch`."""

    name: str = ""
    modality: str = ""
    description: str = ""
    needs_weights: bool = False
    batch_size: int = 64
    cacheable: bool = True
    """Whether one item's vector depends only on that item (so it can be cached by content)."""
    fits_corpus: bool = False
    """Whether the vectors depend on the whole collection (a vocabulary, kernels, a scaling): then
    :meth:`fit` sees every readable item's payload before any :meth:`embed_batch`, and nothing is cached."""
    fallback: str | None = None
    """The weight-free embedder the pipeline uses instead when this one's model is missing."""
    load_workers: int = 1
    """Threads reading items ahead of the model (:mod:`engine.embed.prefetch`); 1 reads in line.
    More only where :meth:`load` is thread-safe and releases the interpreter lock (Pillow, audio)."""
    warm_up_stage: str | None = None
    """:data:`~engine.progress.LOAD_MODEL` when :meth:`warm_up` takes seconds: it is then a progress
    step of its own instead of a first batch that seems stuck."""

    # The run in progress, for the hooks :meth:`check_cancelled` and :meth:`warn`; set by :meth:`embed`.
    _cancel: CancelToken = NEVER_CANCELLED
    _problems: list[Problem] | None = None

    def __init__(self, **options: Any) -> None:
        self.options = options

    def params(self) -> dict[str, Any]:
        """Everything besides the item that changes its vector; part of the cache key (not the device)."""
        return {k: v for k, v in sorted(self.options.items()) if k != "device"}

    def readiness(self) -> Readiness:
        return Readiness(True, "built in (no weights)")

    def content_key(self, item: Item, collection: Collection) -> bytes:
        """Bytes that identify the item's content (the file by default; the values for CSV rows)."""
        if item.id in collection.series:
            return np.ascontiguousarray(collection.series[item.id]).tobytes()
        return item.path.read_bytes()

    def load(self, item: Item, collection: Collection) -> Any:
        """Read one item into what :meth:`embed_batch` takes; raise :class:`ItemError` if it is bad."""
        raise NotImplementedError

    def warm_up(self) -> None:
        """Load the model that the first batch needs (see ``warm_up_stage``)."""

    def fit(
        self, payloads: list[Any], collection: Collection, progress: Progress, cancel: CancelToken
    ) -> None:
        """Learn from every readable item's payload what the vectors depend on (only when ``fits_corpus``)."""

    def embed_batch(self, payloads: list[Any]) -> np.ndarray:
        """Turn a batch of loaded payloads into a (len(payloads), dim) array."""
        raise NotImplementedError

    def finish(self, vectors: np.ndarray, progress: Progress, cancel: CancelToken) -> np.ndarray:
        """Work over the whole collection after every item is embedded (scaling, PCA, alignment).

        Receives the rows of the items that could be read (cached rows included) and may change
        the number of columns. The default keeps the vectors as they are.
        """
        return vectors

    def check_cancelled(self) -> None:
        """Stop the run now if the user cancelled it: for :meth:`embed_batch` work that takes seconds."""
        self._cancel.raise_if_cancelled()

    def warn(self, item: Item, message: str) -> None:
        """Report that ``item`` is used but something was cut or repaired (a warning in the run's problems).

        Outside :meth:`embed` (a direct :meth:`load`) there is no run to report to and the warning is dropped.
        """
        if self._problems is not None:
            self._problems.append(Problem(item.path, "embed", message, severity="warning"))

    def embed(
        self,
        collection: Collection,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        problems: list[Problem] | None = None,
        cache: Any = None,
    ) -> np.ndarray:
        """Vectors for every item, row i for ``collection.items[i]``, float32.

        A row whose item could not be read is all NaN and a Problem naming the file is appended
        to ``problems``; the pipeline leaves such items out. ``cache`` is an
        :class:`engine.embed.cache.VectorCache` or None.
        """
        progress = progress or no_progress
        cancel = cancel or NEVER_CANCELLED
        problems = problems if problems is not None else []
        outside = self._cancel, self._problems
        self._cancel, self._problems = cancel, problems
        try:
            return self._embed(collection, progress, cancel, problems, cache)
        finally:
            self._cancel, self._problems = outside

    def _embed(
        self,
        collection: Collection,
        progress: Progress,
        cancel: CancelToken,
        problems: list[Problem],
        cache: Any,
    ) -> np.ndarray:
        items = collection.items
        rows: list[np.ndarray | None] = [None] * len(items)
        keys: list[str | None] = [None] * len(items)
        use_cache = cache is not None and self.cacheable and not self.fits_corpus
        if use_cache:
            params = json.dumps({"embedder": self.name, **self.params()}, sort_keys=True, default=str)
            for i, item in enumerate(items):
                if i % 256 == 0:
                    cancel.raise_if_cancelled()
                try:
                    keys[i] = cache.key(self.content_key(item, collection), params)
                except OSError as error:
                    problems.append(Problem(item.path, "embed", _unreadable(error)))
                    rows[i] = _FAILED
            found = cache.get_many([k for k in keys if k is not None])
            for i, key in enumerate(keys):
                if key is not None and key in found:
                    rows[i] = found[key]
        todo = [i for i, row in enumerate(rows) if row is None]
        if todo and self.warm_up_stage:
            self._warm_up_step(progress)
        done = len(items) - len(todo)
        progress(f"{EMBED} ({self.name})", done, len(items))
        loaded: list[tuple[int, Any]] = []  # kept for the corpus-wide fit

        def load(i: int) -> Any:
            return self.load(items[i], collection)

        expected = (ItemError, OSError)
        for batch in loaded_batches(
            load, todo, self.batch_size, expected, self.load_workers, cancel.raise_if_cancelled
        ):
            good, payloads = [], []
            for i, payload in batch:
                if isinstance(payload, expected):
                    problems.append(Problem(items[i].path, "embed", _unreadable(payload)))
                    rows[i] = _FAILED
                    continue
                payloads.append(payload)
                good.append(i)
                if getattr(payload, "note", None):  # used, but the user should know (text cut)
                    problems.append(Problem(items[i].path, "embed", payload.note, "warning"))
            if self.fits_corpus:
                loaded.extend(zip(good, payloads, strict=True))
            elif payloads:
                self._embed_into(rows, good, payloads, items, problems)
                if use_cache:
                    cache.put_many({keys[i]: rows[i] for i in good if keys[i] is not None and len(rows[i])})
            done += len(batch)
            progress(f"{EMBED} ({self.name})", done, len(items))
        if loaded:
            self._fit_and_embed(loaded, rows, items, problems, collection, progress, cancel)
        vectors = _stack(rows)
        rows.clear()  # the batches' arrays can go before finish() makes its own copies
        ok = np.isfinite(vectors).all(axis=1)
        if not ok.any():
            return vectors
        finished = np.asarray(self.finish(vectors if ok.all() else vectors[ok], progress, cancel), np.float32)
        if ok.all():
            return finished
        out = np.full((len(vectors), finished.shape[1]), np.nan, dtype=np.float32)
        out[ok] = finished
        return out

    def _warm_up_step(self, progress: Progress) -> None:
        step = f"{self.warm_up_stage} ({self.name})"
        progress(step, 0, 1)
        self.warm_up()
        progress(step, 1, 1)

    def _fit_and_embed(
        self,
        loaded: list[tuple[int, Any]],
        rows: list[np.ndarray | None],
        items: list[Item],
        problems: list[Problem],
        collection: Collection,
        progress: Progress,
        cancel: CancelToken,
    ) -> None:
        """The second pass of a corpus-wide embedder: fit on every payload, then embed them batch by batch."""
        stage = f"{FEATURES} ({self.name})"
        progress(stage, 0, len(loaded))
        self.fit([payload for _, payload in loaded], collection, progress, cancel)
        for start in range(0, len(loaded), self.batch_size):
            cancel.raise_if_cancelled()
            batch = loaded[start : start + self.batch_size]
            self._embed_into(rows, [i for i, _ in batch], [payload for _, payload in batch], items, problems)
            progress(stage, start + len(batch), len(loaded))

    def _embed_into(
        self,
        rows: list[np.ndarray | None],
        good: list[int],
        payloads: list[Any],
        items: list[Item],
        problems: list[Problem],
    ) -> None:
        for i, vector in zip(good, _embed_each_if_needed(self, payloads, good, items, problems), strict=True):
            rows[i] = vector


def _embed_each_if_needed(
    embedder: Embedder, payloads: list[Any], rows: list[int], items: list[Item], problems: list[Problem]
) -> list[np.ndarray]:
    """The batch's vectors; when the batch fails, each item alone, so that a bad item fails alone.

    An item that fails, or whose vector is not all finite numbers, gets a Problem and an empty row.
    """
    try:
        batch = np.asarray(embedder.embed_batch(payloads), dtype=np.float32)
    except Cancelled:
        raise
    except Exception as error:  # noqa: BLE001 - libraries raise anything on odd data (catch22: ZeroDivisionError)
        if len(payloads) > 1:
            return [
                vector
                for payload, i in zip(payloads, rows, strict=True)
                for vector in _embed_each_if_needed(embedder, [payload], [i], items, problems)
            ]
        why = f"could not be embedded by {embedder.name} ({type(error).__name__}: {error})"
        problems.append(Problem(items[rows[0]].path, "embed", f"{_where(items[rows[0]])}{why}; left out."))
        return [_FAILED]
    out = []
    for i, vector in zip(rows, batch, strict=True):
        if not np.isfinite(vector).all():
            why = f"{embedder.name} gave values that are not finite numbers"
            problems.append(Problem(items[i].path, "embed", f"{_where(items[i])}{why}; left out."))
            vector = _FAILED
        out.append(vector)
    return out


def _where(item: Item) -> str:
    return "" if item.row is None else f"Row {item.row}: "


def _unreadable(error: Exception) -> str:
    if isinstance(error, ItemError):
        return str(error)
    return f"cannot be read: {getattr(error, 'strerror', None) or error}"


_FAILED = np.empty(0, dtype=np.float32)  # marks a row whose item could not be embedded


def _stack(rows: list[np.ndarray | None]) -> np.ndarray:
    dims = {len(r) for r in rows if r is not None and len(r)}
    if len(dims) > 1:
        raise ValueError(f"embedder returned vectors of different lengths: {sorted(dims)}")
    dim = dims.pop() if dims else 1
    out = np.full((len(rows), dim), np.nan, dtype=np.float32)
    for i, row in enumerate(rows):
        if row is not None and len(row):
            out[i] = row
    return out


_REGISTRY: dict[str, type[Embedder]] = {}
_DEFAULTS: dict[str, str] = {}


def register(cls: type[Embedder], default: bool = False) -> type[Embedder]:
    """Add an embedder class to the registry (optionally as its modality's default)."""
    _REGISTRY[cls.name] = cls
    if default:
        _DEFAULTS[cls.modality] = cls.name
    return cls


def list_embedders(modality: str | None = None) -> list[Embedder]:
    """Every registered embedder (of one modality if given), defaults first."""
    _load_builtin()
    chosen = [cls() for cls in _REGISTRY.values() if modality in (None, cls.modality)]
    return sorted(chosen, key=lambda e: (e.modality, _DEFAULTS.get(e.modality) != e.name, e.name))


def default_embedder(modality: str) -> str:
    _load_builtin()
    if modality not in _DEFAULTS:
        raise ValueError(f"No embedder is available for {modality} items yet.")
    return _DEFAULTS[modality]


def get_embedder(name: str, modality: str | None = None, **options: Any) -> Embedder:
    """The embedder called ``name``; a clear error if it is unknown or made for another modality."""
    _load_builtin()
    if name not in _REGISTRY:
        known = ", ".join(e.name for e in list_embedders(modality))
        raise ValueError(f"Unknown embedder {name!r}. Available: {known}.")
    embedder = _REGISTRY[name](**options)
    if modality is not None and embedder.modality != modality:
        raise ValueError(f"Embedder {name!r} is for {embedder.modality} items, not {modality} items.")
    return embedder


_BUILTIN = ("tabular", "text", "image", "openclip", "audio", "timeseries")


def _load_builtin() -> None:
    # Imported lazily so that importing the registry stays cheap; each module registers its classes
    # and keeps its heavy imports (torch, librosa...) inside the functions that need them.
    import importlib

    for module in _BUILTIN:
        importlib.import_module(f"engine.embed.{module}")
