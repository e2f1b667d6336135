"""The list of files (or parts of files) that could not be used, so a user sees what was left out.

Worst first: errors, then warnings, then files of kinds not read, each in the order found (a
dropped project folder's hundreds of other files would otherwise hide the one cut CSV). A click on
a header sorts by that column instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from engine.items import Problem, needing_a_look, plural, worst_first

COLUMNS = ("File", "Stage", "Severity", "Message")
_SEVERITY_COLOURS = {
    "error": QColor(190, 30, 30),
    "warning": QColor(170, 110, 0),
    "skipped": QColor(120, 120, 120),
}


class ProblemsView(QTableWidget):
    """A sortable table of ``Problem`` rows: file, stage, severity, message. Double-click (or Enter)
    on a row opens the folder that holds its file, to look at or fix it there."""

    count_changed = Signal(int)
    """How many problems need a look (errors and warnings; skipped files are not counted)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.itemActivated.connect(self._show_folder)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # worst first until a header is clicked
        self._problems: list[Problem] = []

    def set_problems(self, problems: Sequence[Problem]) -> None:
        """Show these problems (replacing what was shown)."""
        self._problems = worst_first(problems)
        self.setSortingEnabled(False)  # sorting while filling scrambles rows
        self.setRowCount(len(self._problems))
        for row, problem in enumerate(self._problems):
            path = Path(problem.path)
            cells = (path.name or str(path), problem.stage, problem.severity, problem.message)
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(str(text))
                cell.setToolTip(f"{path}\n(double-click: open its folder)" if col == 0 else str(text))
                if col == 2 and problem.severity in _SEVERITY_COLOURS:
                    cell.setForeground(_SEVERITY_COLOURS[problem.severity])
                if col == 0:
                    cell.setData(Qt.ItemDataRole.UserRole, str(path))
                self.setItem(row, col, cell)
        self.setSortingEnabled(True)
        self.count_changed.emit(self.problem_count())

    def folder_of(self, row: int) -> Path:
        """The folder to show for a row: the problem's folder itself, else the folder holding its
        file, else (a path that is gone) the nearest folder above it that exists."""
        path = Path(self.item(row, 0).data(Qt.ItemDataRole.UserRole))
        folder = path if path.is_dir() else path.parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        return folder

    def _show_folder(self, item: QTableWidgetItem) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder_of(item.row()))))

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def problem_count(self) -> int:
        """How many listed problems need a look (all but the skipped files)."""
        return len(needing_a_look(self._problems))

    def title(self) -> str:
        """The dock's title: "Problems (2)", or "Problems (2, 706 files skipped)"."""
        skipped = len(self._problems) - self.problem_count()
        more = f", {plural(skipped, 'file')} skipped" if skipped else ""
        return f"Problems ({self.problem_count()}{more})"

    def row_texts(self) -> list[tuple[str, ...]]:
        """The table as displayed (after any sorting), one tuple of cell texts per row."""
        return [
            tuple(self.item(r, c).text() for c in range(self.columnCount())) for r in range(self.rowCount())
        ]
