"""Writing results for people and other tools: CSV, JSON and a PNG of the map.

Every file is written to a temporary name beside its target and renamed, so an interrupted
export never leaves a half-written file where a good one was. Files are UTF-8: a file name that
is not valid UTF-8 keeps each undecodable byte as the four characters ``\\xNN`` (see
:func:`escape_text`). CSV text cells that a spreadsheet would run as a formula are neutralised
(see :func:`csv_cell`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from engine.store import atomic_write

if TYPE_CHECKING:
    from engine.pipeline import Result


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def escape_text(text: str) -> str:
    """``text`` as valid UTF-8, losslessly, so that no file name can stop an export.

    Each byte of a file name that is not UTF-8 (Python holds it as a lone surrogate) becomes the
    four characters ``\\xNN``: the Latin-1 name ``café.csv`` is written ``caf\\xe9.csv``.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return text.encode("utf-8", "backslashreplace").decode("ascii")


def csv_cell(value: Any) -> Any:
    """A CSV cell that is safe to open in a spreadsheet.

    Numbers stay as they are; text is escaped (:func:`escape_text`) and, when it starts like a
    formula, prefixed with ``'`` as OWASP advises.
    """
    if not isinstance(value, str):
        return value
    text = escape_text(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through :func:`csv_cell`."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def _escaped(value: Any) -> Any:
    """A JSON-able document with every string passed through :func:`escape_text`."""
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def cluster_names(result: Result) -> dict[int, str]:
    """Cluster id -> its default name (``cluster N`` where the run has none)."""
    from engine.naming import fallback_name

    names = {n.cluster: n.name for n in result.names}
    return {int(c): names.get(int(c), fallback_name(int(c))) for c in np.unique(result.labels)}


def write_assignments(result: Result, path: Path) -> None:
    """One row per analysed item: item, path, row, cluster, cluster_name, x, y (plus any score columns)."""
    extra = result.scores
    names = cluster_names(result)
    with atomic_write(path) as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(["item", "path", "row", "cluster", "cluster_name", "x", "y", *extra])
        for i, item in enumerate(result.analysed.items):
            x, y = result.coords[i]
            writer.writerow(
                [
                    item.display_name,
                    str(item.path),
                    "" if item.row is None else item.row,
                    int(result.labels[i]),
                    names[int(result.labels[i])],
                    f"{x:.6g}",
                    f"{y:.6g}",
                    *(f"{np.asarray(v)[i]:.6g}" for v in extra.values()),
                ]
            )


def write_clusters(result: Result, path: Path) -> None:
    """One row per cluster: cluster, size, name, keywords and its five most typical items' names."""
    items = result.analysed.items
    sizes = dict(zip(*np.unique(result.labels, return_counts=True), strict=True))
    with atomic_write(path) as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(["cluster", "size", "name", "keywords", "typical_items"])
        for n in result.names:
            typical = "; ".join(items[i].display_name for i in n.typical)
            writer.writerow([n.cluster, int(sizes.get(n.cluster, 0)), n.name, ", ".join(n.keywords), typical])


def write_problems(result_or_problems: Any, path: Path) -> None:
    """Every file the run could not use (or repaired), with the stage and the message."""
    problems = getattr(result_or_problems, "problems", result_or_problems)
    with atomic_write(path) as handle:
        writer = SafeCsvWriter(handle)
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
        json.dump(_escaped(metrics_document(result)), handle, indent=2, default=_json_default)


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
    names = cluster_names(result)
    for cluster in sorted(set(labels.tolist())):
        mask = labels == cluster
        colour = "0.7" if cluster == -1 else palette(cluster % palette.N)
        name = names[cluster]
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
