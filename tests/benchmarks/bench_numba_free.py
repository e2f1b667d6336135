"""Our numba-free catch22 and MiniRocket against aeon's compiled numba code: seconds and equality.

Run: ``.venv/bin/python tests/benchmarks/bench_numba_free.py [--series 1000] [--length 300]``.

aeon's first call (compiling its numba code, with an empty cache) is timed in a fresh process;
its other timings are of the compiled code (a warm-up call first). aeon is the reference here
only: the app uses :mod:`engine.embed.catch22` and :mod:`engine.embed.minirocket`. For catch22,
``same`` says whether our vectors equal aeon's to rounding (rtol and atol 1e-9).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

FIRST_CALL = """
import time, warnings
import numpy as np
warnings.simplefilter("ignore")
X = np.random.default_rng(0).normal(size=(20, {channels}, 100))
start = time.perf_counter()
{code}
print(round(time.perf_counter() - start, 2))
"""
AEON_CODE = {
    "catch22": "from aeon.transformations.collection.feature_based import Catch22\n"
    "Catch22(catch24=True, replace_nans=True).fit_transform(X)",
    "minirocket": "from aeon.transformations.collection.convolution_based import MiniRocket\n"
    "MiniRocket(random_state=0).fit(X).transform(X)",
}


def aeon_first_call(name: str, channels: int) -> float:
    """Seconds of aeon's first call in a fresh process with an empty numba cache (its compile)."""
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            [sys.executable, "-c", FIRST_CALL.format(channels=channels, code=AEON_CODE[name])],
            env={**os.environ, "NUMBA_CACHE_DIR": cache},
            capture_output=True,
            text=True,
        )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return float(done.stdout.split()[-1])


def seconds(run) -> tuple[float, object]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def catch22_row(X: np.ndarray) -> dict:
    from aeon.transformations.collection.feature_based import Catch22

    from engine.embed.catch22 import catch24

    aeon = Catch22(catch24=True, replace_nans=True)
    aeon.fit_transform(X[:2])  # compiled before timing
    aeon_s, theirs = seconds(lambda: aeon.fit_transform(X))
    ours_s, mine = seconds(lambda: catch24([x.T for x in X]))
    same = np.allclose(mine, theirs, rtol=1e-9, atol=1e-9)
    return {"method": "catch22 (numpy catch24)", "ours_s": ours_s, "aeon_s": aeon_s, "same": str(same)}


def minirocket_row(X: np.ndarray) -> dict:
    from aeon.transformations.collection.convolution_based import MiniRocket as AeonMiniRocket

    from engine.embed.minirocket import MiniRocket

    aeon = AeonMiniRocket(n_kernels=10_000, random_state=0).fit(X)
    aeon.transform(X[:2])  # compiled before timing
    aeon_s, theirs = seconds(lambda: aeon.transform(X))
    ours = MiniRocket(n_kernels=10_000, random_state=0)
    fit_s, _ = seconds(lambda: ours.fit(X))
    ours_s, mine = seconds(lambda: ours.transform(X))
    return {
        "method": f"MiniRocket transform (our fit {fit_s:.2f} s)",
        "ours_s": ours_s,
        "aeon_s": aeon_s,
        "same": str(np.array_equal(mine, theirs)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--catch22-series", type=int, default=500)
    parser.add_argument("--catch22-length", type=int, default=500)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # aeon's deprecation notes
    rng = np.random.default_rng(0)
    rows = []
    for channels in (1, 3):
        walks = np.cumsum(rng.normal(size=(args.series, channels, args.length)), axis=-1).astype(np.float32)
        longer = np.cumsum(rng.normal(size=(args.catch22_series, channels, args.catch22_length)), axis=-1)
        for name, row, X in (("catch22", catch22_row, longer), ("minirocket", minirocket_row, walks)):
            result = row(X)
            result["series"] = f"{len(X)} x {X.shape[2]} x {channels} ch"
            result["aeon_first_call_s"] = aeon_first_call(name, channels)
            rows.append(result)
    columns = ["method", "series", "ours_s", "aeon_s", "ratio", "aeon_first_call_s", "same"]
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for row in rows:
        row["ratio"] = f"{row['ours_s'] / row['aeon_s']:.1f}x"
        print(" | ".join(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in columns))


if __name__ == "__main__":
    main()
