"""Store an ONNX model's large float weights as float16, computing in float32 as before.

    .venv/bin/python build_scripts/onnx_fp16.py --compare build/models-onnx

Each float32 initializer of at least 1024 values is stored as float16 behind a Cast to float32:
the file halves, and ONNX Runtime folds the casts into float32 constants when the session is
created, so the arithmetic is the float32 model's with weights rounded to float16. ``--compare``
embeds the benchmark texts and pictures (tests/benchmarks) and the demo's with the files in the
folder and with their float16 copies, and prints the largest difference, the lowest cosine, the
session creation and inference times of each.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MIN_VALUES = 1024
"""Smaller initializers (biases, norms) stay float32: they save nothing worth a cast."""


def to_float16_storage(source: Path, folder: Path) -> Path:
    """Write ``source``'s float16-stored copy into ``folder``, named as exported_model names files.

    The name keeps the source's ``<name>-<key>-`` prefix and ends with the new file's own hash,
    which the app checks on loading.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts, initializers = [], []
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= MIN_VALUES:
            values = numpy_helper.to_array(init).astype(np.float16)
            half = numpy_helper.from_array(values, f"{init.name}.fp16")
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
            initializers.append(half)
        else:
            initializers.append(init)
    graph.ClearField("initializer")
    graph.initializer.extend(initializers)
    nodes = list(graph.node)
    graph.ClearField("node")
    graph.node.extend([*casts, *nodes])
    data = model.SerializeToString()
    prefix = source.stem.rsplit("-", 1)[0]
    target = folder / f"{prefix}-{hashlib.blake2b(data, digest_size=16).hexdigest()}.onnx"
    target.write_bytes(data)
    return target


def _inputs(root: Path) -> dict[str, list[Path]]:
    """The benchmark and demo texts and pictures, written under ``root``."""
    sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
    import bench_image
    import bench_text

    texts = bench_text.write_folder(root / "texts", {**bench_text.WRITTEN, **bench_text.docstring_texts()})
    short = root / "short"
    short.mkdir()
    for i, text in enumerate(bench_text.short_texts(300)):
        (short / f"{i}.txt").write_text(text, encoding="utf-8")
    pictures = []
    for name in ("photo-crops", "textures", "digits"):
        collection, _labels = bench_image.make_set(name, 120)
        pictures += [item.path for item in collection.items]
    return {"text": sorted(texts.rglob("*.txt")) + sorted(short.glob("*.txt")), "image": pictures}


def _embed(folder: Path, modality: str, paths: list[Path]) -> tuple[np.ndarray, float, float]:
    """Vectors of ``paths`` by the default embedder running the ONNX file found in ``folder``."""
    import engine.resources
    from engine.embed import get_embedder
    from engine.items import Collection, Item

    engine.resources.bundled_models = lambda *parts: folder.joinpath(*parts)
    name = "text-minilm" if modality == "text" else "image-efficientnet"
    embedder = get_embedder(name, device="cpu", runtime="onnx")
    items = [Item(id=i, path=p, modality=modality) for i, p in enumerate(paths)]
    payloads = [embedder.load(item, Collection(items=items)) for item in items]
    start = time.perf_counter()
    embedder.embed_batch(payloads[:2])  # creates the session
    created = time.perf_counter() - start
    start = time.perf_counter()
    vectors = embedder.embed_batch(payloads)
    return vectors, created, time.perf_counter() - start


def compare(exported: Path) -> None:
    """Print how the float16-stored copies of the files in ``exported`` differ from them."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="dm6-fp16-") as tmp:
        root = Path(tmp)
        for kind in ("float32", "float16"):
            (root / kind / "onnx").mkdir(parents=True)
        for source in exported.glob("*.onnx"):
            (root / "float32" / "onnx" / source.name).write_bytes(source.read_bytes())
            made = to_float16_storage(source, root / "float16" / "onnx")
            sizes = [f"{path.stat().st_size / 2**20:.1f} MB" for path in (source, made)]
            print(f"{source.name}: {' -> '.join(sizes)}")
        inputs = _inputs(root)
        for modality, paths in inputs.items():
            code = (
                f"import sys, numpy as np; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'build_scripts')!r}]\n"
                "from onnx_fp16 import _embed; from pathlib import Path\n"
                f"v, c, s = _embed(Path(sys.argv[1]), {modality!r}, [Path(p) for p in sys.argv[2:]])\n"
                "np.save(Path(sys.argv[1]) / 'v.npy', v); print(c, s)"
            )
            runs = {}
            for kind in ("float32", "float16", "float32", "float16"):  # twice each: the second is warm
                done = subprocess.run([sys.executable, "-c", code, str(root / kind), *map(str, paths)],
                                      capture_output=True, text=True, check=True)  # fmt: skip
                runs[kind] = [float(x) for x in done.stdout.split()[-2:]]
            a, b = (np.load(root / kind / "v.npy") for kind in ("float32", "float16"))
            cosine = np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
            print(f"{modality}: {len(paths)} items, max |difference| {np.abs(a - b).max():.2e}, "
                  f"lowest cosine {cosine.min():.7f}; session+2 items / all items (s): "
                  f"float32 {runs['float32'][0]:.2f}/{runs['float32'][1]:.2f}, "
                  f"float16 {runs['float16'][0]:.2f}/{runs['float16'][1]:.2f}")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--compare"]:
        compare(Path(sys.argv[2]))
    else:
        print(to_float16_storage(Path(sys.argv[1]), Path(sys.argv[2])))
