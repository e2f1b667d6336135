"""Our hierarchical clustering against scipy's ``pdist`` + ``linkage``, and ours alone at 100 000 items.

Run: ``python tests/benchmarks/bench_hierarchical.py [--quick]``. Every fit runs in its own
subprocess, so that its peak memory (``ru_maxrss``, interpreter and imports included) is its own.
Columns: wall time and peak memory of each; ``ARI`` between our k-cut and scipy's (k = 20, the
number of blobs); the cophenetic correlation of each tree with the true distances (exact cases
only); ``truth`` is the ARI of our cut against the blobs the data was drawn from. scipy is only
run where its n x n distance matrix fits (20 000 items: 1.6 GB, doubled during the linkage).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

K = 20
CASES = [
    # (algorithm, linkage or split rule, n, d, compare with scipy)
    ("agglomerative", "ward", 20_000, 50, True),
    ("agglomerative", "average", 20_000, 50, True),
    ("agglomerative", "ward", 20_000, 384, True),
    ("agglomerative", "ward", 100_000, 64, False),
    ("agglomerative", "ward", 100_000, 384, False),
    ("agglomerative", "average", 100_000, 384, False),
    ("divisive", "largest", 100_000, 384, False),
]


def blobs(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """K overlapping Gaussian blobs, float32, and the blob of each row."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(K, d)) * 2.0
    truth = rng.integers(K, size=n)
    X = centres[truth] + rng.normal(size=(n, d))
    return X.astype(np.float32), truth


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def run_one(who: str, algorithm: str, method: str, n: int, d: int, out: str) -> None:
    """Child process: fit once, save Z and labels to ``out``.npz, print time and peak memory as JSON."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    from engine.cluster import agglomerative, divisive, hierarchical  # noqa: F401 - imports not timed

    X, _ = blobs(n, d)
    info: dict = {}
    start = time.perf_counter()
    if who == "scipy":
        Z = linkage(pdist(X.astype(np.float64)), method)
        labels = fcluster(Z, K, "maxclust")
    else:
        fit = hierarchical.fit_agglomerative if algorithm == "agglomerative" else hierarchical.fit_divisive
        rule = {"linkage": method} if algorithm == "agglomerative" else {"split_rule": method}
        clustering = fit(X, k=K, **rule)
        Z, labels = clustering.tree.Z, clustering.labels
        info = {"approximate": clustering.tree.approximate, "leaves": clustering.tree.n_leaves}
    seconds = time.perf_counter() - start
    np.savez(out, Z=Z, labels=labels)
    print(json.dumps({"seconds": seconds, "peak_gb": _peak_gb(), **info}))


def compare(n: int, d: int, ours: str, theirs: str | None) -> None:
    """Child process: agreement of the cuts, cophenetic correlations, ARI against the blobs."""
    from scipy.cluster.hierarchy import cophenet
    from scipy.spatial.distance import pdist
    from sklearn.metrics import adjusted_rand_score

    X, truth = blobs(n, d)
    mine = np.load(ours)
    result = {"truth": adjusted_rand_score(truth, mine["labels"])}
    if theirs is not None:
        other = np.load(theirs)
        result["ari"] = adjusted_rand_score(other["labels"], mine["labels"])
        distances = pdist(X.astype(np.float64))
        result["coph_ours"] = float(cophenet(mine["Z"], distances)[0])
        result["coph_scipy"] = float(cophenet(other["Z"], distances)[0])
    print(json.dumps(result))


def _child(*args: object) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *map(str, args)], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(quick: bool = False) -> list[dict]:
    """One dict per case (see the module docstring for the fields)."""
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for algorithm, method, n, d, with_scipy in CASES:
            n = n // 10 if quick else n
            ours_file, theirs_file = f"{tmp}/ours.npz", f"{tmp}/scipy.npz"
            row: dict = {"method": f"{algorithm} {method}", "n": n, "d": d}
            mine = _child("ours", algorithm, method, n, d, ours_file)
            row.update(ours_s=mine["seconds"], ours_gb=mine["peak_gb"], approximate=mine["approximate"])
            row["leaves"] = mine["leaves"]
            if with_scipy:
                theirs = _child("scipy", algorithm, method, n, d, theirs_file)
                row.update(scipy_s=theirs["seconds"], scipy_gb=theirs["peak_gb"])
            row.update(_child("compare", n, d, ours_file, theirs_file if with_scipy else "-"))
            table.append(row)
            print(_format(row), flush=True)
    return table


COLUMNS = [
    ("method", 22, "{}"), ("size", 14, "{}"), ("leaves", 7, "{}"), ("ours s", 7, "{:.1f}"),
    ("ours GB", 7, "{:.2f}"), ("scipy s", 7, "{:.1f}"), ("scipy GB", 8, "{:.2f}"), ("ARI", 6, "{:.3f}"),
    ("coph ours", 9, "{:.3f}"), ("coph scipy", 10, "{:.3f}"), ("truth", 6, "{:.3f}"),
]  # fmt: skip
_KEYS = ["method", "size", "leaves", "ours_s", "ours_gb", "scipy_s", "scipy_gb", "ari", "coph_ours"]
_KEYS += ["coph_scipy", "truth"]


def _format(row: dict) -> str:
    values = {**row, "size": f"{row['n']} x {row['d']}"}
    cells = []
    for (_, width, fmt), key in zip(COLUMNS, _KEYS, strict=True):
        value = values.get(key)
        cells.append(f"{'-' if value is None else fmt.format(value):>{width}}")
    return " ".join(cells)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, *args = sys.argv[2:]
        if kind == "compare":
            n, d, ours, theirs = args
            compare(int(n), int(d), ours, None if theirs == "-" else theirs)
        else:
            algorithm, method, n, d, out = args
            run_one(kind, algorithm, method, int(n), int(d), out)
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows, for a smoke run")
    args = parser.parse_args()
    header = " ".join(f"{name:>{width}}" for name, width, _ in COLUMNS)
    print(header)
    print("-" * len(header), flush=True)
    rows(quick=args.quick)


if __name__ == "__main__":
    main()
