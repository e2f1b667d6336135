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
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from engine.atomic import atomic_write
from engine.items import needing_a_look

if TYPE_CHECKING:
    from engine.pipeline import Result


CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: Excel reads a CSV without one in the system's code page, so "Café"
came out as "CafÃ©"; pandas, R's readr and Python's "utf-8-sig" skip the mark."""
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


def cluster_names(result: Result, names: dict[int, str] | None = None) -> dict[int, str]:
    """Cluster id -> its name: the user's (``names``, from the view state), else the run's default
    name (:mod:`engine.naming`), else ``cluster N``."""
    from engine.naming import fallback_name

    default = {n.cluster: n.name for n in result.names}
    shown = {int(c): default.get(int(c), fallback_name(int(c))) for c in np.unique(result.labels)}
    return shown | {int(c): n for c, n in (names or {}).items() if n}


def _chosen_rows(result: Result, rows: Sequence[int] | None) -> list[int]:
    """All analysed items, or the chosen ones (the selection) in item order, without repeats."""
    n = len(result.analysed.items)
    if rows is None:
        return list(range(n))
    chosen = sorted({int(r) for r in rows})
    if chosen and not 0 <= chosen[0] <= chosen[-1] < n:
        raise ValueError(f"rows must lie between 0 and {n - 1}.")
    return chosen


def write_assignments(
    result: Result, path: Path, rows: Sequence[int] | None = None, names: dict[int, str] | None = None
) -> None:
    """One row per analysed item (or per item of ``rows``): item, path, row, cluster, cluster_name,
    x, y (plus any score columns); ``names`` (the user's) override the default names, and when the
    items carry known labels (a folder name, a label column) a ``known_label`` column holds them.
    """
    extra = result.scores
    items = result.analysed.items
    shown = cluster_names(result, names)
    labelled = any(item.label is not None for item in items)
    header = ["item", "path", "row", "cluster", "cluster_name"] + ["known_label"] * labelled
    with atomic_write(path, encoding=CSV_ENCODING) as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow([*header, "x", "y", *extra])
        for i in _chosen_rows(result, rows):
            item, cluster = items[i], int(result.labels[i])
            x, y = result.coords[i]
            writer.writerow(
                [
                    item.display_name,
                    str(item.path),
                    "" if item.row is None else item.row,
                    cluster,
                    shown[cluster],
                    *([item.label or ""] if labelled else []),
                    f"{x:.6g}",
                    f"{y:.6g}",
                    *(f"{np.asarray(v)[i]:.6g}" for v in extra.values()),
                ]
            )


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def folder_name(name: str, fallback: str) -> str:
    """``name`` as a folder name every common file system accepts (Windows' rules are the strictest).

    Characters a file system refuses become ``_``; dots and spaces at the ends, Windows' reserved
    device names and over-long names are avoided; an empty result is ``fallback``.
    """
    clean = _UNSAFE.sub("_", escape_text(name)).strip(" .")[:100].rstrip(" .")
    if not clean:
        clean = fallback
    return f"_{clean}" if clean.split(".")[0].upper() in _RESERVED else clean


def _free_path(path: Path) -> Path:
    """``path``, or ``name (2).ext``, ``name (3).ext``... : the first that does not exist yet."""
    candidate, n = path, 2
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return candidate


def copy_cluster_files(
    result: Result,
    folder: Path,
    names: dict[int, str] | None = None,
    link: bool = False,
    rows: Sequence[int] | None = None,
) -> int:
    """Copy the files of every cluster (or of the items in ``rows``) into one folder per cluster.

    Folders are named after the clusters (:func:`folder_name`); an existing file is never
    overwritten (the copy gets a `` (2)`` suffix); the originals are only read. With ``link``,
    symbolic links are made where the system allows, copies elsewhere. Rows of one CSV file share
    it: the file goes once into each cluster that holds some of its rows (the assignments CSV says
    which). Files that no longer exist are skipped. Returns the number of files copied or linked.
    """
    from engine.naming import fallback_name

    folder = Path(folder)
    items = result.analysed.items
    shown = cluster_names(result, names)
    folders: dict[int, Path] = {}
    done: set[tuple[int, Path]] = set()
    count = 0
    for i in _chosen_rows(result, rows):
        cluster, source = int(result.labels[i]), Path(items[i].path)
        if (cluster, source) in done or not source.is_file():
            continue
        done.add((cluster, source))
        if cluster not in folders:
            name = folder_name(shown[cluster], fallback_name(cluster))
            if any(f.name == name for f in folders.values()):  # two clusters with one name stay apart
                name = f"{name} ({cluster})"
            folders[cluster] = folder / name
            folders[cluster].mkdir(parents=True, exist_ok=True)
        target = _free_path(folders[cluster] / source.name)
        if not (link and _symlink(source, target)):
            shutil.copy2(source, target)
        count += 1
    return count


def _symlink(source: Path, target: Path) -> bool:
    try:
        target.symlink_to(source.resolve())
    except (OSError, NotImplementedError):  # Windows without the privilege, a file system without links
        return False
    return True


def write_clusters(result: Result, path: Path) -> None:
    """One row per cluster: cluster, size, name, keywords and its five most typical items' names."""
    items = result.analysed.items
    sizes = dict(zip(*np.unique(result.labels, return_counts=True), strict=True))
    with atomic_write(path, encoding=CSV_ENCODING) as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(["cluster", "size", "name", "keywords", "typical_items"])
        for n in result.names:
            typical = "; ".join(items[i].display_name for i in n.typical)
            writer.writerow([n.cluster, int(sizes.get(n.cluster, 0)), n.name, ", ".join(n.keywords), typical])


def write_problems(result_or_problems: Any, path: Path) -> None:
    """Every file the run could not use (or repaired), with the stage and the message."""
    problems = getattr(result_or_problems, "problems", result_or_problems)
    with atomic_write(path, encoding=CSV_ENCODING) as handle:
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
        "n_problems": (look := len(needing_a_look(result.problems))),
        "n_skipped": len(result.problems) - look,
        "notes": result.notes,
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


def map_png(
    result: Result,
    size: tuple[int, int] = (1200, 900),
    labels: np.ndarray | None = None,
    names: dict[int, str] | None = None,
    colours: Callable[[int], Any] | None = None,
) -> bytes:
    """The 2-D map coloured by cluster as PNG bytes, drawn with matplotlib's non-GUI backend.

    ``labels`` (the clusters as shown, after a dendrogram cut), ``names`` (every cluster's name as
    shown) and ``colours`` (a cluster -> matplotlib colour function) default to the result's
    clusters and names (:func:`cluster_names`) and tab10/tab20.
    """
    import matplotlib

    from engine.naming import fallback_name

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / 150, size[1] / 150), dpi=150)
    ax = fig.add_subplot()
    labels = result.labels if labels is None else np.asarray(labels)
    n_clusters = len(set(labels.tolist()) - {-1})
    palette = matplotlib.colormaps["tab20"] if n_clusters > 10 else matplotlib.colormaps["tab10"]
    point = max(2.0, min(30.0, 3000.0 / max(1, len(labels)) ** 0.5))
    shown = cluster_names(result) if names is None else names
    for cluster in sorted(set(labels.tolist())):
        mask = labels == cluster
        if colours is not None:
            colour = colours(cluster)
        else:
            colour = "0.7" if cluster == -1 else palette(cluster % palette.N)
        name = escape_text(shown.get(cluster) or fallback_name(cluster))
        ax.scatter(
            *result.coords[mask].T, s=point, color=colour, label=f"{name} ({mask.sum()})", linewidths=0
        )
    ax.set_title(f"{len(labels)} {result.modality} items · {result.embedder} · {result.spec.algorithm}")
    ax.set_xlabel(f"{result.spec.layout.upper()} 1")
    ax.set_ylabel(f"{result.spec.layout.upper()} 2")
    if n_clusters <= 20:
        ax.legend(loc="best", fontsize="small", markerscale=max(1.0, 6 / point))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_scatter_png(result: Result, path: Path, size: tuple[int, int] = (1200, 900)) -> None:
    """The map as a PNG file (see :func:`map_png`)."""
    with atomic_write(path, "wb") as handle:
        handle.write(map_png(result, size))
