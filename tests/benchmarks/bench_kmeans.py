"""Our K-Means against scikit-learn's Lloyd K-Means on the same data and the same starting centres.

Run: ``python tests/benchmarks/bench_kmeans.py [--repeats 3] [--quick]``. Prints one row per case:
median wall time of each (over ``--repeats`` runs), their ratio, the inertia ratio and the
iterations each took. Targets: inertia ratio <= 1.001 and time ratio <= 1.0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import make_blobs

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere
from engine.cluster.kmeans import KMeans  # noqa: E402

CASES = [(100_000, 64, 20), (20_000, 384, 50)]
MAX_ITER = 300
TOL = 1e-4


def blobs(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    """Overlapping Gaussian blobs, so that Lloyd needs tens of iterations rather than three."""
    std = 0.75 * np.sqrt(d)  # the spread grows with d, as the distances between blob centres do
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=std, random_state=seed)
    return X.astype(np.float32)


def timed_pair(first, second, repeats: int) -> tuple[float, object, float, object]:
    """Median wall times of two fits, run alternately so that both see the same machine load."""
    times: tuple[list[float], list[float]] = ([], [])
    models = [None, None]
    for _ in range(repeats):
        for i, fit in enumerate((first, second)):
            start = time.perf_counter()
            models[i] = fit()
            times[i].append(time.perf_counter() - start)
    return statistics.median(times[0]), models[0], statistics.median(times[1]), models[1]


def bench(n: int, d: int, k: int, repeats: int) -> str:
    """One table row: both fits from the same k-means++ centres on the same float32 data."""
    X = blobs(n, d, k)
    init, _ = kmeans_plusplus(X, k, random_state=0)

    def ours() -> KMeans:
        return KMeans(k, init=init, n_init=1, max_iter=MAX_ITER, tol=TOL).fit(X)

    def theirs() -> SklearnKMeans:
        return SklearnKMeans(k, init=init, n_init=1, max_iter=MAX_ITER, tol=TOL, algorithm="lloyd").fit(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "fewer distinct clusters than k" on overlapping blobs
        ours(), theirs()  # warm up: imports, thread pools, BLAS buffers
        t_sk, sk, t_ours, mine = timed_pair(theirs, ours, repeats)
    assert mine.cluster_centers_.dtype == np.float32
    return (
        f"{f'{n} x {d}':>14} {k:>4} {t_ours:>8.3f} {t_sk:>9.3f} {t_ours / t_sk:>10.3f} "
        f"{mine.inertia_ / sk.inertia_:>13.6f} {f'{mine.n_iter_}/{sk.n_iter_}':>12}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows, for a smoke run")
    args = parser.parse_args()

    columns = [("size", 14), ("k", 4), ("ours s", 8), ("sklearn s", 9), ("time ratio", 10)]
    columns += [("inertia ratio", 13), ("iter ours/sk", 12)]
    header = " ".join(f"{name:>{width}}" for name, width in columns)
    print(header)
    print("-" * len(header))
    for n, d, k in CASES:
        print(bench(n // 10 if args.quick else n, d, k, args.repeats), flush=True)


if __name__ == "__main__":
    main()
