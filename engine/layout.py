"""2-D maps of the embeddings for the scatter view: PCA, t-SNE, and UMAP where installed.

t-SNE and UMAP are slow on large inputs, so above ``EMBED_SAMPLE`` items they lay out a random
sample and place every other item at the distance-weighted mean of its nearest sampled
neighbours (found in the same reduced space), which keeps 100 000 items within a minute or so.
Wide vectors are reduced to ``REDUCE_TO`` dimensions with PCA first, the usual preparation.
"""

from __future__ import annotations

import importlib.util
import math
import os
import warnings

import numpy as np

from engine import catalogue
from engine.progress import LAYOUT, NEVER_CANCELLED, CancelToken, CostModel, Progress, estimated, no_progress

LAYOUTS = catalogue.names(catalogue.LAYOUTS)
"""Every layout the engine knows; :func:`available_layouts` says which can run here."""

LAYOUT_DESCRIPTIONS = {c.value: c.help for c in catalogue.LAYOUTS}

EMBED_SAMPLE = 10_000
"""t-SNE and UMAP lay out at most this many items; the others are placed by nearest neighbours."""
REDUCE_ABOVE = 50
REDUCE_TO = 50
PLACE_NEIGHBOURS = 5
PLACE_CHUNK = 20_000

COSTS = {
    "tsne": CostModel(6e-4, lambda n, d: n * math.log2(max(n, 2))),
    "umap": CostModel(1e-4, lambda n, d: n * math.log2(max(n, 2))),
    "pca": CostModel(2e-7, lambda n, d: float(n) * d),
}
"""Expected seconds of the one library call that lays out the sample (its progress is an estimate).

t-SNE (Barnes-Hut, 1 000 iterations): measured 8.8 s at 2 000 and 76 s at 10 000 items (2 busy
cores), about 6e-4 s per n log2 n. UMAP is not installed here, so its rate is a guess until its
first call in the engine process replaces it with a measured one. PCA: 1.2 s at 200 000 x 32.
"""

UMAP_MISSING = "The UMAP layout needs the optional package umap-learn: pip install umap-learn"


def umap_installed() -> bool:
    """Whether umap-learn can be imported (checked without importing it, which is slow)."""
    return importlib.util.find_spec("umap") is not None


def available_layouts() -> tuple[str, ...]:
    """The layouts that can run on this machine, in the order the settings panel offers them."""
    return tuple(m for m in LAYOUTS if m != "umap" or umap_installed())


def layout_note(method: str, n: int) -> str | None:
    """What the user should know about the map of ``n`` items made with ``method``, or None."""
    if method in ("tsne", "umap") and n > EMBED_SAMPLE:
        name = "t-SNE" if method == "tsne" else "UMAP"
        return (
            f"{name} laid out a random sample of {EMBED_SAMPLE:,} of the {n:,} items; the others were "
            f"placed beside their {PLACE_NEIGHBOURS} nearest sampled neighbours."
        )
    return None


def embed_2d(
    vectors: np.ndarray,
    method: str = "pca",
    random_state: int = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """Project ``vectors`` to an (n, 2) float32 map; constant or 1-D data gets a zero column."""
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    if method not in LAYOUTS:
        raise ValueError(f"Unknown layout {method!r}; choose one of: {', '.join(LAYOUTS)}.")
    if method == "umap" and not umap_installed():
        raise ValueError(UMAP_MISSING)
    X = np.asarray(vectors, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (items x features); got shape {X.shape}")
    cancel.raise_if_cancelled()
    if method == "pca":
        progress(LAYOUT, 0, 1)
        with estimated(progress, LAYOUT, COSTS["pca"], *X.shape, detail="PCA"):
            coords = _pca_2d(X, random_state)
        progress(LAYOUT, 1, 1)
        return coords
    return _neighbour_layout(X, method, random_state, progress, cancel)


def _pca_2d(X: np.ndarray, random_state: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    n, d = X.shape
    out = np.zeros((n, 2), dtype=np.float32)
    n_comp = min(2, n, d)
    if n_comp == 0 or np.allclose(X.std(axis=0), 0):
        return out
    solver = "randomized" if n > 5000 and d > 10 else "full"
    out[:, :n_comp] = PCA(n_components=n_comp, svd_solver=solver, random_state=random_state).fit_transform(X)
    return out


def _neighbour_layout(
    X: np.ndarray, method: str, random_state: int, progress: Progress, cancel: CancelToken
) -> np.ndarray:
    """t-SNE or UMAP: reduce, lay out (a sample of) the items, place the rest; 4 steps + placement."""
    n = len(X)
    X = X[:, X.std(axis=0) > 0] if n else X
    if n < 3 or X.shape[1] == 0:  # nothing to learn neighbourhoods from: fall back to PCA's answer
        return _pca_2d(X, random_state) if X.shape[1] else np.zeros((n, 2), dtype=np.float32)
    rest_chunks = -(-max(0, n - EMBED_SAMPLE) // PLACE_CHUNK)
    total = 3 + rest_chunks
    progress(LAYOUT, 0, total)
    if X.shape[1] > REDUCE_ABOVE:
        from sklearn.decomposition import PCA

        n_comp = min(REDUCE_TO, n - 1)
        solver = "randomized" if n > 2000 else "full"
        X = PCA(n_components=n_comp, svd_solver=solver, random_state=random_state).fit_transform(X)
        X = np.ascontiguousarray(X, dtype=np.float32)
    progress(LAYOUT, 1, total)
    cancel.raise_if_cancelled()

    sample = None
    if n > EMBED_SAMPLE:
        sample = np.sort(np.random.default_rng(random_state).choice(n, size=EMBED_SAMPLE, replace=False))
    fit_X = X if sample is None else X[sample]
    # t-SNE and UMAP are single library calls with no hook: their progress is a time estimate,
    # and Cancel is answered after them (the window ends the engine process if that takes long).
    name = "t-SNE" if method == "tsne" else "UMAP"
    with estimated(progress, LAYOUT, COSTS[method], *fit_X.shape, detail=name):
        fitted = _tsne(fit_X, random_state) if method == "tsne" else _umap(fit_X, random_state)
    progress(LAYOUT, 2, total)
    cancel.raise_if_cancelled()

    if sample is None:
        coords = fitted
    else:
        coords = np.empty((n, 2), dtype=np.float32)
        coords[sample] = fitted
        rest = np.setdiff1d(np.arange(n), sample)
        _place(X, sample, fitted, rest, coords, progress, cancel, total)
    progress(LAYOUT, total, total)
    return np.ascontiguousarray(coords, dtype=np.float32)


def _tsne(X: np.ndarray, random_state: int) -> np.ndarray:
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    # Perplexity must stay below the number of items; 30 is the usual value.
    perplexity = float(min(30.0, max(1.0, (len(X) - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state)
    with threadpool_limits(limits=_openmp_threads(len(X)), user_api="openmp"):
        return tsne.fit_transform(X).astype(np.float32)


def _openmp_threads(n: int) -> int:
    """Threads for t-SNE's OpenMP loops: one for small inputs or a busy machine, else the idle cores.

    Its gradient loop meets a thread barrier about a thousand times; when another program holds
    the cores, each barrier waits a scheduler slice. Measured on 2 busy cores: 2 000 items took
    53 s with two threads and 4.9 s with one.
    """
    cores = os.cpu_count() or 1
    if n < 2000 or cores == 1:
        return 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return cores
    return int(max(1, min(cores, cores - round(busy))))


def _umap(X: np.ndarray, random_state: int) -> np.ndarray:
    try:
        import umap
    except ImportError as error:  # installed but broken (a numba that does not match numpy, say)
        raise ValueError(f"{UMAP_MISSING} ({error})") from error
    n_neighbors = int(min(15, len(X) - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=random_state)
    with warnings.catch_warnings():
        # A seed makes UMAP single-threaded (it says so each time) and separate groups make its
        # spectral start warn; both are expected here.
        warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
        warnings.filterwarnings("ignore", message=".*Graph is not fully connected.*")
        return np.asarray(reducer.fit_transform(X), dtype=np.float32)


def _place(
    X: np.ndarray,
    sample: np.ndarray,
    fitted: np.ndarray,
    rest: np.ndarray,
    coords: np.ndarray,
    progress: Progress,
    cancel: CancelToken,
    total: int,
) -> None:
    """Put each item of ``rest`` at the inverse-distance-weighted mean of its nearest sampled items."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=min(PLACE_NEIGHBOURS, len(sample))).fit(X[sample])
    for i, start in enumerate(range(0, len(rest), PLACE_CHUNK)):
        chunk = rest[start : start + PLACE_CHUNK]
        dist, idx = nn.kneighbors(X[chunk])
        weights = 1.0 / np.maximum(dist, 1e-12)
        weights /= weights.sum(axis=1, keepdims=True)
        coords[chunk] = np.einsum("ij,ijk->ik", weights, fitted[idx])
        progress(LAYOUT, 3 + i, total)
        cancel.raise_if_cancelled()
