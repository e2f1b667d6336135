"""Writing results for people and other tools: CSV, JSON and a PNG of the map.

Every file is written to a temporary name beside its target and renamed, so an interrupted
export never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.store import atomic_write

if TYPE_CHECKING:
    from engine.pipeline import Result


def write_assignments(result: Result, path: Path) -> None:
    """One row per analysed item: item, path, row, cluster, x, y (plus any score columns)."""
    extra = result.scores
    with atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "path", "row", "cluster", "x", "y", *extra])
        for i, item in enumerate(result.analysed.items):
            x, y = result.coords[i]
            writer.writerow(
                [
                    item.display_name,
                    str(item.path),
                    "" if item.row is None else item.row,
                    int(result.labels[i]),
                    f"{x:.6g}",
                    f"{y:.6g}",
                    *(f"{np.asarray(v)[i]:.6g}" for v in extra.values()),
                ]
            )


def write_problems(result_or_problems: Any, path: Path) -> None:
    """Every file the run could not use (or repaired), with the stage and the message."""
    problems = getattr(result_or_problems, "problems", result_or_problems)
    with atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "stage", "severity", "message"])
        for p in problems:
            writer.writerow([str(p.path), p.stage, p.severity, p.message])


def metrics_document(result: Result) -> dict[str, Any]:
    """The run summarised as plain JSON-able data: metrics, k, timings, the spec and the k curve."""
    curve = result.k_curve
    return {
        "modality": result.modality,
        "embedder": result.embedder,
        "algorithm": result.spec.algorithm,
        "k": result.n_clusters,
        "k_chosen": "auto" if result.spec.k is None else "fixed",
        "metrics": result.metrics,
        "timings_s": result.timings,
        "n_problems": len(result.problems),
        "notes": result.collection.notes,
        "k_curve": curve.to_dict() if curve is not None else None,
        "spec": result.spec.to_dict(),
    }


def write_metrics(result: Result, path: Path) -> None:
    with atomic_write(path) as handle:
        json.dump(metrics_document(result), handle, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_scatter_png(result: Result, path: Path, size: tuple[int, int] = (1200, 900)) -> None:
    """The 2-D map coloured by cluster, as a PNG, drawn with matplotlib's non-GUI backend."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / 150, size[1] / 150), dpi=150)
    ax = fig.add_subplot()
    labels = result.labels
    palette = matplotlib.colormaps["tab20"] if result.n_clusters > 10 else matplotlib.colormaps["tab10"]
    point = max(2.0, min(30.0, 3000.0 / max(1, len(labels)) ** 0.5))
    for cluster in sorted(set(labels.tolist())):
        mask = labels == cluster
        colour = "0.7" if cluster == -1 else palette(cluster % palette.N)
        name = "noise" if cluster == -1 else f"cluster {cluster}"
        ax.scatter(
            *result.coords[mask].T, s=point, color=colour, label=f"{name} ({mask.sum()})", linewidths=0
        )
    ax.set_title(f"{len(labels)} {result.modality} items · {result.embedder} · {result.spec.algorithm}")
    ax.set_xlabel(f"{result.spec.layout.upper()} 1")
    ax.set_ylabel(f"{result.spec.layout.upper()} 2")
    if result.n_clusters <= 20:
        ax.legend(loc="best", fontsize="small", markerscale=max(1.0, 6 / point))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    with atomic_write(path, "wb") as handle:
        handle.write(buffer.getvalue())
