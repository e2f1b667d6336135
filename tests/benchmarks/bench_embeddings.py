"""One table for every embedder: quality (ARI) and speed on labelled data, plus the cache speed-up.

    python tests/benchmarks/bench_embeddings.py [--skip-quality] [--skip-cache]

Quality rows come from the per-modality benchmarks beside this file (bench_text, bench_image,
bench_audio, bench_timeseries), each clustering with k = the number of known classes. The cache
rows run the pipeline twice on the same folder with an empty cache: the second run reads every
vector from the cache (target: at least 50x faster than embedding).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]


def quality_table() -> list[list[str]]:
    rows = []
    for modality in ("text", "image", "audio", "timeseries"):
        module = importlib.import_module(f"bench_{modality}")
        for row in module.quality_rows():
            n = row.get("n", row.get("items"))
            speed = row.get(
                "items_per_s", row.get("clips_per_s", n / row["seconds"] if row["seconds"] else 0)
            )
            rows.append(
                [modality, str(row.get("set", row.get("dataset"))), str(row["embedder"]), str(n),
                 f"{row['seconds']:.2f}", f"{speed:.1f}", f"{row['ari']:.3f}"]
            )  # fmt: skip
    return rows


def _text_folder(root: Path, n: int) -> Path:
    import bench_text

    for i, text in enumerate(bench_text.short_texts(n)):
        folder = root / f"group{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:05d}.txt").write_text(text, encoding="utf-8")
    return root


def _image_folder(root: Path, n: int) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(n):
        folder = root / f"kind{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
        pixels[:, :: 2 + i % 3] = 255 * (i % 3 == 0)
        Image.fromarray(pixels).save(folder / f"{i:05d}.png")
    return root


def cache_table(n_text: int = 1000, n_images: int = 200) -> list[list[str]]:
    from engine.pipeline import Spec, run

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        os.environ["DATAMINING6_CACHE_DIR"] = str(Path(tmp) / "cache")
        cases = [
            ("text-minilm", _text_folder(Path(tmp) / "texts", n_text)),
            ("image-efficientnet", _image_folder(Path(tmp) / "images", n_images)),
        ]
        for embedder, folder in cases:
            spec = Spec(paths=(str(folder),), embedder=embedder, k=3)
            first = run(spec)
            start = time.perf_counter()
            second = run(spec)  # no previous result: only the on-disk cache can help
            total = time.perf_counter() - start
            t1, t2 = first.timings["embed"], second.timings["embed"]
            n = len(first.analysed.items)
            rows.append([embedder, str(n), f"{t1:.2f}", f"{t2:.3f}", f"{t1 / t2:.0f}x", f"{total:.2f}"])
    return rows


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-cache", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.skip_cache:
        header = ["embedder", "items", "first embed s", "cached embed s", "speed-up", "whole second run s"]
        print_table(header, cache_table())
    if not args.skip_quality:
        header = ["modality", "data set", "embedder", "items", "seconds", "items/s", "ARI"]
        print_table(header, quality_table())


if __name__ == "__main__":
    main()
