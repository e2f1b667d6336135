"""Pay the one-time costs at install time, not on the user's first run.

    python -m engine.embed.warm

exports the default image and text models to ONNX in the cache folder the app uses. A step that
fails is reported and skipped: the app then does the same work on first use, so
``build_scripts/install.sh`` never fails because of it. (The time-series embedders need no
warm-up: catch22 is a C library and MiniRocket plain numpy.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np


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


STEPS: list[tuple[str, Callable[[], str]]] = [("onnx", warm_onnx)]


def main() -> int:
    failed = 0
    for label, step in STEPS:
        start = time.perf_counter()
        try:
            print(f"warm {label}: {step()} ({time.perf_counter() - start:.0f} s)")
        except Exception as error:  # noqa: BLE001 - a warm-up is optional: report it and go on
            failed += 1
            print(f"warm {label} failed ({type(error).__name__}: {error}); the app does it on first use")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
