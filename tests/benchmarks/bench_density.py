"""DBSCAN and HDBSCAN: time and peak memory at 10k, 50k and 100k items, 2-D and 16-D blobs.

Each case runs in its own Python process so that its peak resident memory (ru_maxrss) is its own;
``extra MiB`` is that peak minus the process's memory just before clustering (data included).
Rows compare the engine's DBSCAN (k-distance knee, memory check, then scikit-learn) with plain
scikit-learn DBSCAN at the same eps, which is the reference; ``est MiB`` is the engine's estimate
of the neighbourhood lists that its memory check compares with the budget. The ``x4 eps`` rows
show how memory grows with the radius, which is what the check guards against.

    .venv/bin/python tests/benchmarks/bench_density.py            # 10k, 50k and 100k
    .venv/bin/python tests/benchmarks/bench_density.py --quick    # 10k only
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CASE = r"""
import json, resource, sys, time
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
sys.path.insert(0, {root!r})
from engine.cluster import dbscan as d

case = json.loads({case!r})
X, y = make_blobs(case["n"], n_features=case["d"], centers=10, center_box=(-60, 60), random_state=0)
X = X.astype(np.float32)
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
before = rss()
t = time.perf_counter()
out = {{}}
if case["method"] == "engine dbscan":
    c = d.fit_dbscan(X, min_samples=5, backend="sklearn", eps=case.get("eps"))
    labels = c.labels
    out["eps"] = c.info["eps"]
    out["est"] = c.info["memory_estimate_bytes"] / 2**20
elif case["method"] == "sklearn dbscan":
    from sklearn.cluster import DBSCAN
    labels = DBSCAN(eps=case["eps"], min_samples=5).fit(X).labels_
    out["eps"] = case["eps"]
elif case["method"] == "engine hdbscan":
    c = d.fit_hdbscan(X, min_samples=5)
    labels = c.labels
out["seconds"] = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out.update(peak=peak, extra=peak - before, clusters=int(len(set(labels.tolist()) - {{-1}})),
           noise=int(np.sum(labels == -1)), ari=float(adjusted_rand_score(y, labels)))
print(json.dumps(out))
"""


def _run(case: dict, timeout: float = 900) -> dict:
    code = _CASE.format(root=str(ROOT), case=json.dumps(case))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": last[:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(sizes: tuple[int, ...] = (10_000, 100_000), dims: tuple[int, ...] = (2, 16)) -> list[dict]:
    """One row per (method, n, d); each measured in a fresh process."""
    out: list[dict] = []
    for n in sizes:
        for d in dims:
            base = {"n": n, "d": d}
            engine = _run({**base, "method": "engine dbscan"})
            out.append({"method": "engine dbscan (knee eps)", **base, **engine})
            eps = engine.get("eps")
            if eps is not None:
                ref = _run({**base, "method": "sklearn dbscan", "eps": eps})
                out.append({"method": "sklearn DBSCAN (same eps)", **base, **ref})
                wide = _run({**base, "method": "engine dbscan", "eps": 4 * eps})
                out.append({"method": "engine dbscan (x4 eps)", **base, "eps": 4 * eps, **wide})
                if "error" not in wide:  # never run plain scikit-learn where the engine refused
                    ref = _run({**base, "method": "sklearn dbscan", "eps": 4 * eps})
                    out.append({"method": "sklearn DBSCAN (x4 eps)", **base, **ref})
            out.append({"method": "engine hdbscan", **base, **_run({**base, "method": "engine hdbscan"})})
    return out


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def main() -> None:
    sizes = (10_000,) if "--quick" in sys.argv else (10_000, 50_000, 100_000)
    head = ["method", "n", "d", "eps", "seconds", "peak MiB", "extra MiB", "est MiB", "clusters"]
    head += ["noise", "ARI"]
    table, notes = [], []
    for r in rows(sizes):
        if "error" in r:
            error = r["error"]
            if "would need about" in error:  # the memory check refused: show its estimate
                error = "refused: needs" + error.split("would need about")[1].split(" for")[0]
            table.append([r["method"], str(r["n"]), str(r["d"]), _fmt(r.get("eps"), 3)] + ["-"] * 7)
            notes.append(f"  {r['method']} n={r['n']} d={r['d']}: {error}")
            continue
        table.append(
            [r["method"], str(r["n"]), str(r["d"]), _fmt(r.get("eps"), 3), _fmt(r["seconds"]),
             _fmt(r["peak"], 0), _fmt(r["extra"], 0), _fmt(r.get("est"), 0), str(r["clusters"]),
             str(r["noise"]), _fmt(r["ari"], 3)]
        )  # fmt: skip
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
