"""The HTML report: one self-contained file a user can mail or open in any browser.

Everything is inside the file (pictures as base64 data URIs, the style in the head), so nothing
breaks when it is moved. It shows what the window showed: the clusters as cut and named there
(from the view state), the map, the metrics, every cluster with its size, known labels,
distinguishing features and examples drawn the way its modality needs, how k was chosen, the
outliers and the problems. Every text from the data goes through :func:`text`: file names and
cells may hold markup or bytes that are not UTF-8.
"""

from __future__ import annotations

import base64
import html
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import report_figures as figures
from engine.atomic import atomic_write
from engine.export import SafeCsvWriter, cluster_name, escape_text, map_png

if TYPE_CHECKING:
    from engine.pipeline import Result

EXAMPLES = 6
"""Examples shown per cluster: the members nearest its centre in the embedding space."""
MAX_PROBLEMS = 500
STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ddd; padding: 2px 8px; }
th { background: #f4f4f4; text-align: left; } .num { text-align: right; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 50%; margin-right: .4em; }
.examples img { margin: 2px; vertical-align: top; border: 1px solid #eee; }
.snippet { font-size: .85em; background: #fafafa; border-left: 3px solid #ccc; padding: 2px 8px;
  margin: 4px 0; white-space: pre-wrap; }
.muted { color: #777; font-size: .9em; }
"""


def text(value: Any) -> str:
    """Any value as HTML text: valid UTF-8 (:func:`engine.export.escape_text`), markup escaped."""
    return html.escape(escape_text(str(value)))


def image(png: bytes | None, alt: str, title: str = "") -> str:
    """An ``<img>`` holding ``png`` as a data URI (empty when there is no picture)."""
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{text(alt)}" title="{text(title or alt)}">'


def _view(
    result: Result, view_state: dict | None
) -> tuple[np.ndarray, dict[int, str], dict[int, Any], float | None]:
    """Labels, names, colours and threshold as the window showed them (or the result's own)."""
    state = view_state or {}
    labels = np.asarray(result.labels)
    shown = state.get("labels")
    if shown is not None and len(shown) == len(labels):
        labels = np.asarray(shown, dtype=int)
    names = {int(c): str(n) for c, n in (state.get("names") or {}).items()}
    colours = {int(c): tuple(v / 255 for v in rgb) for c, rgb in (state.get("colours") or {}).items()}
    threshold = state.get("threshold")
    if threshold is None and result.anomaly is not None:
        threshold = result.anomaly.threshold
    return labels, names, colours, threshold


def colour_of(cluster: int, colours: dict[int, Any]) -> Any:
    """The window's colour for a cluster: the user's, else the palette (tab10, then tab20's lighter)."""
    import matplotlib

    if cluster in colours:
        return colours[cluster]
    if cluster < 0:
        return (170 / 255,) * 3
    c = cluster % 20
    return matplotlib.colormaps["tab20"](2 * (c % 10) + c // 10)[:3]


def write_report(result: Result, path: Path, view_state: dict | None = None) -> None:
    """Write the report of ``result`` as one HTML file at ``path`` (atomically)."""
    page = build_report(result, view_state)
    with atomic_write(Path(path)) as handle:
        handle.write(page)


def build_report(result: Result, view_state: dict | None = None) -> str:
    """The report's HTML text (see :func:`write_report`)."""
    labels, names, colours, threshold = _view(result, view_state)
    colour = lambda c: colour_of(c, colours)  # noqa: E731
    title = f"DataMining6 report: {len(labels)} {result.modality} items"
    parts = [
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{text(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{text(title)}</h1>",
        _summary(result, labels),
        "<h2 id='map'>Map</h2>",
        image(map_png(result, (1000, 750), labels, names, colour), "map of the items coloured by cluster"),
        _metrics(result, labels, threshold),
        _choice_of_k(result, labels),
        "<h2 id='clusters'>Clusters</h2>",
    ]
    for cluster in _clusters(labels):
        parts.append(_cluster(result, labels, cluster, cluster_name(cluster, names), colour(cluster)))
    parts += [_outliers(result, threshold), _problems(result), "</body></html>\n"]
    return "\n".join(p for p in parts if p)


def write_clusters_csv(result: Result, path: Path, view_state: dict | None = None) -> None:
    """One row per cluster: id, name, size, share, most common known labels, outliers, examples."""
    labels, names, _, threshold = _view(result, view_state)
    items = result.analysed.items
    flags = None if result.anomaly is None or threshold is None else result.anomaly.scores > threshold
    with atomic_write(Path(path)) as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(["cluster", "name", "size", "share", "known_labels", "outliers", "examples"])
        for cluster in _clusters(labels):
            members = np.flatnonzero(labels == cluster)
            writer.writerow(
                [
                    cluster,
                    cluster_name(cluster, names),
                    len(members),
                    f"{len(members) / len(labels):.4f}",
                    "; ".join(f"{lab} ({n})" for lab, n in _known(items, members).most_common(3)),
                    "" if flags is None else int(flags[members].sum()),
                    "; ".join(items[i].display_name for i in _examples(result, members)[:3]),
                ]
            )


def _clusters(labels: np.ndarray) -> list[int]:
    """Cluster ids in the order the report lists them: 0, 1, 2... and noise last."""
    return sorted(set(labels.tolist()), key=lambda c: (c < 0, c))


def _known(items: list[Any], members: np.ndarray) -> Counter:
    return Counter(items[i].label for i in members if items[i].label is not None)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{text(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{v:.4g}</td>" if isinstance(v, float) else f"<td>{text(v)}</td>" for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _summary(result: Result, labels: np.ndarray) -> str:
    spec = result.spec
    k = len(set(labels.tolist()) - {-1})
    rows = [
        ["made", time.strftime("%Y-%m-%d %H:%M")],
        ["input", ", ".join(spec.paths)],
        ["items analysed", f"{len(labels)} {result.modality}"],
        ["embedder", result.embedder],
        [
            "clustering",
            f"{spec.algorithm}, {k} clusters" + (" (k chosen automatically)" if spec.k is None else ""),
        ],
        ["outlier detector", spec.detector or "none"],
    ]
    notes = "".join(f"<li>{text(n)}</li>" for n in result.notes)
    return _table(["", ""], rows) + (f"<ul class='muted'>{notes}</ul>" if notes else "")


def _metrics(result: Result, labels: np.ndarray, threshold: float | None) -> str:
    rows = [[name, float(value)] for name, value in result.metrics.items() if value is not None]
    if result.anomaly is not None and threshold is not None:
        rows.append(["outliers at the threshold", float(np.sum(result.anomaly.scores > threshold))])
    if not np.array_equal(labels, result.labels):
        rows.append(["note", "clusters as cut in the window; metrics are those of the run"])
    return "<h2 id='metrics'>Metrics</h2>" + _table(["metric", "value"], rows)


def _choice_of_k(result: Result, labels: np.ndarray) -> str:
    clustering = result.clustering
    k = len(set(labels.tolist()) - {-1})
    pictures = []
    if clustering.curve is not None:
        pictures.append(image(figures.k_curve_plot(clustering.curve), "how k was chosen"))
    if clustering.tree is not None:
        pictures.append(image(figures.dendrogram_plot(clustering.tree, k), f"dendrogram cut at k = {k}"))
    if clustering.info.get("k_distance"):
        pictures.append(image(figures.k_distance_plot(clustering.info["k_distance"]), "k-distance curve"))
    return "<h2 id='k'>How the clusters were found</h2>" + "".join(pictures) if pictures else ""


def _examples(result: Result, members: np.ndarray) -> np.ndarray:
    """The members nearest the cluster's centre, nearest first: its most typical items."""
    vectors = result.embeddings[members]
    distance = np.linalg.norm(vectors - vectors.mean(axis=0), axis=1)
    return members[np.argsort(distance, kind="stable")[:EXAMPLES]]


def _cluster(result: Result, labels: np.ndarray, cluster: int, name: str, colour: Any) -> str:
    members = np.flatnonzero(labels == cluster)
    items = result.analysed.items
    rgb = "#" + "".join(f"{int(round(c * 255)):02x}" for c in colour[:3])
    share = 100 * len(members) / max(1, len(labels))
    parts = [
        f"<section class='cluster' id='cluster-{cluster}'>",
        f"<h3><span class='swatch' style='background:{rgb}'></span>{text(name)}</h3>",
        f"<p>{len(members)} items ({share:.1f}%)</p>",
    ]
    known = _known(items, members)
    if known:
        top = ", ".join(f"{text(lab)} ({n})" for lab, n in known.most_common(5))
        parts.append(f"<p>Known labels: {top}</p>")
    examples = _examples(result, members)
    parts.append(_modality_examples(result, members, examples, colour))
    listed = ", ".join(text(items[i].display_name) for i in examples)
    parts.append(f"<p class='muted'>Examples: {listed}</p></section>")
    return "\n".join(p for p in parts if p)


def _modality_examples(result: Result, members: np.ndarray, examples: np.ndarray, colour: Any) -> str:
    items = [result.analysed.items[i] for i in examples]
    modality = result.modality
    if modality == "image":
        return _pictures(figures.thumbnail, items)
    if modality == "audio":
        return _pictures(figures.spectrogram, items[:3])
    if modality == "text":
        return "".join(_snippet(item.path) for item in items[:3])
    if modality == "timeseries":
        series = result.analysed.series
        chosen = [series[item.id] for item in items if item.id in series]
        return (
            image(figures.series_plot(chosen, colour), "example series over the cluster mean")
            if chosen
            else ""
        )
    if modality == "table":
        return _mean_row(result, members)
    return ""


def _pictures(draw: Any, items: list[Any]) -> str:
    shown = "".join(image(draw(item.path), item.display_name) for item in items)
    return (
        f"<div class='examples'>{shown}</div>"
        if shown
        else "<p class='muted'>The example files cannot be read now.</p>"
    )


def _snippet(path: Path, lines: int = 4) -> str:
    from engine.ingest.documents import read_document
    from engine.items import ItemError

    try:
        content = read_document(path, max_chars=600)
    except (ItemError, OSError):
        return ""
    first = "\n".join(line for line in content.splitlines() if line.strip())
    first = "\n".join(first.splitlines()[:lines])
    return f"<div class='snippet' title='{text(Path(path).name)}'>{text(first)}</div>"


def _mean_row(result: Result, members: np.ndarray) -> str:
    """The cluster's mean of every feature beside the overall mean, most distinctive features first."""
    table = result.analysed.table_features
    names = result.analysed.feature_names
    if table is None or not names or len(table) != len(result.analysed.items):
        return ""
    values = np.asarray(table, dtype=np.float64)
    overall, spread = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    mean = np.nanmean(values[members], axis=0)
    z = np.where(spread > 0, (mean - overall) / np.where(spread > 0, spread, 1), 0.0)
    order = np.argsort(-np.abs(z), kind="stable")[:12]
    rows = [[names[j], float(mean[j]), float(overall[j]), float(z[j])] for j in order]
    return _table(["feature", "cluster mean", "overall mean", "difference (sd)"], rows)


def _outliers(result: Result, threshold: float | None) -> str:
    if result.anomaly is None or threshold is None:
        return ""
    scores = result.anomaly.scores
    top = [i for i in np.argsort(-scores, kind="stable")[:20] if scores[i] > threshold]
    rows = [
        [result.analysed.items[i].display_name, str(result.analysed.items[i].path), float(scores[i])]
        for i in top
    ]
    head = f"<h2 id='outliers'>Outliers ({result.anomaly.detector}, threshold {threshold:.4g})</h2>"
    return head + (
        _table(["item", "path", "score"], rows) if rows else "<p>No item scores above the threshold.</p>"
    )


def _problems(result: Result) -> str:
    problems = result.problems
    head = f"<h2 id='problems'>Problems ({len(problems)})</h2>"
    if not problems:
        return head + "<p>Every file was read.</p>"
    rows = [[str(p.path), p.stage, p.severity, p.message] for p in problems[:MAX_PROBLEMS]]
    more = (
        f"<p class='muted'>and {len(problems) - MAX_PROBLEMS} more</p>"
        if len(problems) > MAX_PROBLEMS
        else ""
    )
    return head + _table(["file", "stage", "severity", "message"], rows) + more
