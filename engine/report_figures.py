"""The pictures of the HTML report, as PNG bytes: thumbnails, mini plots, spectrograms, k curves.

Each is small (a few kB) because the report embeds them all in one file. matplotlib draws with its
non-GUI backend; nothing here touches the screen. A picture that cannot be made (a moved file, a
clip that no longer decodes) is ``None`` and the report leaves it out.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

THUMBNAIL = 96
"""Longest side of an image thumbnail, in pixels."""


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _png(fig: Any) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def thumbnail(path: Path, size: int = THUMBNAIL) -> bytes | None:
    """A small PNG of an image file (upright, RGB), or None when it cannot be read now."""
    from engine.ingest.images import open_image
    from engine.items import ItemError

    try:
        image = open_image(path, draft_size=size)
    except (ItemError, OSError):
        return None
    image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def spectrogram(path: Path) -> bytes | None:
    """A small log-mel spectrogram of a sound file, or None when it cannot be decoded now."""
    from engine.item_view import clip_view
    from engine.items import ItemError

    try:
        clip = clip_view(path, n_mels=48, columns=200)
    except (ItemError, OSError):
        return None
    fig = _figure(2.0, 0.9)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(clip.db.T, origin="lower", aspect="auto", cmap="magma")
    ax.set_axis_off()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def series_plot(series: list[np.ndarray], colour: Any) -> bytes:
    """A mini plot of a cluster's example series (first channel) over the mean of all its members."""
    from engine.item_view import series_band

    fig = _figure(2.6, 1.1)
    ax = fig.add_subplot()
    for values in series[:5]:
        first = np.asarray(values, dtype=np.float64).reshape(len(values), -1)[:, 0]
        ax.plot(first, color=colour, alpha=0.45, linewidth=0.8)
    band = series_band(series, 0)
    ax.plot(np.linspace(0, len(series[0]) - 1, len(band.mean)), band.mean, color="black", linewidth=1.2)
    ax.tick_params(labelsize=6)
    return _png(fig)


def k_curve_plot(curve: Any) -> bytes | None:
    """How k was chosen: silhouette and inertia (K-Means, tree cuts) or BIC and AIC (mixtures)."""
    series = [(name, getattr(curve, name, None)) for name in ("silhouette", "inertia", "bic", "aic")]
    series = [(name, values) for name, values in series if values is not None]
    if not series:
        return None
    fig = _figure(6.0, 2.4)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    chosen = getattr(curve, "best_k", None)
    for ax, (name, values) in zip(axes, series, strict=True):
        ax.plot(curve.ks, [np.nan if v is None else v for v in values], marker="o", markersize=3)
        if chosen is not None:
            ax.axvline(chosen, color="0.6", linestyle="--", linewidth=0.8)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("k", fontsize=7)
        ax.tick_params(labelsize=6)
    return _png(fig)


def dendrogram_plot(tree: Any, k: int) -> bytes:
    """The top of a dendrogram (at most 40 leaves shown) with the cut that gives ``k`` clusters."""
    from scipy.cluster.hierarchy import dendrogram

    fig = _figure(6.0, 2.6)
    ax = fig.add_subplot()
    p = min(40, tree.n_leaves)
    dendrogram(tree.Z, ax=ax, truncate_mode="lastp", p=p, no_labels=True, color_threshold=0)
    if 1 <= k <= tree.n_leaves:
        ax.axhline(tree.height_for_k(k), color="tab:red", linestyle="--", linewidth=0.8)
    ax.set_ylabel("merge height", fontsize=7)
    ax.tick_params(labelsize=6)
    return _png(fig)


def k_distance_plot(curve: dict[str, Any]) -> bytes:
    """DBSCAN's sorted k-distance curve with the eps used."""
    fig = _figure(6.0, 2.2)
    ax = fig.add_subplot()
    ax.plot(curve["distances"], linewidth=1)
    ax.axhline(curve["eps"], color="tab:red", linestyle="--", linewidth=0.8)
    ax.set_ylabel(f"distance to neighbour {curve['k']}", fontsize=7)
    ax.tick_params(labelsize=6)
    return _png(fig)
