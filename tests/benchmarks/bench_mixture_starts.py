"""Which EM run a Gaussian mixture keeps: the pipeline's rule against two others and scikit-learn (issue 8).

The pipeline runs EM once, from the best of its K-Means starts (:func:`engine.cluster.gmm.fit_mixture`).
Two other rules run EM from every start (one K-Means start each, in the same dimensions and
covariance type as the pipeline chose) and keep
- ``likeliest``: the run with the highest likelihood;
- ``medoid``: the run whose grouping agrees most (mean ARI) with the other runs' groupings;
next to scikit-learn's ``GaussianMixture()`` on the same vectors (``sk gmm``). Every column is the
mean ARI at the true k over random states 0-4, on the sets of bench_quality.py (no image sets with
``--quick``). The table says whether a rule other than the pipeline's would have closed the rows
where the pipeline trails scikit-learn by seed luck, without losing elsewhere.

Run: ``.venv/bin/python tests/benchmarks/bench_mixture_starts.py [--quick]`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SEEDS = range(5)
RULES = ("pipeline", "likeliest", "medoid", "sk gmm")


def _runs(Z: np.ndarray, k: int, shape: str, starts: int, seed: int) -> list:
    """EM from ``starts`` single K-Means starts, as (model, labels) pairs."""
    from engine.cluster.gmm import fit_mixture

    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=starts)
    models = [fit_mixture(Z, k, shape, n_init=1, random_state=int(s)) for s in seeds]
    return [(m, m.predict(Z)) for m in models]


def scores(X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, float]:
    """ARI of every rule at the true k for one random state."""
    from sklearn.metrics import adjusted_rand_score as ari
    from sklearn.mixture import GaussianMixture

    from engine.cluster.gmm import fit_gmm
    from engine.cluster.gmm_shape import Space

    k = len(set(y.tolist()))
    ours = fit_gmm(X, k=k, random_state=seed)
    Z = Space.of(X).Z[:, : ours.info["dims"]]
    runs = _runs(Z, k, ours.info["covariance_type"], ours.info["starts"], seed)
    agreement = [np.mean([ari(a, b) for _, b in runs]) for _, a in runs]
    likeliest = max(runs, key=lambda run: run[0].score(Z))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = GaussianMixture(k, random_state=seed).fit_predict(X)
    return {
        "pipeline": ari(y, ours.labels),
        "likeliest": ari(y, likeliest),
        "medoid": ari(y, runs[int(np.argmax(agreement))][1]),
        "sk gmm": ari(y, sk),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no image sets")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench_quality import sets

    from engine.pipeline import Spec, run

    print("set".ljust(20) + "".join(r.rjust(11) for r in RULES))
    means = {r: [] for r in RULES}
    with tempfile.TemporaryDirectory(prefix="bench-starts-") as tmp:
        for i, (name, modality, csv_kind, make) in enumerate(sets(quick=False)):
            if args.quick and modality == "image":
                continue
            folder = make(Path(tmp) / f"set{i}")
            if folder is None:
                print(f"{name}: skipped (its package or espeak-ng is not installed)", file=sys.stderr)
                continue
            result = run(Spec(paths=(str(folder),), csv_kind=csv_kind, modality=modality, use_cache=False))
            X, y = result.embeddings.astype(np.float64), np.asarray(result.analysed.labels())
            row = [scores(X, y, s) for s in SEEDS]
            line = {r: float(np.mean([s[r] for s in row])) for r in RULES}
            for r in RULES:
                means[r].append(line[r])
            print(name.ljust(20) + "".join(f"{line[r]:11.3f}" for r in RULES), flush=True)
    print("mean".ljust(20) + "".join(f"{np.mean(means[r]):11.3f}" for r in RULES))


if __name__ == "__main__":
    main()
