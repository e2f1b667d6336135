"""The pictures of the HTML report, as PNG bytes: thumbnails, mini plots, k curves, dendrograms.

Each is small (a few kB) because the report embeds them all in one file. matplotlib draws with its
non-GUI backend; nothing here touches the screen. A picture that cannot be made (a moved file, a
clip that no longer decodes) is ``None`` and the report leaves it out.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np


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


def picture_png(draw: Any, path: Path) -> bytes | None:
    """``draw(path)`` (a thumbnail function of :mod:`engine.thumbnails`, giving HxWx3 uint8) as PNG
    bytes, or None when the file cannot be read now (moved, truncated)."""
    from PIL import Image

    from engine.items import ItemError

    try:
        pixels = draw(path)
    except (ItemError, OSError):
        return None
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def series_plot(examples: list[np.ndarray], members: list[np.ndarray], colour: Any) -> bytes:
    """A mini plot of a cluster's example series (first channel) over the mean of its members."""
    from engine.members import first_channel, series_mean_band

    fig = _figure(3.0, 1.2)
    ax = fig.add_subplot()
    length = len(first_channel(examples[0]))
    for values in examples[:5]:
        ax.plot(first_channel(values), color=colour, alpha=0.45, linewidth=0.8)
    mean, _ = series_mean_band(members, length)  # start to end, on the first example's steps
    ax.plot(mean, color="black", linewidth=1.2)
    ax.tick_params(labelsize=6)
    return _png(fig)


def k_curve_plot(curve: Any) -> bytes | None:
    """How k was chosen: silhouette and inertia (K-Means, tree cuts) or BIC and AIC (mixtures), and
    the stability of each k with the line a stable k clears (as the window's Choosing k shows)."""
    from engine.cluster.choose_k import STABLE

    names = ("silhouette", "inertia", "bic", "aic", "stability")
    series = [(n, [np.nan if v is None else v for v in getattr(curve, n, None) or []]) for n in names]
    series = [(name, values) for name, values in series if np.isfinite(np.asarray(values, float)).any()]
    if not series:
        return None
    fig = _figure(6.0, 2.4)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    chosen = getattr(curve, "best_k", None)
    for ax, (name, values) in zip(axes, series, strict=True):
        ax.plot(curve.ks, values, marker="o", markersize=3)
        if name == "stability":
            ax.axhline(STABLE, color="0.6", linestyle=":", linewidth=0.8)
            ax.set_ylim(0, 1.05)
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
