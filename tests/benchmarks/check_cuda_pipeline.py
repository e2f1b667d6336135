"""The whole pipeline on CUDA against the CPU, per modality: the embedder's vectors, the clusters,
the cluster names, the outliers and a project round trip. Run on a machine with a CUDA GPU (it
prints and exits; not a pytest file):

    python tests/benchmarks/check_cuda_pipeline.py [--images DIR ...] [--audio DIR] [--docs DIR]
        [--text-model SENTENCE_TRANSFORMERS_FOLDER]

The demo time series are always included (ts-image). Without --text-model the documents use the
packaged MiniLM. Run beside check_cuda_path.py, which times the embedders alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import adjusted_rand_score

from engine.pipeline import Spec, run
from engine.store import load, save

DEMO_SERIES = Path(__file__).resolve().parents[2] / "resources" / "demo" / "timeseries"


def cases(args: argparse.Namespace) -> list[tuple[str, Path, dict]]:
    found = [(f"images {Path(d).name} (image-efficientnet, names)", Path(d), {}) for d in args.images]
    if args.audio:
        found += [
            (f"audio {e}", Path(args.audio), {"embedder": e}) for e in ("audio-mel-image", "audio-mfcc")
        ]
    found.append(("series ts-image", DEMO_SERIES, {"embedder": "ts-image"}))
    if args.docs:
        found.append(
            ("documents text-minilm", Path(args.docs), {"model": args.text_model} if args.text_model else {})
        )
    return found


def compare(name: str, path: Path, options: dict, device: str, scratch: Path) -> None:
    """One input on the CPU and on ``device``: the two results should be the same analysis."""
    got = {}
    for where in ("cpu", device):
        start = time.perf_counter()
        try:
            spec = Spec(paths=(str(path),), device=where, use_cache=False, detector="iforest", **options)
            got[where] = (run(spec), time.perf_counter() - start)
        except Exception as error:  # noqa: BLE001 - reported, and the next input still runs
            print(
                f"FAIL {name} on {where}: {type(error).__name__}: {error}\n{traceback.format_exc()[-2000:]}"
            )
            return
    (c, tc), (g, tg) = got["cpu"], got[device]
    a = c.embeddings / np.linalg.norm(c.embeddings, axis=1, keepdims=True)
    b = g.embeddings / np.linalg.norm(g.embeddings, axis=1, keepdims=True)
    print(
        f"== {name}: {c.embedder} / {g.embedder}; k {c.n_clusters} / {g.n_clusters}; "
        f"ARI cpu~{device} {adjusted_rand_score(c.labels, g.labels):.3f}; "
        f"min cosine {float((a * b).sum(1).min()):.6f}; {tc:.1f} s / {tg:.1f} s; "
        f"outliers {int(c.anomaly.flags.sum())} / {int(g.anomaly.flags.sum())}"
    )
    print("   names cpu :", sorted(n.name for n in c.names))
    print(f"   names {device}:", sorted(n.name for n in g.names))
    print("   runtime:", [n for n in g.notes if " ran on " in n])
    save(g, scratch / "p.dm6")
    print("   project round trip:", np.array_equal(load(scratch / "p.dm6")[0].labels, g.labels), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="*", default=[])
    parser.add_argument("--audio")
    parser.add_argument("--docs")
    parser.add_argument("--text-model")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(
        "torch",
        torch.__version__,
        "device",
        torch.cuda.get_device_name(0) if device == "cuda" else "cpu only",
    )
    with tempfile.TemporaryDirectory() as scratch:
        for name, path, options in cases(args):
            compare(name, path, options, device, Path(scratch))


if __name__ == "__main__":
    main()
