"""Tools › Compare embedders and Compare methods: every embedder of the shown items' kind, or every
clustering method on their vectors, scored side by side.

Why a dialog over the command line's ``compare``: which representation and which method suit a
collection are questions the map cannot answer by itself (digit drawings cluster at ARI 0.69 on raw
pixels and 0.32 on ImageNet features; two interleaved crescents need a density method). The
comparison runs ``main.py compare`` in a process of its own, so the window and its analysis stay as
they are, Cancel ends it at once, and the same code serves the command line and the window. Its
progress lines ("[2/5] ts-minirocket + kmeans", then each stage) become the dialog's progress; its
table (``compare.csv``) becomes the dialog's table.
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

from engine import catalogue
from engine.items import plural

if TYPE_CHECKING:
    from engine.pipeline import Result

STEP = re.compile(r"^\[(\d+)/(\d+)\] (.+)$")
"""A line of ``compare`` that starts one combination: ``[2/5] ts-minirocket + kmeans``."""
MAIN_PY = Path(__file__).resolve().parents[1] / "main.py"


def known_classes(result: Result) -> int:
    """How many known classes the analysed items carry (sub-folders or a label column)."""
    return len({item.label for item in result.analysed.items if item.label is not None})


def compared_k(result: Result) -> int:
    """The k every method that takes one is compared at: the known classes, else the k on screen."""
    classes = known_classes(result)
    return classes if classes >= 2 else max(2, result.n_clusters)


def compare_command(
    result: Result, out: Path, embedders: list[str] | None = None, algorithms: list[str] | None = None
) -> list[str]:
    """The ``main.py compare`` call for the items of ``result``: same input, kind and seed; the shown
    method unless ``algorithms`` are named, every embedder of the kind unless ``embedders`` are.

    With fewer than two known classes ``compare`` would take k = 2; the k on screen is asked instead.
    """
    spec = result.spec
    # A bundle's executable is the app itself; from source, Python runs main.py.
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, str(MAIN_PY)]
    args = ["compare", *spec.paths, "--modality", result.modality, "--csv-kind", spec.csv_kind]
    args += ["--algorithms", ",".join(algorithms or [spec.algorithm])]
    args += ["--seed", str(spec.random_state), "--device", spec.device]
    args += ["--out", str(out)]
    if spec.label_column is not None:
        args += ["--label-column", spec.label_column]
    if spec.csv_group:
        args += ["--csv-group", spec.csv_group]
    if spec.sheet:
        args += ["--sheet", spec.sheet]
    if known_classes(result) < 2:
        args += ["--k", str(compared_k(result))]
    if embedders:
        args += ["--embedders", ",".join(embedders)]
    return [*program, *args]


COMPARED = {"embedder": ("embedder", 0), "algorithm": ("method", 1)}
"""What a dialog can compare (a Spec field): its name for people, and its column in the table."""


class CompareDialog(QDialog):
    """Runs the comparison on open; ``settings_chosen(changes)`` when the user picks a row to use: the
    row's embedder or method, and its k when the analysis on screen has another."""

    settings_chosen = Signal(dict)

    def __init__(
        self,
        result: Result,
        parent: QWidget | None = None,
        names: list[str] | None = None,
        field: str = "embedder",
    ) -> None:
        super().__init__(parent)
        self.noun, self._column = COMPARED[field]
        self.field = field
        self.setWindowTitle(f"Compare {self.noun}s")
        self.result = result
        self._out = Path(tempfile.mkdtemp(prefix="datamining6-compare-"))
        self._errors: list[str] = []
        self._partial = ""
        self._step = ""
        """The current combination's line; stage lines are shown after it."""
        self._classes = classes = known_classes(result)
        judged = (
            f"ARI and NMI against their {classes} known classes"
            if classes >= 2
            else "silhouette only (they carry no known classes)"
        )
        items = plural(len(result.analysed.items), result.modality + " item")
        if field == "embedder":
            command = compare_command(result, self._out, embedders=names)
            what = f"Clusters the {items} with every embedder of their kind ({result.spec.algorithm})"
        else:
            command = compare_command(
                result, self._out, [result.embedder], names or list(catalogue.names(catalogue.ALGORITHMS))
            )
            what = (
                f"Clusters the {items} with every method, each with its default settings, on the same "
                f"vectors ({result.embedder}; DBSCAN and HDBSCAN find k themselves)"
            )
        self.intro = QLabel(
            f"{what} and scores each by {judged}, at k = {compared_k(result)}. It runs in a process of "
            "its own: the analysis in the window stays as it is."
        )
        self.intro.setWordWrap(True)
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
        self.use_button = QPushButton()
        self._update_use()
        self.use_button.clicked.connect(self._use)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.status, self.bar, self.table):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.resize(720, 420)

        self.process = QProcess(self)
        self.process.readyReadStandardError.connect(self._read_progress)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        program, *args = command
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
        if self._classes >= 2:
            self._mark_best(header.index("ARI"))
        self.table.resizeColumnsToContents()
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        spaces = (
            "silhouettes of different embedders measure different spaces, so compare them with care"
            if self.field == "embedder"
            else "every method clustered the same vectors, so their silhouettes compare directly too"
        )
        self.status.setText(
            f"{plural(len(rows), 'combination')} compared. Higher ARI and NMI mean closer to the known "
            f"classes; {spaces}. Pick a row to use its {self.noun}."
        )

    def _mark_best(self, column: int) -> None:
        """Bold the row with the best ARI. Silhouettes are not ranked: those of different embedders
        measure different spaces, and DBSCAN's and HDBSCAN's leave their noise out, which flatters them."""
        scores = {r: self.table.item(r, column).text() for r in range(self.table.rowCount())}
        scored = {r: float(text) for r, text in scores.items() if text}
        if not scored:
            return
        best = max(scored, key=scored.get)
        for c in range(self.table.columnCount()):
            cell = self.table.item(best, c)
            font = cell.font()
            font.setBold(True)
            cell.setFont(font)
        self.table.item(best, column).setToolTip("the best ARI")

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.status.setText(f"The comparison could not start: {self.process.errorString()}")
            self.close_button.setText("Close")

    def chosen_settings(self) -> dict[str, object] | None:
        """The selected row as settings: its embedder or method, when it ran as itself (not a
        fallback) and did not fail, and its k when the method takes one and the window shows another
        (the row's scores are for that k)."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self.table.columnCount() < 7:
            return None
        row = [self.table.item(rows[0].row(), c).text() for c in range(7)]
        name, algorithm, k = row[self._column], row[1], row[2]
        if row[6].startswith("failed") or name.endswith("(fallback)"):
            return None
        changes: dict[str, object] = {self.field: name}
        takes_k = any(p.name == "k" for p in catalogue.method_parameters(algorithm))
        if takes_k and k.isdigit() and int(k) != self.result.spec.k:
            changes["k"] = int(k)
        return changes

    def _update_use(self) -> None:
        changes = self.chosen_settings()
        self.use_button.setEnabled(changes is not None)
        at_k = f" at k = {changes['k']}" if changes and "k" in changes else ""
        self.use_button.setText(f"Use this {self.noun}{at_k}")

    def _use(self) -> None:
        changes = self.chosen_settings()
        if changes is not None:
            self.settings_chosen.emit(changes)
            self.accept()

    def done(self, result: int) -> None:
        """Every way out (Cancel, Close, Esc, a chosen row) ends the process and removes its files."""
        if self.running:
            self.process.kill()
            self.process.waitForFinished(3000)
        shutil.rmtree(self._out, ignore_errors=True)
        super().done(result)
