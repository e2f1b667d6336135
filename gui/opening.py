"""How input reaches the window: folders and files dropped on it, File › Open dialogs (starting in
the last folder opened), a project file among them, which opens as it was saved, and the start
page: the empty window's links to recent projects, recent inputs and the demo.

A mixin of :class:`gui.main_window.MainWindow`, which holds the widgets it uses.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from engine.items import plural
from engine.resources import resource_path
from gui.project import SUFFIX as PROJECT_SUFFIX
from gui.recent import RecentInputs, start_page

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QLabel

    from engine.pipeline import Result
    from gui.project import ProjectController
    from gui.settings_panel import SettingsPanel


DROP_HINT = (
    "<p style='font-size:15pt'>Drop folders or files here</p>"
    "<p>Tables and time series (CSV or spreadsheets), documents, images or audio.<br>"
    "Or use <b>File › Open folder…</b>. New here? <b>Help › Quick guide</b> (F1)</p>"
)


def demo_folder() -> Path:
    """The small demo collection opened on first start, and from the start page."""
    return resource_path("demo")


class OpeningInput:
    """Drops, open dialogs and the start page (see the module docstring)."""

    settings: QSettings | None
    settings_panel: SettingsPanel
    project: ProjectController
    drop_hint: QLabel
    run_now: Callable[[], None]
    recent_inputs: RecentInputs

    def show_start_page(self, failure: str = "") -> None:
        """The drop hint, ``failure`` (why the last input gave nothing) and links to recent work."""
        self._start_links = (self.project.recent.paths(), self.recent_inputs.inputs())
        error = f"<p style='color:#b22'>{html.escape(failure)}</p>" if failure else ""
        links = start_page(*self._start_links, demo=demo_folder().is_dir())
        self.drop_hint.setText(DROP_HINT + error + links)

    def open_start_link(self, href: str) -> None:
        """Open what a start-page link names: ``project:N``, ``input:N`` or ``demo``."""
        kind, _, index = href.partition(":")
        projects, inputs = self._start_links
        if kind == "project":
            self.project.open(projects[int(index)])
        elif kind == "input":
            self.open_paths(inputs[int(index)].paths)
        elif kind == "demo":
            self.open_paths([demo_folder()])

    def remember_input(self, result: Result) -> None:
        """An input that gave a result, for the start page (the demo has its own link)."""
        paths = list(result.spec.paths)
        if paths and [Path(p).resolve() for p in paths] != [demo_folder().resolve()]:
            self.recent_inputs.add(paths, plural(len(result.analysed.items), f"{result.modality} item"))

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
