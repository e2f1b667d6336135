"""Time from launching ``python main.py`` to a painted window, as a user waits for it.

Runs the real entry point in a fresh process (``DATAMINING6_EXIT_WHEN_SHOWN=1`` makes the window
quit after its first paint) and reports the median of several starts; also lists which heavy
libraries were imported before the window appeared (there should be none).

    python tests/benchmarks/bench_startup.py [--runs 5] [--platform offscreen|xcb] [--executable PATH]

``--executable dist/DataMining6/DataMining6`` times the packaged app instead (the first run warms
the disk cache and is left out of the median).
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


def one_start(platform: str, executable: Path | None = None) -> tuple[float, list[str]]:
    env = dict(os.environ, QT_QPA_PLATFORM=platform, DATAMINING6_EXIT_WHEN_SHOWN="1")
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # a fresh user: the first-start demo is opened too
    start = time.perf_counter()
    command = [str(executable)] if executable else [sys.executable, str(ROOT / "main.py")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr[-2000:]}")
    loaded = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("loaded ")]
    return elapsed, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default="offscreen")
    parser.add_argument("--executable", type=Path, default=None, help="a packaged app (default: main.py)")
    args = parser.parse_args()
    if args.executable:
        one_start(args.platform, args.executable.resolve())  # cold: reads the bundle into the disk cache
    times, loaded = [], []
    for _ in range(args.runs):
        elapsed, loaded = one_start(args.platform, args.executable and args.executable.resolve())
        times.append(elapsed)
    what = args.executable or "main.py"
    print("| what | platform | runs | median s | min s | max s | heavy modules loaded before the window |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {what} | {args.platform} | {args.runs} | {statistics.median(times):.2f} | {min(times):.2f} "
        f"| {max(times):.2f} | {', '.join(loaded) or 'none'} |"
    )


if __name__ == "__main__":
    main()
