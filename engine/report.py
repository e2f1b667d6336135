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
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from engine import report_figures as figures
from engine import thumbnails
from engine.anomaly import score_text
from engine.atomic import atomic_write
from engine.export import escape_text, map_png
from engine.items import needing_a_look, plural, skipped_summary, worst_first
from engine.members import ColumnStats, cell_text, distinctive_columns
from engine.metrics import COUNTS, SCORES

if TYPE_CHECKING:
    from engine.pipeline import Result

EXAMPLES = 6
"""Examples shown per cluster: the members nearest its centre in the embedding space."""
MAX_PROBLEMS = 500
MEAN_SAMPLE = 2000
"""A cluster's mean series is drawn from at most this many of its members (interpolating is per series)."""
STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ddd; padding: 2px 8px; }
th { background: #f4f4f4; text-align: left; } .num { text-align: right; }
.figure img { max-width: 100%; }
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


class Shown(NamedTuple):
    """The clusters as the window showed them: labels, names, keywords, colours and threshold."""

    labels: np.ndarray
    names: dict[int, str]
    keywords: dict[int, tuple[str, ...]]
    colours: dict[int, Any]
    threshold: float | None


def shown(result: Result, view_state: dict | None) -> Shown:
    """What the report shows: the view state's labels (a moved dendrogram cut), the user's names over
    the run's default names and keywords (which apply only while the labels are the run's), colours
    and the threshold; the result's own where the view state says nothing."""
    from engine.export import cluster_names
    from engine.naming import fallback_name

    state = view_state or {}
    labels = np.asarray(result.labels)
    cut = state.get("labels")
    if cut is not None and len(cut) == len(labels) and not np.array_equal(cut, labels):
        labels = np.asarray(cut, dtype=int)
    own = np.array_equal(labels, result.labels)
    user = {int(c): str(n) for c, n in (state.get("names") or {}).items() if n}
    default = cluster_names(result) if own else {}
    names = {c: user.get(c) or default.get(c) or fallback_name(c) for c in _clusters(labels)}
    keywords = {n.cluster: tuple(n.keywords) for n in result.names} if own else {}
    colours = {int(c): tuple(v / 255 for v in rgb) for c, rgb in (state.get("colours") or {}).items()}
    threshold = state.get("threshold")
    if threshold is None and result.anomaly is not None:
        threshold = result.anomaly.threshold
    return Shown(labels, names, keywords, colours, threshold)


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
    view = shown(result, view_state)
    labels, threshold = view.labels, view.threshold
    colour = lambda c: colour_of(c, view.colours)  # noqa: E731
    title = f"DataMining6 report: {len(labels)} {result.modality} items"
    parts = [
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{text(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{text(title)}</h1>",
        _summary(result, labels),
        "<h2 id='map'>Map</h2>",
        figure(
            map_png(result, (900, 675), labels, view.names, colour), "map of the items coloured by cluster"
        ),
        _metrics(result, labels, threshold),
        _choice_of_k(result, labels),
        "<h2 id='clusters'>Clusters</h2>",
    ]
    table = result.analysed.table_features
    stats = ColumnStats.of(table) if result.modality == "table" and table is not None else None
    for cluster in _clusters(labels):
        keywords = view.keywords.get(cluster, ())
        parts.append(_cluster(result, labels, cluster, view.names[cluster], keywords, colour(cluster), stats))
    parts += [_outliers(result, threshold), _problems(result), "</body></html>\n"]
    return "\n".join(p for p in parts if p)


def _clusters(labels: np.ndarray) -> list[int]:
    """Cluster ids in the order the report lists them: 0, 1, 2... and noise last."""
    return sorted(set(labels.tolist()), key=lambda c: (c < 0, c))


def figure(png: bytes | None, alt: str) -> str:
    """A picture in its own paragraph (an image straight after a heading floats above it in Qt)."""
    return f"<p class='figure'>{image(png, alt)}</p>" if png else ""


def _table(header: list[str] | None, rows: list[list[Any]]) -> str:
    head = "<tr>" + "".join(f"<th>{text(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{cell_text(v)}</td>" if isinstance(v, float) else f"<td>{text(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


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
            f"{spec.algorithm}, {plural(k, 'cluster')}{' (k chosen automatically)' * (spec.k is None)}",
        ],
        ["outlier detector", spec.detector or "none"],
    ]
    notes = "".join(f"<li>{text(n)}</li>" for n in result.notes)
    return _table(None, rows) + (f"<ul class='muted'>{notes}</ul>" if notes else "")


def _metrics(result: Result, labels: np.ndarray, threshold: float | None) -> str:
    """The scores named and explained as in the window's Summary, the counts before them."""
    metrics = result.metrics
    rows = [[name, str(int(metrics[key])), ""] for key, name in COUNTS if metrics.get(key) is not None]
    if result.anomaly is not None and threshold is not None:
        rows.append(["Outliers at the threshold", str(int(np.sum(result.anomaly.scores > threshold))), ""])
    rows += [
        [name, f"{metrics[key]:.{digits}f}", hint]
        for key, name, hint, digits in SCORES
        if metrics.get(key) is not None
    ]
    if not np.array_equal(labels, result.labels):
        rows.append(["Note", "", "clusters as cut in the window; the scores are those of the run"])
    return "<h2 id='metrics'>Metrics</h2>" + _table(["metric", "value", "how to read it"], rows)


def _choice_of_k(result: Result, labels: np.ndarray) -> str:
    clustering = result.clustering
    k = len(set(labels.tolist()) - {-1})
    pictures = []
    if clustering.curve is not None:
        pictures.append(figure(figures.k_curve_plot(clustering.curve), "how k was chosen"))
    if clustering.tree is not None:
        pictures.append(figure(figures.dendrogram_plot(clustering.tree, k), f"dendrogram cut at k = {k}"))
    if clustering.info.get("k_distance"):
        pictures.append(figure(figures.k_distance_plot(clustering.info["k_distance"]), "k-distance curve"))
    return f"<h2 id='k'>How the clusters were found</h2>{''.join(pictures)}" if pictures else ""


def _examples(result: Result, members: np.ndarray) -> np.ndarray:
    """The members nearest the cluster's centre, nearest first: its most typical items."""
    from engine.members import typicality_order

    return typicality_order(result.embeddings, members)[:EXAMPLES]


def _cluster(
    result: Result,
    labels: np.ndarray,
    cluster: int,
    name: str,
    keywords: tuple[str, ...],
    colour: Any,
    stats: ColumnStats | None,
) -> str:
    members = np.flatnonzero(labels == cluster)
    items = result.analysed.items
    rgb = "#" + "".join(f"{int(round(c * 255)):02x}" for c in colour[:3])
    share = 100 * len(members) / max(1, len(labels))
    parts = [
        f"<div class='cluster' id='cluster-{cluster}'>",
        f"<h3><span style='color:{rgb}'>&#9632;</span> {text(name)}</h3>",
        f"<p>{plural(len(members), 'item')} ({share:.1f}%)</p>",
    ]
    if keywords:
        parts.append(f"<p>Keywords: {text(', '.join(keywords))}</p>")
    known = Counter(items[i].label for i in members if items[i].label is not None)
    if known:
        top = ", ".join(f"{text(lab)} ({n})" for lab, n in known.most_common(5))
        parts.append(f"<p>Known labels: {top}</p>")
    examples = _examples(result, members)
    parts.append(_modality_examples(result, members, examples, colour, stats))
    listed = ", ".join(text(items[i].display_name) for i in examples)
    parts.append(f"<p class='muted'>Examples: {listed}</p></div>")
    return "\n".join(p for p in parts if p)


def _modality_examples(
    result: Result, members: np.ndarray, examples: np.ndarray, colour: Any, stats: ColumnStats | None
) -> str:
    items = [result.analysed.items[i] for i in examples]
    modality = result.modality
    if modality == "image":
        return _pictures(thumbnails.image_thumbnail, items)
    if modality == "audio":
        return _pictures(thumbnails.audio_thumbnail, items[:3])
    if modality == "text":
        return "".join(_snippet(item.path) for item in items[:3])
    if modality == "timeseries":
        series, ids = result.analysed.series, [result.analysed.items[i].id for i in members[:MEAN_SAMPLE]]
        chosen = [series[item.id] for item in items if item.id in series]
        everyone = [series[i] for i in ids if i in series]
        return figure(
            figures.series_plot(chosen, everyone, colour) if chosen else None,
            "examples over the cluster mean",
        )
    if modality == "table" and stats is not None:
        return _mean_row(result, members, stats)
    return ""


def _pictures(draw: Any, items: list[Any]) -> str:
    shown = "".join(image(figures.picture_png(draw, item.path), item.display_name) for item in items)
    if not shown:
        return "<p class='muted'>The example files cannot be read now.</p>"
    return f"<div class='examples'>{shown}</div>"


def _snippet(path: Path) -> str:
    from engine.items import ItemError

    try:
        title, rest = thumbnails.document_snippet(path, chars=300)
    except (ItemError, OSError):
        return ""
    return f"<div class='snippet' title='{text(Path(path).name)}'><b>{text(title)}</b>\n{text(rest)}</div>"


def _mean_row(result: Result, members: np.ndarray, stats: ColumnStats) -> str:
    """The cluster's mean of every feature beside the overall mean, most distinctive features first
    (``stats``: made once for the report, not once per cluster)."""
    table = result.analysed.table_features
    names = result.analysed.feature_names
    if table is None or not names or len(table) != len(result.analysed.items):
        return ""
    mean = np.nanmean(np.asarray(table)[members], axis=0, dtype=np.float64)
    order, z = distinctive_columns(stats, table, members)
    rows = [[names[j], float(mean[j]), float(stats.mean[j]), float(z[j])] for j in order[:12]]
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
    spread = float(np.ptp(scores))
    rows = [[*row[:2], score_text(row[2], spread)] for row in rows]
    shown = score_text(threshold, spread)
    head = f"<h2 id='outliers'>Outliers ({result.anomaly.detector}, threshold {shown})</h2>"
    return head + (
        _table(["item", "path", "score"], rows) if rows else "<p>No item scores above the threshold.</p>"
    )


def _problems(result: Result) -> str:
    """The problems that need a look, worst first; files of kinds not read in one line after them."""
    problems = needing_a_look(worst_first(result.problems))
    skipped = skipped_summary(result.problems)
    head = f"<h2 id='problems'>Problems ({len(problems)})</h2>"
    tail = f"<p class='muted'>Skipped: {text(skipped)}.</p>" if skipped else ""
    if not problems:
        return head + ("<p>Every file was read.</p>" if not skipped else "") + tail
    rows = [[str(p.path), p.stage, p.severity, p.message] for p in problems[:MAX_PROBLEMS]]
    more = (
        f"<p class='muted'>and {len(problems) - MAX_PROBLEMS} more</p>"
        if len(problems) > MAX_PROBLEMS
        else ""
    )
    return head + _table(["file", "stage", "severity", "message"], rows) + more + tail
