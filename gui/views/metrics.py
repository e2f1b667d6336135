"""A plain summary of one run: what was analysed, notes from ingest, quality scores and timings."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTextBrowser, QWidget

from engine.metrics import COUNTS, SCORES

if TYPE_CHECKING:
    from engine.pipeline import Result


class MetricsView(QTextBrowser):
    """Read-only rich text; rebuilt whole on each result (it is small)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAcceptDrops(False)  # drops belong to the window
        self.set_result(None)

    def set_result(self, result: Result | None) -> None:
        """Show a result's summary, or a short hint when there is none yet."""
        if result is None:
            self.setHtml("<p style='color:#777'>No analysis yet.</p>")
            return
        self.setHtml(summary_html(result))


def summary_html(result: Result) -> str:
    """The summary as HTML (kept separate from the widget so it is easy to test and export)."""
    esc = html.escape
    parts = [
        f"<p><b>{len(result.analysed.items)}</b> {esc(result.modality)} items, "
        f"embedded with <b>{esc(result.embedder)}</b>.</p>"
    ]
    notes = list(result.notes)
    if notes:
        parts.append("<p><b>Notes</b></p><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    rows = []
    metrics = result.metrics or {}
    for key, name in COUNTS:
        if key in metrics:
            rows.append(f"<tr><td>{name}</td><td align='right'>{int(metrics[key])}</td><td></td></tr>")
    for key, name, hint, digits in SCORES:
        if key in metrics and metrics[key] is not None:
            rows.append(
                f"<tr><td>{name}</td><td align='right'>{metrics[key]:.{digits}f}</td>"
                f"<td style='color:#777'>&nbsp;{hint}</td></tr>"
            )
    if rows:
        parts.append("<p><b>Scores</b></p><table cellspacing='2'>" + "".join(rows) + "</table>")
    timings = result.timings or {}
    if timings:
        cells = "".join(
            f"<tr><td>{esc(stage)}</td><td align='right'>{seconds:.2f} s</td></tr>"
            for stage, seconds in timings.items()
        )
        parts.append("<p><b>Time</b> (stages run this time)</p><table cellspacing='2'>" + cells + "</table>")
    return "\n".join(parts)
