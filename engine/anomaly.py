"""Anomaly detection: PyOD detectors behind one function that returns scores, a threshold and flags.

Every detector gives a score where higher means more unusual; the threshold is the
``1 - contamination`` quantile of the scores (as PyOD computes ``threshold_``), and an item is
flagged when its score is above it. The GUI moves the threshold with :func:`flags_at` without
fitting again.

Kept fast at 100 000 items on a laptop: vectors wider than ``REDUCE_ABOVE`` dimensions are
reduced with PCA first, and the quadratic detectors (KNN, LOF, one-class SVM) are fitted on a
random sample of at most ``FIT_SAMPLE[name]`` items, every other item being scored against that
fit in chunks (so that progress moves and Cancel answers between chunks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import catalogue, numba_stand_in
from engine.progress import ANOMALY, NEVER_CANCELLED, CancelToken, CostModel, Progress, estimated, no_progress


@dataclass
class Anomalies:
    """Outlier scores (higher is more unusual), the threshold set by the contamination, and flags."""

    detector: str
    contamination: float
    scores: np.ndarray
    threshold: float
    flags: np.ndarray
    notes: list[str] = field(default_factory=list)
    """What the user should know about how the scores were made (a sample fit, PCA first)."""


N_NEIGHBORS = {"knn": 5, "lof": 20}
"""PyOD's defaults; lowered (with a note) when there are few items."""

FIT_SAMPLE = {"knn": 20_000, "lof": 20_000, "ocsvm": 3_000}
"""Quadratic detectors are fitted on at most this many items; the rest are scored against the fit."""

DETECTOR_DESCRIPTIONS: dict[str, str] = {c.value: c.help for c in catalogue.DETECTORS}
"""One line per detector for the settings panel's tooltip."""

DETECTORS: tuple[str, ...] = catalogue.names(catalogue.DETECTORS)
"""Names ``detect`` accepts, in the order the settings panel offers them."""

REDUCE_ABOVE = 128
"""Vectors with more dimensions than this are reduced with PCA to ``REDUCE_TO`` before detection.

Keeps KNN/LOF fast on 384- and 1280-d embeddings and ECOD/COPOD within memory. 100 rather than
the usual 50: on planted local outliers spread over all 384 dimensions LOF's ROC AUC was 0.64
after PCA to 50, 0.92 after PCA to 100 (1.0 unreduced); on embeddings of low intrinsic
dimension both kept it unchanged.
"""
REDUCE_TO = 100


def _linear(n: int, d: int) -> float:
    return float(n) * d


def _quadratic(n: int, d: int) -> float:
    return float(n) * n * d


FIT_COST = {
    "iforest": CostModel(2.4e-7, _linear),
    "ecod": CostModel(2.8e-7, _linear),
    "copod": CostModel(1.3e-7, _linear),
    "knn": CostModel(9e-11, _quadratic),
    "lof": CostModel(9e-11, _quadratic),
    "ocsvm": CostModel(3e-10, _quadratic),
}
"""A PyOD ``fit`` scores every fitted item in one call: its progress is a time estimate from these.

Measured on 200 000 x 32 here: IForest 1.5 s, ECOD 1.8 s, COPOD 0.8 s; KNN 1.1 s on its 20 000-item
sample.
"""

SCORE_CHUNK = 5_000
"""Items scored per call when scoring the items left out of a sample fit (KNN: about 0.5 s a chunk)."""


def check_contamination(contamination: float) -> float:
    """The contamination as a float, or a ValueError a user can act on."""
    try:
        value = float(contamination)
    except (TypeError, ValueError):
        raise ValueError(f"contamination must be a number between 0 and 0.5; got {contamination!r}") from None
    if not (0.0 < value <= 0.5):
        raise ValueError(
            f"contamination (the expected share of outliers) must be above 0 and at most 0.5; got {value:g}"
        )
    return value


def threshold_for(scores: np.ndarray, contamination: float) -> float:
    """The score above which the top ``contamination`` share of items lies (PyOD's ``threshold_``)."""
    contamination = check_contamination(contamination)
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not len(scores):
        raise ValueError("there are no scores to set a threshold on")
    return float(np.percentile(scores, 100.0 * (1.0 - contamination)))


def flags_at(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Which items are outliers at ``threshold``: score strictly above it (bool array)."""
    return np.asarray(scores, dtype=np.float64).ravel() > float(threshold)


def detect(
    vectors: np.ndarray,
    detector: str,
    contamination: float = 0.05,
    random_state: int = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Anomalies:
    """Score every item with ``detector``; the top ``contamination`` share is flagged.

    Raises ValueError for an unknown detector, a contamination outside (0, 0.5], or fewer than
    two items; :class:`engine.progress.Cancelled` when ``cancel`` is set between steps.
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    if detector not in DETECTORS:
        raise ValueError(f"Unknown detector {detector!r}; choose one of: {', '.join(DETECTORS)}.")
    contamination = check_contamination(contamination)
    X = np.asarray(vectors, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (items x features); got shape {X.shape}")
    n = len(X)
    if n < 2:
        raise ValueError(f"anomaly detection needs at least 2 items; got {n}")
    if not np.isfinite(X).all():
        raise ValueError("vectors contain NaN or infinite values; remove or repair those items first")

    cancel.raise_if_cancelled()
    notes: list[str] = []
    fit_rows = _fit_rows(n, detector, random_state)
    rest = np.setdiff1d(np.arange(n), fit_rows) if fit_rows is not None else np.zeros(0, dtype=int)
    n_chunks = -(-len(rest) // SCORE_CHUNK)
    total = 2 + n_chunks
    progress(ANOMALY, 0, total)
    X = _prepare(X, random_state, notes)
    progress(ANOMALY, 1, total)
    cancel.raise_if_cancelled()

    if X.shape[1] == 0:  # every feature constant: nothing stands out
        notes.append("Every feature has the same value for all items; no item stands out.")
        scores = np.zeros(n)
    else:
        X_fit = X if fit_rows is None else X[fit_rows]
        n_fit = len(X_fit)
        model = _make_detector(detector, contamination, X_fit, random_state, notes)
        if fit_rows is not None:
            notes.append(
                f"{detector} was fitted on a random sample of {n_fit:,} of the {n:,} items; "
                "the others were scored against that fit."
            )
        with estimated(progress, ANOMALY, FIT_COST[detector], *X_fit.shape, detail=f"fitting {detector}"):
            model.fit(X_fit)
        cancel.raise_if_cancelled()
        progress(ANOMALY, 2, total)
        scores = np.empty(n)
        if fit_rows is None:
            scores[:] = model.decision_scores_
        else:
            scores[fit_rows] = model.decision_scores_
            for i, start in enumerate(range(0, len(rest), SCORE_CHUNK)):
                chunk = rest[start : start + SCORE_CHUNK]
                scores[chunk] = model.decision_function(X[chunk])
                progress(ANOMALY, 3 + i, total)
                cancel.raise_if_cancelled()
        scores = _finite(scores, notes)

    threshold = threshold_for(scores, contamination)
    progress(ANOMALY, total, total)
    return Anomalies(
        detector=detector,
        contamination=contamination,
        scores=scores,
        threshold=threshold,
        flags=flags_at(scores, threshold),
        notes=notes,
    )


def _fit_rows(n: int, detector: str, random_state: int) -> np.ndarray | None:
    """Sorted rows of the fitting sample, or None when every item is fitted."""
    limit = FIT_SAMPLE.get(detector)
    if limit is None or n <= limit:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, size=limit, replace=False))


def _prepare(X: np.ndarray, random_state: int, notes: list[str]) -> np.ndarray:
    """Drop constant features (they make ECOD/COPOD give NaN) and reduce wide vectors with PCA."""
    varying = X.std(axis=0) > 0
    given = X.shape[1]
    if not varying.all():
        X = X[:, varying]
    n, d = X.shape
    if d > REDUCE_ABOVE and n > 2:
        from sklearn.decomposition import PCA

        n_comp = min(REDUCE_TO, n - 1)
        solver = "randomized" if n > 2000 else "full"
        X = PCA(n_components=n_comp, svd_solver=solver, random_state=random_state).fit_transform(X)
        X = np.ascontiguousarray(X, dtype=np.float32)
        constant = f" ({given - d} constant ones left out)" if d < given else ""
        notes.append(
            f"The {given}-dimensional vectors{constant} were reduced to {n_comp} with PCA before scoring."
        )
    return X


def _neighbours(detector: str, n_fit: int, notes: list[str]) -> int:
    """PyOD's number of neighbours, but at most half the other items (else all scores look alike)."""
    wanted = N_NEIGHBORS[detector]
    used = min(wanted, max(1, (n_fit - 1) // 2))
    if used < wanted:
        notes.append(f"{detector} used {used} neighbours instead of {wanted}: there are only {n_fit} items.")
    return used


def _make_detector(
    detector: str, contamination: float, X_fit: np.ndarray, random_state: int, notes: list[str]
) -> Any:
    """A PyOD detector with settings that hold from a few items to 100 000."""
    numba_stand_in.install()  # before PyOD's first import: the packaged app has no numba
    if detector == "knn":
        from pyod.models.knn import KNN

        return KNN(contamination=contamination, n_neighbors=_neighbours(detector, len(X_fit), notes))
    if detector == "lof":
        from pyod.models.lof import LOF

        return LOF(contamination=contamination, n_neighbors=_neighbours(detector, len(X_fit), notes))
    if detector == "iforest":
        from pyod.models.iforest import IForest

        return IForest(contamination=contamination, random_state=random_state)
    if detector == "ecod":
        from pyod.models.ecod import ECOD

        return ECOD(contamination=contamination)
    if detector == "copod":
        from pyod.models.copod import COPOD

        return COPOD(contamination=contamination)
    from pyod.models.ocsvm import OCSVM

    return OCSVM(contamination=contamination, gamma=_rbf_gamma(X_fit))


def _rbf_gamma(X: np.ndarray) -> float | str:
    """The RBF width from the data's local scale: 1 / median squared distance to the 10th neighbour.

    PyOD's gamma="auto" (1/d) ignores the scale of the data and fails on embeddings with small
    coordinates; "scale" (1/(d * variance)) follows the spread between groups and over-smooths.
    On planted outliers this heuristic matched the better of the two at every scale tried.
    """
    from sklearn.neighbors import NearestNeighbors

    k = min(10, len(X) - 1)
    if k < 1:
        return "scale"
    dist = NearestNeighbors(n_neighbors=k).fit(X).kneighbors()[0][:, -1]
    median = float(np.median(dist.astype(np.float64) ** 2))
    return 1.0 / median if median > 0 else "scale"


def _finite(scores: np.ndarray, notes: list[str]) -> np.ndarray:
    """Replace infinite or NaN scores (LOF on many duplicates) by the extreme finite values."""
    ok = np.isfinite(scores)
    if ok.all():
        return scores
    if not ok.any():
        notes.append("The detector gave no usable score; every item is scored 0.")
        return np.zeros_like(scores)
    top, bottom = scores[ok].max(), scores[ok].min()
    notes.append(f"{int((~ok).sum())} item(s) got an undefined score (duplicate items?) and were clipped.")
    return np.where(np.isnan(scores) | (scores == -np.inf), bottom, np.where(scores == np.inf, top, scores))


def score_text(value: float, spread: float) -> str:
    """A score to four significant digits of the scores' spread: a threshold at Isolation Forest's
    zero read "-3.261e-17" as the raw number."""
    if not np.isfinite(value) or spread <= 0 or not np.isfinite(spread):
        return f"{value:.4g}"
    decimals = max(0, 3 - int(np.floor(np.log10(spread))))
    return f"{round(value, decimals) + 0.0:.{decimals}f}"  # + 0.0: never "-0.0000"
