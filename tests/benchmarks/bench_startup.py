"""Time from launching ``python main.py`` to a painted window, as a user waits for it.

Runs the real entry point in a fresh process (``DATAMINING6_EXIT_WHEN_SHOWN=1`` makes the window
quit after its first paint) and reports the median of several starts; also lists which heavy
libraries were imported before the window appeared (there should be none).

    python tests/benchmarks/bench_startup.py [--runs 5] [--platform offscreen|xcb]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def one_start(platform: str) -> tuple[float, list[str]]:
    env = dict(os.environ, QT_QPA_PLATFORM=platform, DATAMINING6_EXIT_WHEN_SHOWN="1")
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # a fresh user: the first-start demo is opened too
    start = time.perf_counter()
    command = [sys.executable, str(ROOT / "main.py")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"main.py failed:\n{done.stderr[-2000:]}")
    loaded = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("loaded ")]
    return elapsed, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default="offscreen")
    args = parser.parse_args()
    times, loaded = [], []
    for _ in range(args.runs):
        elapsed, loaded = one_start(args.platform)
        times.append(elapsed)
    print("| platform | runs | median s | min s | max s | heavy modules loaded before the window |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.platform} | {args.runs} | {statistics.median(times):.2f} | {min(times):.2f} "
        f"| {max(times):.2f} | {', '.join(loaded) or 'none'} |"
    )


if __name__ == "__main__":
    main()
