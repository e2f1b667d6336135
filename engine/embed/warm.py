"""Pay the one-time costs at install time, not on the user's first run.

    python -m engine.embed.warm

compiles aeon's numba code for catch22 and MiniRocket (about 30 s, one and several channels) into
the cache folder the app uses (:func:`~engine.embed.cache.configure_numba_cache`) and exports the
default image and text models to ONNX there. Each step that fails is reported and skipped: the
app then does the same work on first use, so ``build_scripts/install.sh`` never fails because of it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.embed.cache import configure_numba_cache
from engine.items import Collection, Item


def _series_collection(channels: int, n: int = 12) -> Collection:
    """Unequal-length noisy sine waves, as ingest would hand them over (length x channels)."""
    rng = np.random.default_rng(0)
    collection = Collection()
    for i in range(n):
        length = int(rng.integers(40, 80))
        wave = np.sin(np.linspace(0, rng.uniform(2, 9), length))[:, None]
        wave = wave + rng.normal(0, 0.1, (length, channels))
        collection.items.append(Item(id=i, path=Path(f"warm-{i}"), modality="timeseries"))
        collection.series[i] = wave[:, 0] if channels == 1 else wave
    return collection


def warm_timeseries() -> str:
    """Run ts-catch22 and ts-minirocket once on one- and three-channel series."""
    from engine.embed import get_embedder

    for name in ("ts-catch22", "ts-minirocket"):
        for channels in (1, 3):
            vectors = get_embedder(name).embed(_series_collection(channels))
            if not np.isfinite(vectors).all():
                raise RuntimeError(f"{name} gave no vectors for {channels}-channel series")
    return "catch22 and MiniRocket compiled"


def warm_onnx() -> str:
    """Export the default image and text models (those ready here) and open them with ONNX Runtime."""
    from engine.embed import get_embedder

    notes = []
    for name, sample in (("image-efficientnet", [np.zeros((8, 8, 3), np.uint8)]), ("text-minilm", ["warm"])):
        embedder = get_embedder(name, device="cpu")
        if not embedder.readiness().ready:
            notes.append(f"{name} skipped (its model is not installed)")
            continue
        embedder.embed_batch(sample)
        notes.append(str(embedder.runtime_note))
    return " ".join(notes)


def main() -> int:
    configure_numba_cache()  # before aeon or librosa import numba
    steps: list[tuple[str, Callable[[], str]]] = [("numba", warm_timeseries), ("onnx", warm_onnx)]
    failed = 0
    for label, step in steps:
        start = time.perf_counter()
        try:
            print(f"warm {label}: {step()} ({time.perf_counter() - start:.0f} s)")
        except Exception as error:  # noqa: BLE001 - a warm-up is optional: report it and go on
            failed += 1
            print(f"warm {label} failed ({type(error).__name__}: {error}); the app does it on first use")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
