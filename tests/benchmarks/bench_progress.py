"""How often each stage reports progress: the longest gap between two reports, per stage and method.

The engine alone (no Qt) on generated Gaussian blobs: a CSV file of ``--n`` rows x ``--d`` columns
is read, embedded (standardized), clustered, laid out, scored for outliers and measured. The slow
methods (HDBSCAN, DBSCAN, agglomerative, mixtures, t-SNE, the quadratic detectors) run on the first
``--small`` rows. A gap counts from the start of the call to the first report, between reports
and from the last report to the return, so a stage that is one silent library call shows its
whole time as its gap. The target (issue 10) is a report at least every second.

    .venv/bin/python tests/benchmarks/bench_progress.py                      # 200 000 x 32, small 20 000
    .venv/bin/python tests/benchmarks/bench_progress.py --n 20000 --small 5000 --only ingest,hdbscan
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from engine.progress import stage_of  # noqa: E402

TARGET_GAP_S = 1.0


class Recorder:
    """A progress sink that keeps (time, stage, done, total) of every report."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.reports.append((time.perf_counter(), stage, done, total))


def measure(name: str, n: int, fn: Callable[[Recorder], Any], rows: list[dict]) -> Any:
    """Run ``fn(recorder)``, add one row (time, longest gap, reports, stages seen), return its value."""
    recorder = Recorder()
    start = time.perf_counter()
    value = fn(recorder)
    end = time.perf_counter()
    times = [start, *(t for t, *_ in recorder.reports), end]
    gaps = np.diff(times)
    worst = int(np.argmax(gaps))
    after = recorder.reports[worst - 1][1] if worst > 0 else "(start)"
    stages = sorted(
        {stage_of(s) + (" (estimate)" if "estimate" in s else "") for _, s, _, _ in recorder.reports}
    )
    rows.append(
        {
            "stage": name,
            "n": n,
            "seconds": end - start,
            "gap": float(gaps.max()),
            "reports": len(recorder.reports),
            "stages": ", ".join(stages),
            "after": after,
        }
    )
    print_row(rows[-1])
    return value


def print_row(row: dict) -> None:
    flag = "" if row["gap"] <= TARGET_GAP_S else "  > 1 s"
    where = f" (after {row['after']})" if row["gap"] > TARGET_GAP_S else ""
    print(
        f"| {row['stage']:<22} | {row['n']:>7,} | {row['seconds']:>8.2f} | {row['gap']:>7.2f}{flag:<7} "
        f"| {row['reports']:>7} | {row['stages']}{where} |",
        flush=True,
    )


def write_csv(path: Path, n: int, d: int) -> np.ndarray:
    """Blobs with a label column, written as the user would have them."""
    import pandas as pd
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n, n_features=d, centers=8, cluster_std=2.0, random_state=0)
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"f{j}" for j in range(d)])
    frame["label"] = [f"c{v}" for v in y]
    frame.to_csv(path, index=False, float_format="%.5g")
    return X


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="rows of the CSV file")
    parser.add_argument("--d", type=int, default=32, help="numeric columns")
    parser.add_argument("--small", type=int, default=20_000, help="rows for the slow methods")
    parser.add_argument("--only", default="", help="comma-separated row names to run (default: all)")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    from engine import layout
    from engine.anomaly import detect
    from engine.cluster import cluster
    from engine.embed import get_embedder
    from engine.ingest import scan
    from engine.pipeline import score_clusters

    rows: list[dict] = []
    print(
        f"{args.n:,} x {args.d} table, slow methods on {args.small:,} rows; "
        f"target: a report every {TARGET_GAP_S:g} s"
    )
    print("| stage                  |   items |  total s |   longest gap  | reports | stages reported |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blobs.csv"
        write_csv(path, args.n, args.d)
        collection = measure("ingest (CSV)", args.n, lambda p: scan([path], progress=p), rows)
    vectors = measure(
        "embed (table)",
        args.n,
        lambda p: get_embedder("table-standardized", "table").embed(collection, progress=p),
        rows,
    )
    small = np.ascontiguousarray(vectors[: args.small])

    def want(name: str) -> bool:
        return not only or name in only

    big_methods: dict[str, tuple[str, dict]] = {"kmeans": ("kmeans", {"k": None})}
    small_methods = {
        "hdbscan": ("hdbscan", {"min_samples": None}),
        "dbscan": ("dbscan", {"eps": None, "min_samples": None, "backend": "sklearn"}),
        "agglomerative": ("agglomerative", {"k": None, "linkage": "ward"}),
        "divisive": ("divisive", {"k": None}),
        "gmm": ("gmm", {"k": None}),
    }
    labels = None
    for group, data in ((big_methods, vectors), (small_methods, small)):
        for name, (algorithm, params) in group.items():
            if want(name):
                found = measure(
                    name,
                    len(data),
                    lambda p, a=algorithm, k=params, x=data: cluster(x, a, progress=p, **k),
                    rows,
                )
                labels = found.labels if len(data) == len(vectors) else labels
    for method, data in (("pca", vectors), ("tsne", small)):
        if want(f"layout {method}"):
            measure(
                f"layout {method}",
                len(data),
                lambda p, m=method, x=data: layout.embed_2d(x, m, progress=p),
                rows,
            )
    for detector in ("iforest", "ecod", "copod", "knn", "lof", "ocsvm"):
        if want(f"anomaly {detector}"):
            measure(
                f"anomaly {detector}",
                len(vectors),
                lambda p, dt=detector: detect(vectors, dt, progress=p),
                rows,
            )
    if want("metrics") and labels is not None:
        measure("metrics", len(vectors), lambda p: score_clusters(vectors, labels, None, 0, p), rows)
    slow = [r["stage"] for r in rows if r["gap"] > TARGET_GAP_S]
    print(f"\nstages with a gap over {TARGET_GAP_S:g} s: {', '.join(slow) if slow else 'none'}")


if __name__ == "__main__":
    main()
