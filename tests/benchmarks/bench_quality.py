"""Cluster quality of the default pipeline against plain scikit-learn on the same vectors (issue 8).

Every set is written as files (CSV tables, time-series CSVs, text files, images, wav clips) and
run through ``engine.pipeline.run`` with the modality's default embedder, as a user would. Columns:
- ``km``, ``gmm``: ARI of the pipeline's K-Means and Gaussian mixture at the true k;
- ``sk km``, ``sk gmm``: scikit-learn ``KMeans(n_init=10)`` and ``GaussianMixture()`` (its
  defaults) at the true k on the same vectors;
- ``km gap``, ``gmm gap``: the mean paired difference, pipeline minus scikit-learn at the same
  random state, ± the half-width of its 95 % t interval over the seeds (an interval that includes 0
  is seed luck either way);
- ``auto k``, ``auto``: the k that K-Means with k = auto chose (random state 0, the default), and
  its ARI;
- ``nmi``: NMI of the pipeline's K-Means at the true k;
- ``best other``: the other embedder of that modality with the highest K-Means ARI at the true k
  (``none`` where the modality has only one).

Every score at the true k is the mean over random states 0-4 (``--seeds 5``), for the pipeline and
scikit-learn alike: one seed can favour either side by a few hundredths (scikit-learn's K-Means on
the digits images ranges 0.64-0.69). The vectors do not depend on the seed; each set and embedder
is embedded once and reused. ``--seeds 20 --sets ArrowHead,UnitTest`` narrows a gap's interval for
the rows that trail.

Sets, nothing downloaded: scikit-learn's iris, wine, breast cancer and digits tables; univariate
UCR sets that ship in aeon's wheel (GunPoint, ArrowHead, UnitTest) and the demo sensors; the
written topics and package docstrings of bench_text.py; bench_image.py's digits, photo crops and
textures; bench_audio.py's spoken words (espeak-ng) and synthesised sounds.

Run: ``.venv/bin/python tests/benchmarks/bench_quality.py [--quick] [--markdown] [--seeds N]
[--sets NAME,NAME]``.
Compare numbers within one run only: the machine's load changes the timings, not the ARIs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.pipeline import Result, Spec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _table(folder: Path, loader: Callable) -> Path:
    import pandas as pd

    data = loader()
    frame = pd.DataFrame(data.data, columns=[f"f{i}" for i in range(data.data.shape[1])])
    frame["label"] = [str(v) for v in data.target]
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "table.csv", index=False)
    return folder


def _ucr(folder: Path, name: str) -> Path:
    """A univariate UCR set (both splits) as one time-series CSV: a label column, then the values."""
    import aeon
    from aeon.datasets import load_classification

    X, y = load_classification(
        name, extract_path=os.path.join(os.path.dirname(aeon.__file__), "datasets", "data")
    )
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["label," + ",".join(f"t{i}" for i in range(X.shape[-1]))]
    lines += [f"c{label}," + ",".join(f"{v:.6g}" for v in x[0]) for x, label in zip(X, y, strict=True)]
    (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def _texts(folder: Path, which: str) -> Path:
    from bench_text import WRITTEN, docstring_texts, write_folder

    return write_folder(folder, WRITTEN if which == "written" else docstring_texts())


def _images(folder: Path, name: str, n: int) -> Path | None:
    import bench_image

    return None if bench_image.make_set(name, n) is None else bench_image.BASE / f"{name}-{n}"


def _audio(folder: Path, which: str) -> Path | None:
    import bench_audio

    folder.mkdir(parents=True, exist_ok=True)
    return bench_audio.make_words(folder) if which == "words" else bench_audio.make_sounds(folder)


def sets(quick: bool) -> list[tuple[str, str, str, Callable[[Path], Path | None]]]:
    """(name, modality, csv kind, folder maker) for every set; ``quick`` keeps one or two per modality."""
    from sklearn import datasets

    tables = [("iris", datasets.load_iris), ("wine", datasets.load_wine)]
    if not quick:
        tables += [("breast cancer", datasets.load_breast_cancer), ("digits table", datasets.load_digits)]
    out = [(n, "table", "table", lambda f, ld=ld: _table(f, ld)) for n, ld in tables]
    out.append(("demo sensors", "timeseries", "auto", lambda f: ROOT / "resources" / "demo" / "timeseries"))
    for name in ("GunPoint",) if quick else ("GunPoint", "ArrowHead", "UnitTest"):
        out.append((name, "timeseries", "timeseries", lambda f, nm=name: _ucr(f, nm)))
    for which in ("written",) if quick else ("written", "docstrings"):
        out.append((f"{which} texts", "text", "auto", lambda f, w=which: _texts(f, w)))
    for name in ("digits",) if quick else ("digits", "photo-crops", "textures"):
        out.append((f"{name} images", "image", "auto", lambda f, nm=name: _images(f, nm, 300)))
    for which in () if quick else ("words", "sounds"):
        out.append((f"{which} audio", "audio", "auto", lambda f, w=which: _audio(f, w)))
    return out


SEEDS = 5
"""Random states 0..SEEDS-1 every score at the true k is averaged over, unless ``--seeds`` says."""


def _sklearn(X: np.ndarray, y: np.ndarray, k: int, seed: int) -> tuple[float, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(k, n_init=10, random_state=seed).fit_predict(X)
        gmm = GaussianMixture(k, random_state=seed).fit_predict(X)
    return adjusted_rand_score(y, km), adjusted_rand_score(y, gmm)


def _over_seeds(spec: Spec, previous: Result, seeds: int) -> dict:
    """Mean ARI and NMI over random states 0..seeds-1, and each one's ARI, reusing ``previous``'s vectors."""
    from engine.pipeline import run

    runs = [run(spec.replace(random_state=s), previous=previous).metrics for s in range(seeds)]
    means = {m: float(np.mean([r[m] for r in runs])) for m in ("ari", "nmi")}
    return means | {"aris": [r["ari"] for r in runs]}


def gap(ours: list[float], theirs: list[float]) -> tuple[float, float]:
    """Mean paired difference (pipeline - scikit-learn, same random state) and the half-width of its
    95 % t interval over the seeds: how far apart the two are, and how much of that is seed luck."""
    from scipy import stats

    d = np.asarray(ours, dtype=float) - np.asarray(theirs, dtype=float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.inf
    return float(d.mean()), float(half)


def _best_other(spec: Spec, auto: Result, modality: str, k: int, seeds: int) -> str:
    """The other embedder with the highest mean K-Means ARI at the true k, or ``none``."""
    from engine.embed import list_embedders
    from engine.pipeline import run

    others = {}
    for embedder in list_embedders(modality):
        if embedder.name == auto.embedder or not embedder.readiness().ready:
            continue
        first = run(spec.replace(k=k, embedder=embedder.name), previous=auto)
        if first.embedder == embedder.name:  # not a fallback to an embedder already counted
            chosen = spec.replace(k=k, embedder=embedder.name)
            others[embedder.name] = _over_seeds(chosen, first, seeds)["ari"]
    if not others:
        return "none"
    best = max(others, key=others.get)
    return f"{best} {others[best]:.2f}"


def row(name: str, modality: str, csv_kind: str, folder: Path, seeds: int = SEEDS) -> dict:
    """One set's row over random states 0..seeds-1 (see the module docstring)."""
    from engine.pipeline import Spec, run

    start = time.perf_counter()
    spec = Spec(paths=(str(folder),), csv_kind=csv_kind, modality=modality, use_cache=False)
    auto = run(spec)
    y = np.asarray(auto.analysed.labels())
    k = len(set(y.tolist()))
    X = auto.embeddings.astype(np.float64)
    sk = np.array([_sklearn(X, y, k, s) for s in range(seeds)])
    km = _over_seeds(spec.replace(k=k), auto, seeds)
    gmm = _over_seeds(spec.replace(k=k, algorithm="gmm"), auto, seeds)
    return {
        "set": name,
        "modality": modality,
        "n": len(y),
        "k": k,
        "embedder": auto.embedder,
        "km": km["ari"],
        "gmm": gmm["ari"],
        "sk km": float(sk[:, 0].mean()),
        "sk gmm": float(sk[:, 1].mean()),
        "km gap": gap(km["aris"], sk[:, 0]),
        "gmm gap": gap(gmm["aris"], sk[:, 1]),
        "auto k": auto.n_clusters,
        "auto": auto.metrics["ari"],
        "nmi": km["nmi"],
        "best other": _best_other(spec, auto, modality, k, seeds),
        "seconds": time.perf_counter() - start,
    }


COLUMNS = (
    "set",
    "n",
    "k",
    "embedder",
    "km",
    "sk km",
    "gmm",
    "sk gmm",
    "km gap",
    "gmm gap",
    "auto k",
    "auto",
    "nmi",
    "best other",
    "seconds",
)


def _cell(value: object) -> str:
    if isinstance(value, tuple):  # a gap: mean difference ± half-width of its 95 % interval
        return f"{value[0]:+.2f} ±{value[1]:.2f}"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def print_table(rows: list[dict], markdown: bool) -> None:
    cells = [[_cell(r[c]) for c in COLUMNS] for r in rows]
    if markdown:
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
        for line in cells:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(COLUMNS)]
    print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for line in cells:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one or two sets per modality, no audio",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    parser.add_argument("--seeds", type=int, default=SEEDS, help=f"random states 0..N-1 (default {SEEDS})")
    parser.add_argument("--sets", default="", help="only these sets, comma-separated: ArrowHead,UnitTest")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.sets.split(",") if name.strip()]
    known = [name for name, *_ in sets(quick=False)]
    unknown = [name for name in chosen if name not in known]
    if args.seeds < 2 or unknown:
        parser.error(f"unknown set(s): {', '.join(unknown)}" if unknown else "--seeds must be at least 2")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        for i, (name, modality, csv_kind, make) in enumerate(sets(args.quick and not chosen)):
            if chosen and name not in chosen:
                continue
            folder = make(Path(tmp) / f"set{i}")
            if folder is None:
                print(f"{name}: skipped (its package or espeak-ng is not installed)", file=sys.stderr)
                continue
            rows.append(row(name, modality, csv_kind, folder, args.seeds))
            print(f"{name}: done in {rows[-1]['seconds']:.0f} s", file=sys.stderr, flush=True)
    print_table(rows, args.markdown)
    behind, luck = [], []
    for r in rows:
        for method in ("km", "gmm"):
            mean, half = r[f"{method} gap"]
            if mean < -0.01:
                (behind if mean + half < 0 else luck).append(f"{r['set']} {method} {mean:+.3f} ±{half:.3f}")
    print(
        "\nBehind scikit-learn at the true k by more than 0.01 ARI, 95 % interval below 0: "
        + (", ".join(behind) or "none")
    )
    print("Behind by more than 0.01 within seed noise (interval includes 0): " + (", ".join(luck) or "none"))


if __name__ == "__main__":
    main()
