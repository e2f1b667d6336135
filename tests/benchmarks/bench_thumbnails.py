"""Cluster panel with 10 000 images: time until the first screen of thumbnails, and frames per second
while scrolling, with a cold and a warm thumbnail disk cache.

The images are generated once into a folder (640 x 480 JPEG "photos": gradients and shapes) and a
few hundred of them are broken (truncated or deleted after the run) to check that broken items do
not slow the panel down. Each pass builds a fresh panel (empty memory cache) and
  1. chooses the cluster and times until every tile on screen holds its thumbnail (or placeholder);
  2. scrolls the grid top to bottom in 200 scrollbar steps, each step = setValue + processEvents +
     a synchronous repaint of the viewport; the frame time is that step's time.
``cold`` starts with an empty disk cache; ``warm`` reuses the cache the cold pass filled.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_thumbnails.py [--n 10000] [--broken 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402


def make_images(folder: Path, n: int, broken: int, seed: int = 0) -> list[Path]:
    """``n`` JPEG photos-to-be (reused when the folder already holds them); ``broken`` of them damaged."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"img{i:05d}.jpg" for i in range(n)]
    if (folder / ".complete").exists():
        return paths
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, 640)[None, :, None]
    for i, path in enumerate(paths):
        if path.exists():
            continue
        a, b = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
        base = (a * (1 - ramp) + b * ramp) * np.ones((480, 1, 1))
        image = Image.fromarray(base.astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(4):
            x, y, r = rng.integers(0, 640), rng.integers(0, 480), rng.integers(20, 120)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.integers(0, 255, 3).tolist()))
        image.save(path, quality=85)
        if i % 1000 == 999:
            print(f"  generated {i + 1} images", flush=True)
    for path in paths[7 :: max(1, n // max(1, broken))][:broken]:
        if path.exists():
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 3])  # truncated: the JPEG ends mid-scan
    (folder / ".complete").touch()
    return paths


def build_result(paths: list[Path]):
    """A one-cluster Result over the images (the panel only reads items, labels and embeddings)."""
    from engine.cluster import Clustering
    from engine.items import Collection, Item
    from engine.pipeline import Result, Spec

    n = len(paths)
    rng = np.random.default_rng(0)
    items = [Item(id=i, path=p, modality="image") for i, p in enumerate(paths)]
    collection = Collection(items=items)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    return Result(
        spec=Spec(paths=(str(paths[0].parent),)),
        collection=collection,
        analysed=collection,
        modality="image",
        embedder="bench",
        embeddings=vectors,
        clustering=Clustering(labels=np.zeros(n, dtype=int)),
        coords=vectors[:, :2].copy(),
    )


def one_pass(result, cache_dir: Path, steps: int = 200) -> dict[str, float]:
    from engine.thumbnails import ThumbnailCache
    from gui.app import application
    from gui.thumbnails import Failed
    from gui.view_state import ViewState
    from gui.views.cluster_panel import ClusterPanel

    app = application([])  # as in the app: the cycle collector runs on the GUI thread, from a timer
    state = ViewState()
    panel = ClusterPanel(state, cache=ThumbnailCache(cache_dir))
    panel.resize(560, 900)
    panel.show()
    state.reset_for(result)
    members = panel.members

    def screen_ready() -> bool:
        return all(members.preview(r) is not None for r in members.visible_rows())

    start = time.perf_counter()
    panel.choose([0])
    while True:
        app.processEvents()
        members.grid.viewport().repaint()
        if screen_ready():
            break
    first_screen = time.perf_counter() - start
    tiles = len(members.visible_rows())

    bar = members.grid.verticalScrollBar()
    frames = []
    for value in np.linspace(0, bar.maximum(), steps).astype(int):
        t = time.perf_counter()
        bar.setValue(int(value))
        app.processEvents()
        members.grid.viewport().repaint()
        frames.append(time.perf_counter() - t)
    settle = time.perf_counter()
    while not screen_ready():
        app.processEvents()
        members.grid.viewport().repaint()
    last_screen = time.perf_counter() - settle
    members.loader.wait()
    failed = sum(isinstance(members.loader._memory.get(r), Failed) for r in range(len(result.analysed.items)))
    panel.close()
    panel.deleteLater()
    app.processEvents()
    frames_ms = np.array(frames) * 1000
    return {
        "first screen s": first_screen,
        "tiles": tiles,
        "fps": 1000 / frames_ms.mean(),
        "median ms": float(np.median(frames_ms)),
        "p95 ms": float(np.percentile(frames_ms, 95)),
        "max ms": float(frames_ms.max()),
        "last screen s": last_screen,
        "broken seen": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--broken", type=int, default=300)
    parser.add_argument("--images", type=Path, default=Path(tempfile.gettempdir()) / "dm6-bench-thumbnails")
    args = parser.parse_args()
    print(f"images in {args.images} ({args.n}, {args.broken} broken)", flush=True)
    paths = make_images(args.images / str(args.n), args.n, args.broken)
    result = build_result(paths)
    start = time.perf_counter()
    from gui.views.members import _import_readers

    _import_readers()  # done on a worker when a result arrives; timed apart from the first screen
    print(
        f"importing the readers (once per session, while the map draws): {time.perf_counter() - start:.2f} s"
    )
    cache_dir = Path(tempfile.mkdtemp(prefix="dm6-thumb-cache-"))
    try:
        rows = [("cold", one_pass(result, cache_dir)), ("warm", one_pass(result, cache_dir))]
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    keys = list(rows[0][1])
    print("| cache | " + " | ".join(keys) + " |")
    print("| --- " * (len(keys) + 1) + "|")
    for name, row in rows:
        print(
            f"| {name} | "
            + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values())
            + " |"
        )


if __name__ == "__main__":
    main()
