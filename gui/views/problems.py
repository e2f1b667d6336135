"""The list of files (or parts of files) that could not be used, so a user sees what was left out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from engine.items import Problem

COLUMNS = ("File", "Stage", "Severity", "Message")
_SEVERITY_COLOURS = {"error": QColor(190, 30, 30), "warning": QColor(170, 110, 0)}


class ProblemsView(QTableWidget):
    """A sortable table of ``Problem`` rows: file, stage, severity, message."""

    count_changed = Signal(int)

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
        self._problems: list[Problem] = []

    def set_problems(self, problems: Sequence[Problem]) -> None:
        """Show these problems (replacing what was shown)."""
        self._problems = list(problems)
        self.setSortingEnabled(False)  # sorting while filling scrambles rows
        self.setRowCount(len(self._problems))
        for row, problem in enumerate(self._problems):
            path = Path(problem.path)
            cells = (path.name or str(path), problem.stage, problem.severity, problem.message)
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(str(text))
                cell.setToolTip(str(path) if col == 0 else str(text))
                if col == 2 and problem.severity in _SEVERITY_COLOURS:
                    cell.setForeground(_SEVERITY_COLOURS[problem.severity])
                if col == 0:
                    cell.setData(Qt.ItemDataRole.UserRole, str(path))
                self.setItem(row, col, cell)
        self.setSortingEnabled(True)
        self.count_changed.emit(len(self._problems))

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def problem_count(self) -> int:
        """How many problems are listed."""
        return len(self._problems)

    def row_texts(self) -> list[tuple[str, ...]]:
        """The table as displayed (after any sorting), one tuple of cell texts per row."""
        return [
            tuple(self.item(r, c).text() for c in range(self.columnCount())) for r in range(self.rowCount())
        ]
