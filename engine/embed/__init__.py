"""Embedders: one small class per way of turning items into vectors, behind a registry.

Each embedder says which modality it handles, whether it needs model weights and where they
come from, so the GUI and ``main.py models`` can list them and the Spec can pick one by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.items import Collection
from engine.progress import CancelToken, Progress


@dataclass(frozen=True)
class Readiness:
    """Whether an embedder can run here, and if not, what the user should install or supply."""

    ready: bool
    source: str
    message: str = ""


class Embedder:
    """Base class: subclasses set the class attributes and implement :meth:`embed`."""

    name: str = ""
    modality: str = ""
    description: str = ""
    needs_weights: bool = False

    def readiness(self) -> Readiness:
        return Readiness(True, "built in (no weights)")

    def embed(
        self, collection: Collection, progress: Progress | None = None, cancel: CancelToken | None = None
    ) -> np.ndarray:
        """Return an (n_items, dim) float32 array, row i for ``collection.items[i]``."""
        raise NotImplementedError


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


def get_embedder(name: str, modality: str | None = None) -> Embedder:
    """The embedder called ``name``; a clear error if it is unknown or made for another modality."""
    _load_builtin()
    if name not in _REGISTRY:
        known = ", ".join(e.name for e in list_embedders(modality))
        raise ValueError(f"Unknown embedder {name!r}. Available: {known}.")
    embedder = _REGISTRY[name]()
    if modality is not None and embedder.modality != modality:
        raise ValueError(f"Embedder {name!r} is for {embedder.modality} items, not {modality} items.")
    return embedder


def _load_builtin() -> None:
    # Imported lazily so that importing the registry stays cheap.
    from engine.embed import tabular  # noqa: F401
