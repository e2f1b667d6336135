"""Tools › Compare embedders: every embedder of the shown items' kind, scored side by side.

Why a dialog over the command line's ``compare``: which representation suits a collection is the
question the map cannot answer by itself (digit drawings cluster at ARI 0.69 on raw pixels and 0.32
on ImageNet features). The comparison runs ``main.py compare`` in a process of its own, so the
window and its analysis stay as they are, Cancel ends it at once, and the same code serves the
command line and the window. Its progress lines ("[2/5] ts-minirocket + kmeans", then each stage)
become the dialog's progress; its table (``compare.csv``) becomes the dialog's table.
"""

from __future__ import annotations

import csv
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.items import plural

if TYPE_CHECKING:
    from engine.pipeline import Result

STEP = re.compile(r"^\[(\d+)/(\d+)\] (.+)$")
"""A line of ``compare`` that starts one combination: ``[2/5] ts-minirocket + kmeans``."""
MAIN_PY = Path(__file__).resolve().parents[1] / "main.py"


def known_classes(result: Result) -> int:
    """How many known classes the analysed items carry (sub-folders or a label column)."""
    return len({item.label for item in result.analysed.items if item.label is not None})


def compare_command(result: Result, out: Path, embedders: list[str] | None = None) -> list[str]:
    """The ``main.py compare`` call for the items of ``result``: same input, kind, method and seed.

    With fewer than two known classes ``compare`` would take k = 2; the k on screen is asked instead.
    """
    spec = result.spec
    # A bundle's executable is the app itself; from source, Python runs main.py.
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, str(MAIN_PY)]
    args = ["compare", *spec.paths, "--modality", result.modality, "--csv-kind", spec.csv_kind]
    args += ["--algorithms", spec.algorithm, "--seed", str(spec.random_state), "--device", spec.device]
    args += ["--out", str(out)]
    if spec.label_column is not None:
        args += ["--label-column", spec.label_column]
    if spec.csv_group:
        args += ["--csv-group", spec.csv_group]
    if spec.sheet:
        args += ["--sheet", spec.sheet]
    if known_classes(result) < 2 and result.n_clusters >= 2:
        args += ["--k", str(result.n_clusters)]
    if embedders:
        args += ["--embedders", ",".join(embedders)]
    return [*program, *args]


class CompareDialog(QDialog):
    """Runs the comparison on open; ``embedder_chosen(name)`` when the user picks a row to use."""

    embedder_chosen = Signal(str)

    def __init__(
        self, result: Result, parent: QWidget | None = None, embedders: list[str] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare embedders")
        self.result = result
        self._out = Path(tempfile.mkdtemp(prefix="datamining6-compare-"))
        self._errors: list[str] = []
        self._partial = ""
        self._step = ""
        """The current combination's line; stage lines are shown after it."""
        classes = known_classes(result)
        judged = (
            f"ARI and NMI against their {classes} known classes, at k = {classes}"
            if classes >= 2
            else f"silhouette only (they carry no known classes), at k = {result.n_clusters}"
        )
        intro = QLabel(
            f"Clusters the {plural(len(result.analysed.items), result.modality + ' item')} with every "
            f"embedder of their kind ({result.spec.algorithm}) and scores each by {judged}. It runs "
            "in a process of its own: the analysis in the window stays as it is."
        )
        intro.setWordWrap(True)
        self.status = QLabel("Starting…")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._update_use)
        buttons = QDialogButtonBox()
        self.use_button = QPushButton("Use this embedder")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.status, self.bar, self.table):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.resize(720, 420)

        self.process = QProcess(self)
        self.process.readyReadStandardError.connect(self._read_progress)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        program, *args = compare_command(result, self._out, embedders)
        self.process.start(program, args)

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _read_progress(self) -> None:
        text = self._partial + bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        *lines, self._partial = text.split("\n")
        for line in (raw.strip() for raw in lines):
            step = STEP.match(line)
            if step:
                done, total, what = int(step[1]) - 1, int(step[2]), step[3]
                self.bar.setRange(0, total)
                self.bar.setValue(done)
                self._step = f"{done} of {total} done; now {what}"
                self.status.setText(self._step)
            elif line.startswith("error:"):
                self._errors.append(line.removeprefix("error:").strip())
            elif line and self._step:  # a stage of the current combination
                self.status.setText(f"{self._step} · {line}")

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read_progress()
        self.close_button.setText("Close")
        table = self._out / "compare.csv"
        if code != 0 or not table.is_file():
            why = "; ".join(self._errors) or f"the comparison stopped (exit status {code})"
            self.status.setText(f"No comparison: {why}")
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            return
        with table.open(newline="", encoding="utf-8-sig") as handle:
            header, *rows = list(csv.reader(handle))
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.status.setText(
            f"{plural(len(rows), 'combination')} compared. Higher ARI and NMI mean closer to the known "
            "classes; silhouettes of different embedders measure different spaces, so compare them "
            "with care. Pick a row to use its embedder."
        )

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.status.setText(f"The comparison could not start: {self.process.errorString()}")
            self.close_button.setText("Close")

    def chosen_embedder(self) -> str | None:
        """The selected row's embedder, when it ran as itself (not a fallback) and did not fail."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self.table.columnCount() < 7:
            return None
        name = self.table.item(rows[0].row(), 0).text()
        failed = self.table.item(rows[0].row(), 6).text().startswith("failed")
        return None if failed or name.endswith("(fallback)") else name

    def _update_use(self) -> None:
        self.use_button.setEnabled(self.chosen_embedder() is not None)

    def _use(self) -> None:
        name = self.chosen_embedder()
        if name is not None:
            self.embedder_chosen.emit(name)
            self.accept()

    def done(self, result: int) -> None:
        """Every way out (Cancel, Close, Esc, a chosen row) ends the process and removes its files."""
        if self.running:
            self.process.kill()
            self.process.waitForFinished(3000)
        shutil.rmtree(self._out, ignore_errors=True)
        super().done(result)
