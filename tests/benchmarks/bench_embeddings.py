"""One table for every embedder: quality (ARI) and speed on labelled data, plus the cache speed-up.

    python tests/benchmarks/bench_embeddings.py [--skip-speed] [--skip-quality] [--skip-cache]

The speed rows run the app's embedders end to end (read, decode, resize, embed) on 1000 generated
JPEGs of about 100 KB and 1000 short text files, once with ONNX Runtime and once with PyTorch,
in one process (compare only rows of one run), beside sentence-transformers' own ``encode``.

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


def _photo(rng) -> object:
    """An 800x600 photo-like picture (waves of colour with grain): about 100 KB as a JPEG."""
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[0:600, 0:800] / 800
    waves = [np.sin(xx * rng.uniform(3, 20) + yy * rng.uniform(3, 20) + p) for p in rng.uniform(0, 6, 3)]
    pixels = np.stack(waves, -1) * 100 + 128 + rng.normal(0, rng.uniform(4, 8), (600, 800, 1))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _collection(folder: Path, modality: str):
    from engine.items import Collection, Item

    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    return Collection(items=[Item(id=i, path=p, modality=modality) for i, p in enumerate(paths)])


def _timed_embed(name: str, runtime: str, collection) -> tuple[float, object, str]:
    """Seconds for ``embed()`` of the whole collection (no vector cache), after a warm-up batch."""
    from engine.embed import get_embedder

    embedder = get_embedder(name, runtime=runtime)
    embedder.embed(collection.subset(list(range(4))))  # loads (and first time exports) the model
    start = time.perf_counter()
    vectors = embedder.embed(collection)
    return time.perf_counter() - start, vectors, str(embedder.runtime_note)


def speed_table(n_images: int = 1000, n_texts: int = 1000) -> list[list[str]]:
    """Items/s per runtime through the app's embedders, and the worst cosine to torch's vectors."""
    import numpy as np

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        os.environ["DATAMINING6_CACHE_DIR"] = str(Path(tmp) / "cache")
        rng = np.random.default_rng(0)
        (Path(tmp) / "photos").mkdir()
        for i in range(n_images):
            _photo(rng).save(Path(tmp) / "photos" / f"{i:05d}.jpg", quality=85)
        kb = sum(p.stat().st_size for p in (Path(tmp) / "photos").iterdir()) / n_images / 1024
        texts = _text_folder(Path(tmp) / "texts", n_texts)
        cases = [
            (
                "image-efficientnet",
                f"{n_images} JPEGs, {kb:.0f} KB",
                _collection(Path(tmp) / "photos", "image"),
            ),
            ("text-minilm", f"{n_texts} short text files", _collection(texts, "text")),
        ]
        for name, what, collection in cases:
            timed = {runtime: _timed_embed(name, runtime, collection) for runtime in ("torch", "onnx")}
            reference, torch_seconds = timed["torch"][1], timed["torch"][0]
            for seconds, vectors, note in timed.values():
                cosine = (vectors * reference).sum(1) / np.linalg.norm(vectors, axis=1)
                cosine /= np.linalg.norm(reference, axis=1)
                speed, ratio = len(collection.items) / seconds, torch_seconds / seconds
                rows.append(
                    [
                        name,
                        what,
                        note,
                        f"{seconds:.1f}",
                        f"{speed:.1f}",
                        f"{ratio:.1f}x",
                        f"{cosine.min():.6f}",
                    ]
                )
            if name == "text-minilm":
                rows.append(_bare_encode_row(collection, torch_seconds))
    return rows


def _bare_encode_row(collection, torch_seconds: float) -> list[str]:
    """sentence-transformers' ``encode`` on the same texts, already in memory (batch 32)."""
    from engine.embed import get_embedder

    model = get_embedder("text-minilm", runtime="torch").model()
    texts = [item.path.read_text(encoding="utf-8") for item in collection.items]
    model.encode(texts[:64])
    start = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True)
    seconds = time.perf_counter() - start
    speed, ratio = len(texts) / seconds, torch_seconds / seconds
    what = f"{len(texts)} texts in memory"
    return [
        "SentenceTransformer.encode",
        what,
        "PyTorch",
        f"{seconds:.1f}",
        f"{speed:.1f}",
        f"{ratio:.1f}x",
        "",
    ]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-cache", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.skip_speed:
        header = ["embedder", "items", "runtime", "seconds", "items/s", "vs torch", "min cosine to torch"]
        print_table(header, speed_table())
    if not args.skip_cache:
        header = ["embedder", "items", "first embed s", "cached embed s", "speed-up", "whole second run s"]
        print_table(header, cache_table())
    if not args.skip_quality:
        header = ["modality", "data set", "embedder", "items", "seconds", "items/s", "ARI"]
        print_table(header, quality_table())


if __name__ == "__main__":
    main()
