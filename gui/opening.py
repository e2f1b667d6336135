"""How input reaches the window: folders and files dropped on it, File › Open dialogs (starting in
the last folder opened), and a project file among them, which opens as it was saved.

A mixin of :class:`gui.main_window.MainWindow`, which holds the widgets it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from gui.project import SUFFIX as PROJECT_SUFFIX

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QLabel

    from gui.project import ProjectController
    from gui.settings_panel import SettingsPanel


class OpeningInput:
    """Drops and open dialogs (see the module docstring)."""

    settings: QSettings | None
    settings_panel: SettingsPanel
    project: ProjectController
    drop_hint: QLabel
    run_now: Callable[[], None]

    def open_paths(self, paths: Iterable[str | Path]) -> None:
        """Analyse these folders/files (replacing the input) with the current settings; a project
        file among them is opened instead: nothing is read or embedded again."""
        paths = [str(Path(p)) for p in paths]
        if not paths:
            return
        projects = [p for p in paths if Path(p).suffix.lower() == PROJECT_SUFFIX and Path(p).is_file()]
        if projects:  # a saved project (dropped, or on the command line) opens as it was saved
            self.project.open(Path(projects[0]))
            return
        # A new input has its own modalities and columns: keep how to cluster, re-detect the rest.
        # The embedder follows the modality found (see _use_remembered_embedder).
        fresh = {"modality": None, "label_column": None, "embedder": None, "edits": ()}  # hand edits too
        self.settings_panel.set_spec(self.settings_panel.spec.replace(paths=paths, **fresh))
        self.project.input_changed()
        self.run_now()

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder", self._last_dir())
        if folder:
            self._remember_dir(folder)
            self.open_paths([folder])

    def _ask_files(self) -> None:
        from engine.ingest.filetypes import dialog_filter  # here: engine.ingest brings pandas

        files, _ = QFileDialog.getOpenFileNames(self, "Open files", self._last_dir(), dialog_filter())
        if files:
            self._remember_dir(str(Path(files[0]).parent))
            self.open_paths(files)

    def _last_dir(self) -> str:
        value = self.settings.value("last_dir", "") if self.settings is not None else ""
        return str(value or Path.home())

    def _remember_dir(self, folder: str) -> None:
        if self.settings is not None:
            self.settings.setValue("last_dir", folder)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._mark_dragging(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 (Qt override)
        self._mark_dragging(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        self._mark_dragging(False)
        paths = _local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    def _mark_dragging(self, dragging: bool) -> None:
        # The style sheet highlights the drop zone through this property; re-polish to apply it.
        self.drop_hint.setProperty("dragging", dragging)
        self.drop_hint.style().unpolish(self.drop_hint)
        self.drop_hint.style().polish(self.drop_hint)


def _local_paths(mime: object) -> list[str]:
    """Local file and folder paths carried by drag-and-drop data."""
    if mime is None or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]
