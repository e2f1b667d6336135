"""Our ``engine.anomaly.detect`` against plain PyOD (defaults, fitted on every item) on planted outliers.

Run: ``python tests/benchmarks/bench_anomaly.py [--quick] [--no-reference-above N]``. Prints
one row per detector and size: wall time (fit + score; the median of 3 when under 2 s) and the
ROC AUC of the scores against the planted outliers, for ours and for PyOD fitted on all items.
Ours fits KNN/LOF on at most 20 000 items and the one-class SVM on at most 3 000, and reduces
vectors wider than 128 dimensions to 100 with PCA; the columns show what that costs in quality
and saves in time. PyOD's one-class SVM on 100 000 items (O(n²), many minutes) is not run.

The data: Gaussian blobs, 5% of the items planted as outliers, half of them uniform over the
blobs' bounding box (global outliers), half around a blob centre but 1.3 times wider than the
blobs (local outliers, the hard ones).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere
from engine.anomaly import DETECTORS, detect  # noqa: E402

CASES = [(10_000, 64), (100_000, 64), (10_000, 384)]
QUICK_CASES = [(2_000, 64), (10_000, 64)]
SHARE = 0.05
REFERENCE_LIMIT = {"ocsvm": 20_000}
"""PyOD alone is not run above this many items (its one-class SVM is quadratic)."""


def planted(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Blobs plus global (uniform) and local (wide Gaussian) outliers; truth is 1 for outliers."""
    rng = np.random.default_rng(seed)
    m = int(n * SHARE)
    X, _, centres = make_blobs(
        n - m,
        n_features=d,
        centers=8,
        cluster_std=1.0,
        center_box=(-8, 8),
        random_state=seed,
        return_centers=True,
    )
    uniform = rng.uniform(X.min(axis=0), X.max(axis=0), size=(m // 2, d))
    local = centres[rng.integers(0, len(centres), m - m // 2)] + rng.normal(scale=1.3, size=(m - m // 2, d))
    return np.vstack([X, uniform, local]).astype(np.float32), np.r_[np.zeros(n - m), np.ones(m)]


def pyod_reference(name: str, X: np.ndarray, contamination: float) -> np.ndarray:
    """PyOD's detector with its own defaults, fitted on every item: the scores it gives."""
    from pyod.models.copod import COPOD
    from pyod.models.ecod import ECOD
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN
    from pyod.models.lof import LOF
    from pyod.models.ocsvm import OCSVM

    models = {"knn": KNN, "lof": LOF, "ecod": ECOD, "copod": COPOD, "ocsvm": OCSVM}
    model = IForest(contamination=contamination, random_state=0) if name == "iforest" else None
    model = model or models[name](contamination=contamination)
    return model.fit(X).decision_scores_


def timed(fn) -> tuple[float, object]:
    """Median wall time of ``fn`` (three runs when one is under 2 s, else one) and its value."""
    times, value = [], None
    for _ in range(3):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
        if times[0] >= 2.0:
            break
    return statistics.median(times), value


def bench_case(n: int, d: int, reference_above: int) -> list[dict]:
    X, truth = planted(n, d)
    out = []
    for name in DETECTORS:
        detect(X[:300], name)  # warm up: imports and first calls
        ours_s, ours = timed(lambda name=name: detect(X, name, contamination=SHARE))
        row = {
            "case": f"{n} x {d}",
            "detector": name,
            "ours_s": round(ours_s, 2),
            "ours_auc": round(float(roc_auc_score(truth, ours.scores)), 3),
            "pyod_s": None,
            "pyod_auc": None,
            "note": "; ".join(note.split(";")[0].rstrip(".") for note in ours.notes),
        }
        if n <= min(reference_above, REFERENCE_LIMIT.get(name, n)):
            pyod_s, scores = timed(lambda name=name: pyod_reference(name, X, SHARE))
            row["pyod_s"] = round(pyod_s, 2)
            row["pyod_auc"] = round(float(roc_auc_score(truth, scores)), 3)
        out.append(row)
        print(format_row(row), flush=True)
    return out


def rows(quick: bool = False, reference_above: int = 10**9) -> list[dict]:
    """Every case and detector, as dicts (for a combined runner)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [r for n, d in (QUICK_CASES if quick else CASES) for r in bench_case(n, d, reference_above)]


COLUMNS = [("case", 14), ("detector", 8), ("ours s", 7), ("pyod s", 7), ("ours AUC", 8), ("pyod AUC", 8)]


def format_row(row: dict) -> str:
    def cell(value: object, width: int, spec: str = "") -> str:
        return f"{'—' if value is None else format(value, spec):>{width}}"

    return " ".join(
        [
            cell(row["case"], 14),
            cell(row["detector"], 8),
            cell(row["ours_s"], 7, ".2f"),
            cell(row["pyod_s"], 7, ".2f"),
            cell(row["ours_auc"], 8, ".3f"),
            cell(row["pyod_auc"], 8, ".3f"),
            "  " + row["note"],
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small cases only, for a smoke run")
    parser.add_argument(
        "--no-reference-above", type=int, default=10**9, metavar="N", help="skip plain PyOD above N items"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {os.cpu_count()} cores, load average {load:.1f}; times are wall seconds, fit + score")
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS) + "  note (ours)")
    rows(args.quick, args.no_reference_above)


if __name__ == "__main__":
    main()
