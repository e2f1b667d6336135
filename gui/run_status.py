"""The status bar's part of a run: the stage in words with its rate and time left, a progress bar,
Run and Cancel, the selection count and the settings not run yet.

The window decides what happens (run, cancel, revert); this widget set only shows it, so that the
window's file holds the flow and not the wording.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from engine import progress
from engine.items import plural

if TYPE_CHECKING:
    from collections.abc import Sequence

    from engine.pipeline import Result

CHOSEN_CHARS = 60
"""The chosen clusters' names in the status bar are cut to this many characters."""

STAGE_NAMES: dict[str, str] = {
    progress.INGEST: "Reading files",
    progress.LOAD_MODEL: "Loading model",
    progress.EMBED: "Embedding",
    progress.FEATURES: "Computing features",
    progress.ALIGN: "Aligning clips",
    progress.REDUCE: "Reducing dimensions",
    progress.CHOOSE_K: "Choosing k",
    progress.KMEANS: "Clustering (K-Means)",
    progress.LINKAGE: "Building the tree",
    progress.DIVISIVE: "Splitting clusters",
    progress.MIXTURE_PREPARE: "Preparing the mixture",
    progress.MIXTURE_FIT: "Fitting the mixture",
    progress.PYCARET_SETUP: "Setting up PyCaret",
    progress.K_DISTANCE: "k-distance curve",
    progress.MEMORY_CHECK: "Checking DBSCAN's memory",
    progress.DBSCAN: "Clustering (DBSCAN)",
    progress.HDBSCAN: "Clustering (HDBSCAN)",
    progress.LAYOUT: "Drawing the map",
    progress.ANOMALY: "Scoring outliers",
    progress.NAME: "Naming clusters",
    progress.METRICS: "Measuring cluster quality",
    progress.DONE: "Finishing",
}
"""The status bar's words for each stage the engine reports (:data:`engine.progress.STAGES`)."""


def finished_text(result: Result) -> str:
    """ "Done: 300 table items, 3 clusters", and the kinds of items the input also holds: a folder
    of several kinds is clustered one kind at a time, and the rest must not look forgotten."""
    done = f"Done: {plural(len(result.analysed.items), f'{result.modality} item')}"
    done += f", {plural(result.n_clusters, 'cluster')}"
    others = [f"{n} {kind}" for kind, n in result.collection.kinds().items() if kind != result.modality]
    return done + (f"; also here: {', '.join(others)} (choose in Modality)" if others else "")


class RunStatus:
    """The widgets of a run in ``bar``; the window connects Run, Cancel and the pending links."""

    def __init__(self, bar: QStatusBar) -> None:
        self.stage_label = QLabel("Ready")
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running analysis (Esc)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Analyse again with the current settings (Enter)")
        self.selection_label = QLabel("")
        self.pending_label = QLabel("")
        self.pending_label.setStyleSheet("background: #fff3c4; color: #5a4500; padding: 1px 6px;")
        self.pending_label.hide()
        self.meter = progress.Meter()
        """Rate and time left of the stage shown."""
        bar.addWidget(self.stage_label, 1)
        for widget in (self.pending_label, self.selection_label, self.progress_bar):
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.run_button)
        bar.addPermanentWidget(self.cancel_button)
        self.idle("Ready")

    def started(self) -> None:
        self.meter = progress.Meter()
        self.stage_label.setText("Starting…")
        self.progress_bar.setRange(0, 0)  # busy until the first progress report
        self.cancel_button.setEnabled(True)

    def cancelling(self) -> None:
        self.stage_label.setText("Cancelling…")
        self.cancel_button.setEnabled(False)

    def progressed(self, stage: str, done: int, total: int) -> None:
        """ "Embedding (text-minilm) 320/1000 · 45/s · 15 s left", with the bar at done/total."""
        name = progress.stage_of(stage)
        text = STAGE_NAMES.get(name, name.capitalize()) + stage[len(name) :]
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
            self.progress_bar.setTextVisible(True)
            counts = self.meter.describe(stage, done, total, time.monotonic())
            text += f" {counts}" if counts else ""
        else:
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setTextVisible(False)
        self.stage_label.setText(text)

    def idle(self, text: str) -> None:
        self.stage_label.setText(text)
        self.stage_label.setToolTip("")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.cancel_button.setEnabled(False)

    def show_selected(self, count: int, chosen: Sequence[str] = ()) -> None:
        """The selection's size, else the clusters chosen in the list (which the views bring forward)."""
        if count or not chosen:
            self.selection_label.setText(f"{count} selected" if count else "")
            return
        names = ", ".join(chosen)
        names = names if len(names) <= CHOSEN_CHARS else names[: CHOSEN_CHARS - 1] + "…"
        self.selection_label.setText(f"showing {names} (Esc: all)")

    def show_pending(self, text_html: str | None) -> None:
        """Settings not run yet (with Run and Revert links), or None when the screen is up to date."""
        self.pending_label.setVisible(text_html is not None)
        if text_html is not None:
            self.pending_label.setText(text_html)
            self.pending_label.setToolTip("The map and every view show the result of the previous settings.")
