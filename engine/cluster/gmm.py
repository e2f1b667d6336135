"""Gaussian mixtures: soft clusters, and k chosen by BIC or AIC when k is left open.

With k left open, the lowest criterion among the k whose groups are stable and whose fits did not
collapse onto repeated values wins (:mod:`engine.cluster.gmm_k` says why, with measurements).

A mixture gives each item a probability per cluster, so the map can show which items sit between
clusters (:func:`certainty`). Which dimensions and covariance shape each k is fitted with is the
data's choice (:mod:`engine.cluster.gmm_shape`): the chosen type in all dimensions when the items
can estimate it, else the best of fewer principal components and simpler types by BIC/AIC. The
covariance regulariser is scaled to the data (:func:`scaled_reg_covar`) and raised tenfold, at most
three times, if a fit still fails.

Starts: each fit keeps the best of as many EM starts as the time budget of
:mod:`engine.cluster.starts` allows (10 on small tables, one on 100 000 items). Cost: a full EM
pass is n x k x dims², so on many items k is chosen on a random sample of :data:`SCAN_SAMPLE` items
and only the chosen k is fitted on all. Cancel answers within one EM step (about 0.5 s here).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import catalogue
from engine.catalogue import check_k
from engine.cluster import Clustering
from engine.cluster.choose_k import prediction_strength
from engine.cluster.gmm_k import CriterionCurve, choose, collapsed
from engine.cluster.gmm_shape import Space, fit_shaped
from engine.cluster.starts import describe as describe_starts
from engine.cluster.starts import n_starts
from engine.progress import (
    CHOOSE_K,
    MIXTURE_FIT,
    MIXTURE_PREPARE,
    NEVER_CANCELLED,
    CancelToken,
    Progress,
    detailed,
    no_progress,
)

if TYPE_CHECKING:
    from sklearn.mixture import GaussianMixture

COVARIANCE_TYPES = catalogue.names(catalogue.COVARIANCE_TYPES)
CRITERIA = catalogue.names(catalogue.CRITERIA)
UNCERTAIN_BELOW = 0.8
"""An item whose most likely cluster has a probability below this is counted as uncertain."""
MAX_ITER = 200
SCAN_SAMPLE = 10_000
"""Above this many items, k is chosen on a random sample of them and only that k is fitted on all."""
_REG_RETRIES = 3


def certainty(probabilities: np.ndarray) -> np.ndarray:
    """The probability of each item's most likely cluster (1 = sure; 1/k = a coin toss)."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError(f"probabilities must be an items x clusters array; got shape {p.shape}.")
    return p.max(axis=1)


def scaled_reg_covar(X: np.ndarray) -> float:
    """scikit-learn's 1e-6 covariance floor, taken relative to the data's mean variance.

    A fixed 1e-6 is large for unit-norm embeddings (per-dimension variance about 1/d) and
    negligible for raw measurements in the thousands; relative, it means the same everywhere.
    """
    var = float(np.mean(np.var(X, axis=0))) if len(X) > 1 else 0.0
    return 1e-6 * var if var > 0 and np.isfinite(var) else 1e-6


def _check(covariance_type: str, criterion: str) -> None:
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; got {covariance_type!r}."
        )
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be bic or aic; got {criterion!r}.")


def _iterations_per_step(n: int, d: int, k: int, covariance_type: str) -> int:
    """EM iterations between cancel checks: about 0.2 s of work, at least 2, at most 25.

    Each ``fit`` call ends with an extra E-step, so steps of one iteration would double the cost.
    """
    per_item = k * (d * d if covariance_type in ("full", "tied") else d)
    return int(np.clip(2e8 / max(1, n * per_item), 2, 25))


def fit_mixture(
    X: np.ndarray,
    k: int,
    covariance_type: str = "full",
    *,
    n_init: int = 1,
    random_state: int | None = 0,
    reg_covar: float | None = None,
    max_iter: int = MAX_ITER,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
    stage: str = MIXTURE_FIT,
) -> GaussianMixture:
    """EM started from the best of ``n_init`` K-Means partitions, run in short steps so cancel answers fast.

    ``progress`` hears ``stage (k = 3, full: K-Means starts)`` after each start, then each EM step
    (on many items each takes seconds).

    Why one EM run from the best K-Means partition, not the likeliest of several EM runs: with full
    covariances the likeliest run is often a worse grouping (a component shrinking onto a few
    items, or two groups cut across): standardised wine, k = 3, ARI 0.85 for the likeliest of 10
    EM runs, 0.90 from the best partition (scikit-learn's default, one K-Means start: 0.90);
    breast cancer 0.46 when random starts were among them, 0.77 from the partition. The
    regulariser is raised tenfold (at most three times) when scikit-learn finds a covariance
    singular, as duplicated items cause.
    """
    from engine.cluster.kmeans import k_means

    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(X, dtype=np.float64)
    check_k(k, len(X))
    if not isinstance(n_init, Integral) or n_init < 1:
        raise ValueError(f"n_init must be a whole number >= 1; got {n_init!r}.")
    reg = scaled_reg_covar(X) if reg_covar is None else float(reg_covar)
    seed = int(np.random.default_rng(random_state).integers(0, 2**31 - 1))
    cancel.raise_if_cancelled()
    progress = progress or no_progress
    fitting = f"k = {k}, {covariance_type}"

    def starts(_stage: str, done: int, total: int) -> None:
        progress(detailed(stage, f"{fitting}: K-Means starts"), done, total)

    def steps(done: int, total: int) -> None:
        progress(detailed(stage, f"{fitting}: EM steps"), done, total)

    _, labels, _, _ = k_means(X, int(k), n_init=n_init, random_state=seed, progress=starts, cancel=cancel)
    return _fit_once(X, int(k), covariance_type, labels, seed, reg, max_iter, cancel, steps)


def _partition_start(X: np.ndarray, labels: np.ndarray, k: int, covariance_type: str, reg: float) -> dict:
    """Weights, means and precisions of a hard partition: EM's first M-step, done by hand."""
    resp = np.zeros((len(X), k))
    resp[np.arange(len(X)), labels] = 1.0
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
    means = resp.T @ X / nk[:, None]
    eye = np.eye(X.shape[1])
    if covariance_type == "full":
        covs = [(resp[:, j, None] * (X - means[j])).T @ (X - means[j]) / nk[j] + reg * eye for j in range(k)]
        precisions = np.array([_symmetric_inverse(c) for c in covs])
    elif covariance_type == "tied":
        centred = X - means[labels]
        precisions = _symmetric_inverse(centred.T @ centred / len(X) + reg * eye)
    else:
        var = resp.T @ (X * X) / nk[:, None] - means**2 + reg
        precisions = 1.0 / (var if covariance_type == "diag" else var.mean(axis=1))
    return {"weights_init": nk / nk.sum(), "means_init": means, "precisions_init": precisions}


def _symmetric_inverse(covariance: np.ndarray) -> np.ndarray:
    """The inverse made exactly symmetric: inverting a nearly singular covariance (a small cluster
    in many dimensions) leaves asymmetries that scikit-learn rejects as "not symmetric,
    positive-definite" (2 of 20 seeds of a low-rank cluster in tests/engine/test_gmm.py; 2 of 40
    single K-Means starts on the standardised digits table)."""
    inverse = np.linalg.inv(covariance)
    return (inverse + inverse.T) / 2


def _fit_once(
    X: np.ndarray,
    k: int,
    covariance_type: str,
    labels: np.ndarray,
    seed: int,
    reg: float,
    max_iter: int,
    cancel: CancelToken,
    report: Callable[[int, int], None] | None = None,
) -> GaussianMixture:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    step = _iterations_per_step(len(X), X.shape[1], k, covariance_type)
    for attempt in range(_REG_RETRIES + 1):
        try:
            model = GaussianMixture(
                n_components=k,
                covariance_type=covariance_type,
                reg_covar=reg,
                max_iter=step,
                warm_start=True,  # each fit() call continues EM where the last one stopped
                random_state=seed,
                **_partition_start(X, labels, k, covariance_type, reg),
            )
            done = 0
            while done < max_iter:
                if report is not None:
                    report(done, max_iter)
                cancel.raise_if_cancelled()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X)
                done += model.n_iter_
                if model.converged_:
                    break
            model.total_iter_ = done
            return model
        except (ValueError, np.linalg.LinAlgError) as err:
            retry = isinstance(err, np.linalg.LinAlgError) or "ill-defined empirical covariance" in str(err)
            if not retry or attempt == _REG_RETRIES:
                raise ValueError(
                    f"The mixture with {k} clusters could not be fitted ({err}). Try fewer clusters, "
                    "a simpler covariance type (diag or spherical), or remove duplicated items."
                ) from err
            reg *= 10.0
    raise AssertionError("unreachable")


def _ordered(model: GaussianMixture, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels 0..m-1 over the non-empty components and probabilities whose column j is label j.

    Components that won no item keep their columns, after the others, so every row sums to 1.
    """
    proba = model.predict_proba(X)
    top = proba.argmax(axis=1)
    counts = np.bincount(top, minlength=proba.shape[1])
    used = [c for c in range(proba.shape[1]) if counts[c] > 0]
    order = used + [c for c in range(proba.shape[1]) if counts[c] == 0]
    remap = np.empty(proba.shape[1], dtype=int)
    remap[order] = np.arange(proba.shape[1])
    return remap[top], proba[:, order]


def _starts(n: int, k: int, p: int, covariance_type: str) -> int:
    return n_starts(n, k, p * p if covariance_type in ("full", "tied") else p)


def _fitter(random_state: Any, cancel: CancelToken, progress: Progress, stage: str) -> Any:
    """``fit(Z, k, covariance_type)``: the best of the budget's starts; EM's steps reported in ``stage``."""

    def fit(Z: np.ndarray, k: int, covariance_type: str) -> GaussianMixture:
        starts = _starts(len(Z), k, Z.shape[1], covariance_type)
        return fit_mixture(
            Z,
            k,
            covariance_type,
            n_init=starts,
            random_state=random_state,
            cancel=cancel,
            progress=progress,
            stage=stage,
        )

    return fit


@dataclass
class _Fit:
    model: GaussianMixture
    shape: tuple[int, str]
    note: str


def _scan(
    vectors: np.ndarray,
    space: Space,
    ks: list[int],
    covariance_type: str,
    criterion: str,
    random_state: Any,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[_Fit, CriterionCurve]:
    fit = _fitter(random_state, cancel, progress, CHOOSE_K)
    bic: list[float] = []
    aic: list[float] = []
    models: list[GaussianMixture] = []
    progress(CHOOSE_K, 0, len(ks))
    # One shape for every k, the one the largest k supports: criteria compare like with like.
    widest, shape, _, note = fit_shaped(space, ks[-1], covariance_type, criterion, fit, len(ks) > 1)
    note = f"{note.rstrip('.')}, the shape used for every k scanned." if len(ks) > 1 else note
    for i, k in enumerate(ks):
        cancel.raise_if_cancelled()
        models.append(widest if k == ks[-1] else fit(space.Z[:, : shape[0]], k, shape[1]))
        bic.append(space.score(models[-1], shape[0], "bic"))
        aic.append(space.score(models[-1], shape[0], "aic"))
        progress(CHOOSE_K, i + 1, len(ks))
    # On the vectors as given, so that K-Means with k = auto measures the same stability.
    stability = prediction_strength(vectors, ks, random_state=random_state, cancel=cancel)
    gone = [collapsed(m) for m in models]
    best, reason = choose(ks, bic if criterion == "bic" else aic, gone, stability, criterion)
    curve = CriterionCurve(
        ks=ks, bic=bic, aic=aic, best_k=ks[best], criterion=criterion, stability=stability, reason=reason
    )
    return _Fit(models[best], shape, note), curve


def select_mixture(
    X: np.ndarray,
    k_min: int = 1,
    k_max: int = 10,
    covariance_type: str = "full",
    criterion: str = "bic",
    *,
    random_state: int | None = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[GaussianMixture, CriterionCurve]:
    """Fit a mixture for each k in ``k_min..k_max`` (each in its best shape) and keep the lowest criterion.

    The model is fitted on ``X``'s principal components (:class:`engine.cluster.gmm_shape.Space`);
    k_max is clipped to the number of items. Progress is reported after each k; cancel is checked
    between EM steps.
    """
    _check(covariance_type, criterion)
    if not isinstance(k_min, Integral) or k_min < 1:
        raise ValueError(f"k_min must be an integer >= 1; got {k_min!r}.")
    k_max = min(int(k_max), len(X))
    if k_max < k_min:
        raise ValueError(f"Cannot scan k from {k_min} with {len(X)} items; lower k_min.")
    best, curve = _scan(
        X,
        Space.of(X),
        list(range(int(k_min), k_max + 1)),
        covariance_type,
        criterion,
        random_state,
        progress or no_progress,
        cancel or NEVER_CANCELLED,
    )
    return best.model, curve


def fit_gmm(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    k_min: int = 2,
    k_max: int = 10,
    covariance_type: str = "full",
    criterion: str = "bic",
    random_state: Any = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Clustering:
    """The pipeline's entry point: a fixed k, or the k of ``k_min..k_max`` with the lowest BIC/AIC."""
    _check(covariance_type, criterion)
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    X = np.asarray(vectors, dtype=np.float64)
    n = len(X)
    check_k(k, n)
    progress(MIXTURE_PREPARE, 0, 1)
    space = Space.of(X)
    cancel.raise_if_cancelled()
    curve = None
    scan_note = ""
    if k is None:
        k_max = max(1, min(k_max, n - 1))
        k_min = max(1, min(k_min, k_max))
        scanned = space
        if n > SCAN_SAMPLE:
            rows = np.sort(np.random.default_rng(random_state).choice(n, SCAN_SAMPLE, replace=False))
            scanned = Space(Z=space.Z[rows], variances=space.variances, d=space.d)
        chosen, curve = _scan(
            X,
            scanned,
            list(range(k_min, k_max + 1)),
            covariance_type,
            criterion,
            random_state,
            progress,
            cancel,
        )
        if n > SCAN_SAMPLE:  # the chosen k and shape, fitted on every item
            progress(MIXTURE_FIT, 0, 1)
            p, shape = chosen.shape
            model = _fitter(random_state, cancel, progress, MIXTURE_FIT)(space.Z[:, :p], curve.best_k, shape)
            chosen = _Fit(model, chosen.shape, chosen.note)
            progress(MIXTURE_FIT, 1, 1)
            scan_note = (
                f" k was chosen on a random sample of {SCAN_SAMPLE} of the {n} items, then fitted on all."
            )
    else:
        progress(MIXTURE_FIT, 0, 1)
        model, shape, _, note = fit_shaped(
            space, k, covariance_type, criterion, _fitter(random_state, cancel, progress, MIXTURE_FIT)
        )
        chosen = _Fit(model, shape, note)
        progress(MIXTURE_FIT, 1, 1)
    model = chosen.model
    dims, shape = chosen.shape
    Z = space.Z[:, :dims]
    labels, proba = _ordered(model, Z)
    if curve is not None:
        curve.labels = labels
    sure = certainty(proba)
    starts = _starts(len(Z), int(model.n_components), dims, shape)
    why = f"{curve.reason} " if curve is not None else ""
    info: dict[str, Any] = {
        "k": int(model.n_components),
        "covariance_type": shape,
        "criterion": criterion,
        "bic": space.score(model, dims, "bic"),
        "aic": space.score(model, dims, "aic"),
        "converged": bool(model.converged_),
        "iterations": int(getattr(model, "total_iter_", model.n_iter_)),
        "reg_covar": float(model.reg_covar),
        "dims": int(dims),
        "starts": starts,
        "uncertain_threshold": UNCERTAIN_BELOW,
        "uncertain": int(np.sum(sure < UNCERTAIN_BELOW)),
        "mean_certainty": float(sure.mean()),
        "note": f"{why}{chosen.note} Best of {describe_starts(starts)}.{scan_note}",
    }
    if not model.converged_:
        info["warning"] = f"EM did not converge within {MAX_ITER} iterations; the clusters may still move."
    return Clustering(labels=labels, curve=curve, probabilities=proba, info=info)
