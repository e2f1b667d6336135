"""The Export menu: assignments as CSV, each cluster's files in a folder, and the HTML report.

Exports only write where the user points them; the analysed files are only read (copied or
linked, never moved). They run off the GUI thread (copying thousands of files or drawing the
report's figures takes seconds); the status bar says when each one is done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from gui.background import Background, attempt

if TYPE_CHECKING:
    from gui.main_window import MainWindow


def cluster_names(window: MainWindow) -> dict[int, str]:
    """Every shown cluster's name as the window shows it (the user's, else ``cluster N``)."""
    state = window.view_state
    return {int(c): state.name_of(int(c)) for c in set(state.labels.tolist())}


class ExportActions(QObject):
    """Builds the Export menu's actions and runs each export in the background."""

    finished = Signal(str, str)
    """An export ended: what the status bar says, and the error ("" when it worked)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._background = Background(self, name="export")
        self._background.done.connect(self._ended)
        self._pending: dict[int, tuple[str, Callable[[], None] | None]] = {}

        self.csv_action = QAction("&Assignments as CSV…", window, shortcut="Ctrl+E")
        self.csv_action.setToolTip(
            "Every item's cluster, cluster name, map position, scores and known class."
        )
        self.csv_action.triggered.connect(self.ask_assignments)
        self.files_action = QAction("Cluster &files into folders…", window)
        self.files_action.setToolTip("One folder per cluster, named after it, holding copies of its files.")
        self.files_action.triggered.connect(self.ask_cluster_files)
        self.report_action = QAction("HTML &report…", window, shortcut="Ctrl+Shift+E")
        self.report_action.setToolTip("One self-contained HTML file: map, metrics, every cluster, problems.")
        self.report_action.triggered.connect(self.ask_report)
        self.selection_only = QAction("Selected items only", window, checkable=True)
        self.selection_only.setToolTip("CSV and cluster folders hold only the items selected on the map.")
        self.link_files = QAction("Link files instead of copying", window, checkable=True)
        self.link_files.setToolTip("Symbolic links where the system allows them (copies elsewhere).")
        self.plots_hint = QAction("Plots: right-click one for PNG or SVG", window, enabled=False)
        window.result_shown.connect(lambda _: self._update())
        window.view_state.reset.connect(self._update)
        window.view_state.selection_changed.connect(lambda *_: self._update())
        self._update()

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions([self.csv_action, self.files_action, self.report_action])
        menu.addSeparator()
        menu.addActions([self.selection_only, self.link_files])
        menu.addSeparator()
        menu.addAction(self.plots_hint)

    def _update(self) -> None:
        has_result = self.window.result is not None
        for action in (self.csv_action, self.files_action, self.report_action):
            action.setEnabled(has_result)
        selected = len(self.window.view_state.selected)
        self.selection_only.setEnabled(selected > 0)
        self.selection_only.setText(
            f"Selected items only ({selected})" if selected else "Selected items only"
        )

    def rows(self) -> list[int] | None:
        """The selection when *Selected items only* is on and something is selected, else None (all)."""
        selected = self.window.view_state.selected
        return selected.tolist() if self.selection_only.isChecked() and len(selected) else None

    # ---- the exports ------------------------------------------------------------------------------
    def ask_assignments(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.window, "Export assignments", str(self._start("clusters.csv")), "CSV file (*.csv)"
        )
        if chosen:
            self.assignments(Path(chosen))

    def assignments(self, path: Path) -> int:
        """Write the CSV off the GUI thread; returns the request number."""
        from engine.export import write_assignments

        result, rows, names = self.window.result, self.rows(), cluster_names(self.window)
        count = len(result.analysed.items) if rows is None else len(rows)
        return self._run(
            f"Exported {count} items to {path.name}", None, write_assignments, result, path, rows, names
        )

    def ask_cluster_files(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Copy each cluster's files into", str(self._start(""))
        )
        if folder:
            self.cluster_files(Path(folder))

    def cluster_files(self, folder: Path) -> int:
        from engine.export import copy_cluster_files

        inputs = [Path(p).resolve() for p in self.window.result.spec.paths]
        if any(folder.resolve() == p or p in folder.resolve().parents for p in inputs):
            QMessageBox.warning(
                self.window,
                "Export",
                "Choose a folder outside the analysed folders: exports never write there.",
            )
            return 0
        verb = "Linked" if self.link_files.isChecked() else "Copied"
        return self._run(
            f"{verb} {{}} files into {folder}",
            None,
            copy_cluster_files,
            self.window.result,
            folder,
            cluster_names(self.window),
            self.link_files.isChecked(),
            self.rows(),
        )

    def ask_report(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.window, "Export report", str(self._start("report.html")), "HTML file (*.html)"
        )
        if chosen:
            self.report(Path(chosen))

    def report(self, path: Path) -> int:
        from engine.report import write_report

        return self._run(
            f"Report written to {path.name}",
            lambda: self._offer_to_open(path),
            write_report,
            self.window.result,
            path,
            self.window.view_state.to_dict(),
        )

    def _offer_to_open(self, path: Path) -> None:
        answer = QMessageBox.question(self.window, "Report", f"{path.name} is ready. Open it in the browser?")
        if answer == QMessageBox.StandardButton.Yes:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # ---- running ----------------------------------------------------------------------------------
    def _start(self, name: str) -> Path:
        """Where a dialog starts: beside the open project, else the home folder."""
        project = self.window.project.path
        return (project.parent if project is not None else Path.home()) / name

    def _run(self, done: str, then: Callable[[], None] | None, fn: Callable[..., Any], *args: Any) -> int:
        """Run ``fn(*args)`` off the GUI thread; ``done`` (``{}``: its value) goes to the status bar."""
        self.window.statusBar().showMessage("Exporting…")
        request = self._background.submit(attempt, fn, (OSError, ValueError), *args)
        self._pending[request] = (done, then)
        return request

    @Slot(int, object, str)
    def _ended(self, request: int, answer: tuple[Any, str] | None, unexpected: str) -> None:
        done, then = self._pending.pop(request, ("", None))
        value, error = answer if answer is not None else (None, unexpected)
        if error:
            self.window.statusBar().clearMessage()
            QMessageBox.critical(self.window, "Export", f"The export failed: {error}")
            self.finished.emit("", error)
            return
        self.window.statusBar().showMessage(done.format(value), 8000)
        self.finished.emit(done.format(value), "")
        if then is not None:
            then()
