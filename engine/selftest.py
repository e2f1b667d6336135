"""``DataMining6 --self-test``: prove an installation works, headless, in one line.

It analyses the bundled demo (every modality found in it, each with its default embedder), reads a
small workbook (the compiled spreadsheet reader), and runs the default text and image models on a
few made-up items, checking that each gives finite vectors from its real model (not a fallback),
and the image model's ImageNet head that names clusters.
Inside the packaged app it also checks that those models ran on the ONNX files shipped in the bundle.
Nothing is written except the usual user caches.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.resources import is_bundled, resource_path

MODEL_SAMPLES: dict[str, Callable[[], list]] = {
    "text": lambda: ["clusters of customers", "a sensor drifting slowly", "a photo of a cat"],
    "image": lambda: [np.full((40, 60, 3), shade, np.uint8) for shade in (0, 128, 255)],
}
"""A few items per model-backed modality that the demo may not hold."""


class SelfTestFailed(Exception):
    """One check failed; the message says which and why."""


def _check_demo(demo: Path) -> list[str]:
    """Analyse every modality in the demo folder; one short phrase per modality."""
    from engine.pipeline import Spec, run

    if not demo.is_dir():
        raise SelfTestFailed(f"the demo folder {demo} is missing")
    first = run(Spec(paths=(str(demo),), use_cache=False))
    modalities = sorted({item.modality for item in first.collection.items})
    parts = []
    for modality in modalities:
        result = (
            first
            if modality == first.modality
            else run(first.spec.replace(modality=modality), previous=first)
        )
        if not np.isfinite(result.embeddings).all() or result.n_clusters < 1:
            raise SelfTestFailed(f"the {modality} demo gave no usable vectors or clusters")
        score = result.metrics.get("silhouette")
        shown = f", silhouette {score:.2f}" if score is not None else ""
        parts.append(f"{modality} {len(result.analysed.items)} items/{result.n_clusters} clusters{shown}")
    return parts


def _check_spreadsheet(path: Path) -> list[str]:
    """Read a small workbook: the compiled spreadsheet reader is in the bundle and works."""
    from engine.ingest.csv_file import load_csv

    loaded = load_csv(path)
    if loaded.plan.kind != "table" or loaded.file.rows != 4:
        got = f"{loaded.file.rows} {loaded.plan.kind} rows"
        raise SelfTestFailed(f"{path.name} was read as {got}, not 4 table rows")
    return ["spreadsheet 4 rows"]


def _check_models(require_onnx: bool) -> list[str]:
    """Embed the samples with each model-backed default embedder; it must be ready and give vectors."""
    from engine.embed import default_embedder, get_embedder
    from engine.embed.onnx_runtime import onnx_folder

    exported_before = set(onnx_folder().glob("*.onnx"))
    parts = []
    for modality, sample in MODEL_SAMPLES.items():
        name = default_embedder(modality)
        embedder = get_embedder(name, device="cpu")
        ready = embedder.readiness()
        if not ready.ready:
            raise SelfTestFailed(f"{name} is not ready: {ready.message}")
        vectors = embedder.embed_batch(sample())
        if vectors.shape[0] != len(sample()) or not np.isfinite(vectors).all():
            raise SelfTestFailed(f"{name} gave no usable vectors")
        note = str(getattr(embedder, "runtime_note", "") or "")
        onnx = note.endswith("ran on ONNX Runtime.")
        if require_onnx and not onnx:
            raise SelfTestFailed(f"{name} did not use its packaged ONNX model ({note})")
        parts.append(f"{name} {vectors.shape[1]}-d on {'onnx' if onnx else 'torch'}")
        if hasattr(embedder, "classify"):
            parts[-1] += _check_classifier(embedder, sample())
    exported = sorted(p.name for p in set(onnx_folder().glob("*.onnx")) - exported_before)
    if require_onnx and exported:
        raise SelfTestFailed(f"exported {', '.join(exported)} instead of using the packaged ONNX files")
    return parts


def _check_classifier(embedder: Any, sample: list) -> str:
    """The ImageNet head and class names that name image clusters (the lean app has no PyTorch)."""
    from engine.naming.images import imagenet_classes

    probabilities = embedder.classify(sample)
    if probabilities.shape != (len(sample), 1000) or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-3):
        raise SelfTestFailed(f"{embedder.name}'s ImageNet class head gave no probabilities")
    return f" with its {len(imagenet_classes())}-class head"


def self_test(demo: Path | None = None, require_onnx: bool | None = None) -> tuple[bool, str]:
    """(passed, one-line summary). ``require_onnx`` defaults to True inside the packaged app."""
    start = time.perf_counter()
    require_onnx = is_bundled() if require_onnx is None else require_onnx
    try:
        parts = _check_demo(Path(demo) if demo is not None else resource_path("demo"))
        parts += _check_spreadsheet(resource_path("selftest") / "workbook.xlsx")
        parts += _check_models(require_onnx)
    except Exception as error:  # noqa: BLE001 - any failure is the answer, said in one line
        return False, f"self-test FAILED: {type(error).__name__}: {error}"
    where = "packaged app" if is_bundled() else "source"
    return True, f"self-test ok ({where}, {time.perf_counter() - start:.1f} s): {'; '.join(parts)}"


def main() -> int:
    """Print the summary; exit status 0 when every check passed, else 1."""
    passed, summary = self_test()
    print(summary, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
