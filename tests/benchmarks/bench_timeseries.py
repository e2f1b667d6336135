"""Time-series embedders compared: ARI (k-means at the true k) and seconds per data set.

Data, nothing downloaded: UCR/UEA sets that ship inside aeon's wheel (BasicMotions
and JapaneseVowels are multivariate, JapaneseVowels and PickupGestureWiimoteZ have unequal
lengths; train and test splits together) and the project's demo file resources/demo/timeseries/sensors.csv.

Run: ``.venv/bin/python tests/benchmarks/bench_timeseries.py [--sets a,b] [--embedders a,b] [--first-call]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

EMBEDDERS = ("ts-resampled", "ts-catch22", "ts-minirocket", "ts-text", "ts-image")
SETS = (
    "sensors",
    "BasicMotions",
    "JapaneseVowels",
    "GunPoint",
    "ArrowHead",
    "PickupGestureWiimoteZ",
    "OSULeaf",
)


def aeon_collection(name: str):
    """A Collection of one of aeon's bundled sets (both splits), labels from its classes."""
    import aeon
    from aeon.datasets import load_classification

    from engine.items import Collection, Item

    folder = os.path.join(os.path.dirname(aeon.__file__), "datasets", "data")
    X, y = load_classification(name, extract_path=folder)
    items, series = [], {}
    for i, (x, label) in enumerate(zip(X, y, strict=True)):
        items.append(Item(id=i, path=Path(f"{name}.ts"), modality="timeseries", label=str(label), row=i))
        series[i] = np.asarray(x, dtype=np.float64).T.squeeze()  # length x channels (1-D if one channel)
    return Collection(items=items, series=series)


def sensors_collection():
    from engine.ingest import scan

    return scan([ROOT / "resources" / "demo" / "timeseries"]).only("timeseries")


def evaluate(set_name: str, collection, name: str, **options: object) -> dict:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from engine.embed import get_embedder

    embedder = get_embedder(name, "timeseries", **options)
    start = time.perf_counter()
    vectors = embedder.embed(collection)
    seconds = time.perf_counter() - start
    labels = [it.label for it in collection.items]
    ok = np.isfinite(vectors).all(axis=1)
    found = KMeans(len(set(labels)), n_init=10, random_state=0).fit_predict(vectors[ok])
    return {
        "set": set_name,
        "embedder": name + "".join(f" {k}={v}" for k, v in options.items()),
        "n": len(labels),
        "dims": vectors.shape[1],
        "ari": round(float(adjusted_rand_score(np.asarray(labels)[ok], found)), 3),
        "seconds": round(seconds, 2),
    }


FIRST_CALL = """
import time
start = time.perf_counter()
import numpy as np
from pathlib import Path
from engine.embed import get_embedder
from engine.items import Collection, Item
rng = np.random.default_rng(0)
c = Collection(items=[Item(i, Path("x.csv"), "timeseries", row=i) for i in range(20)],
               series={{i: rng.normal(size=60 + i) for i in range(20)}})
v = get_embedder({name!r}).embed(c)
print(round(time.perf_counter() - start, 2), v.shape)
"""


def first_call_seconds(name: str) -> float:
    """Seconds from a fresh interpreter to the first vectors of 20 series, with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
        done = subprocess.run(
            [sys.executable, "-c", FIRST_CALL.format(name=name)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-2000:])
        return float(done.stdout.split()[0])


def quality_rows(embedders: tuple[str, ...] = EMBEDDERS, sets: tuple[str, ...] = SETS) -> list[dict]:
    """One row per (data set, embedder); the combined benchmark calls this."""
    rows = []
    for set_name in sets:
        collection = sensors_collection() if set_name == "sensors" else aeon_collection(set_name)
        for name in embedders:
            rows.append(evaluate(set_name, collection, name))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--first-call", action="store_true", help="time a fresh process per embedder")
    args = parser.parse_args()
    embedders = tuple(args.embedders.split(","))
    rows = quality_rows(embedders, tuple(args.sets.split(",")))
    if args.first_call:
        first = {name: first_call_seconds(name) for name in embedders}
        for row in rows:
            row["first_call_s"] = first.get(row["embedder"], "")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))
    means = {}
    for row in rows:
        means.setdefault(row["embedder"], []).append(row["ari"])
    print("\nmean ARI: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in means.items()))


if __name__ == "__main__":
    main()
