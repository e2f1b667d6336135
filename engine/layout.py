"""2-D maps of the embeddings for the scatter view."""

from __future__ import annotations

import numpy as np

from engine.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

LAYOUTS = ("pca",)


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
    cancel.raise_if_cancelled()
    progress("layout", 0, 1)
    coords = _pca_2d(np.asarray(vectors, dtype=np.float32), random_state)
    progress("layout", 1, 1)
    return coords


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
