"""The window's project file: open, save, save as, the recent list and the unsaved-changes question.

A project (``engine.store``) holds the analysis and the view state, so opening one shows the same
map, clusters, names, threshold and selection without reading or embedding anything again.
Saving a large result takes a while (vectors and arrays are written and flushed), so it runs on a
background thread with a copy of the view state taken on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from engine import store
from gui.background import Background, attempt
from gui.recent import RecentProjects
from gui.view_state import ViewState, items_digest

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.main_window import MainWindow

SUFFIX = ".dm6"
FILE_FILTER = "DataMining6 project (*.dm6)"
PROJECT_ERRORS = (OSError, ValueError, store.ProjectError)
"""What opening or saving a project can meet; each message is written for the user."""

Answer = QMessageBox.StandardButton


def ask_unsaved(window: MainWindow, name: str) -> Answer:
    """Save, Discard or Cancel before the window's work is replaced or closed (tests patch this)."""
    return QMessageBox.question(
        window,
        "Unsaved changes",
        f"Save the changes to {name} first?",
        Answer.Save | Answer.Discard | Answer.Cancel,
        Answer.Save,
    )


def _load(path: Path) -> tuple[Result, dict[str, Any]]:
    """Read a project on the project thread, with the items' fingerprint the view state needs."""
    result, view_state = store.load(path)
    items_digest(result)  # made here, off the GUI thread; the view state finds it ready
    return result, view_state


def apply_view_state(state: ViewState, data: dict[str, Any]) -> None:
    """Put a saved view state onto the window's state (already ``reset_for`` the loaded result).

    Goes through the public setters so every view redraws from the usual signals. A state saved
    for other items (a different digest or count) is ignored rather than misapplied.
    """
    result = state.result
    if result is None or not data:
        return
    saved = ViewState.from_dict(data)
    if data.get("items_digest") not in (None, items_digest(result)) or len(saved.labels) != len(state.labels):
        return
    state.set_labels(saved.labels)  # a dendrogram cut the re-run had not caught up with
    for cluster in sorted({int(c) for c in data.get("colours", {})}):
        state.set_colour(cluster, saved.colour_of(cluster))
    for cluster in sorted({int(c) for c in data.get("names", {})}):
        state.rename(cluster, saved.name_of(cluster))
    state.set_hidden(saved.hidden)
    if result.anomaly is not None and saved.threshold is not None:
        state.set_threshold(saved.threshold)
    state.select(saved.selected)
    state.set_focused(saved.focused)  # after the selection, which lets chosen clusters go


class ProjectController(QObject):
    """Owns the window's project path and its unsaved-changes flag; builds the File menu's entries."""

    saved = Signal(object)
    """The path a save finished writing."""
    opened = Signal(object)
    """The path of a project now on screen."""
    changed = Signal()
    """The project's path or its unsaved-changes flag changed: the title follows."""

    def __init__(self, window: MainWindow, settings: QSettings | None) -> None:
        super().__init__(window)
        self.window = window
        self.recent = RecentProjects(settings)
        self.path: Path | None = None
        self.dirty = False
        self._loading = False
        # One thread: two saves never race for a file. Loading runs there too: the first one
        # imports the engine's clustering modules, seconds the window must not freeze for.
        self._background = Background(self, name="project")
        self._background.done.connect(self._job_ended)
        self._jobs: dict[int, Callable[[Any, str], None]] = {}
        state = window.view_state
        for signal in (
            state.labels_changed,
            state.clusters_changed,
            state.threshold_changed,
            state.hidden_changed,
        ):
            signal.connect(self.mark_changed)
        window.result_shown.connect(self.mark_changed)

        self.open_action = QAction("&Open project…", window, shortcut="Ctrl+O")
        self.open_action.triggered.connect(self.ask_open)
        self.save_action = QAction("&Save", window, shortcut="Ctrl+S")
        self.save_action.triggered.connect(self.save)
        self.save_as_action = QAction("Save &as…", window, shortcut="Ctrl+Shift+S")
        self.save_as_action.triggered.connect(self.save_as)
        self.recent_menu = QMenu("&Recent projects", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._update()

    # ---- state ------------------------------------------------------------------------------------
    def mark_changed(self, *_: object) -> None:
        """Something worth saving changed (a new result, a name, a colour, the threshold, a cut)."""
        if not self._loading and self.window.result is not None:
            self.dirty = True
            self._update()

    def _update(self) -> None:
        has_result = self.window.result is not None
        self.save_action.setEnabled(has_result)
        self.save_as_action.setEnabled(has_result)
        self.window.setWindowModified(self.dirty)
        self.changed.emit()

    def title(self, shown: str) -> str:
        """The window's title: the project's file name first when there is one; ``*`` while unsaved.

        ``shown`` names what is on screen; Qt shows the ``[*]`` mark only while the window is modified.
        """
        return f"{self.path.name}[*] — {shown}" if self.path is not None else f"{shown}[*]"

    def display_name(self) -> str:
        """The project's file name, else the input's folder names, else "Untitled"."""
        if self.path is not None:
            return self.path.name
        paths = self.window.settings_panel.spec.paths
        return ", ".join(Path(p).name or p for p in paths) or "Untitled"

    def input_changed(self) -> None:
        """New input was opened: it is no longer the project on disk."""
        self.path = None
        self._update()

    # ---- opening ---------------------------------------------------------------------------------
    def ask_open(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.path.parent if self.path else Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Open project", start, FILE_FILTER)
        if chosen:
            self.open(Path(chosen), ask=False)

    def open(self, path: Path, ask: bool = True) -> bool:
        """Start opening the project at ``path`` (off the GUI thread); True once started.

        ``opened`` follows once it is on screen; a file that cannot be opened gives a message.
        """
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        self.window.statusBar().showMessage(f"Opening {path.name}…")
        self._submit(lambda loaded, error: self._loaded(path, loaded, error), _load, path)
        return True

    def _loaded(self, path: Path, loaded: tuple[Result, dict[str, Any]] | None, error: str) -> None:
        self.window.statusBar().clearMessage()  # "Opening…": what follows says how it went
        if error:
            QMessageBox.warning(self.window, "Open project", error)
            if not path.is_file():
                self.recent.remove(path)
            return
        result, view_state = loaded
        self._loading = True
        try:
            self.window.cancel()  # a run still going would replace the project when it ends
            self.window.settings_panel.set_spec(result.spec)
            self.window.show_result(result, f"Opened {path.name}", at_once=True)
            self.window.worker.adopt(result, str(path))  # the engine re-clusters from this file's vectors
            apply_view_state(self.window.view_state, view_state)
        finally:
            self._loading = False
        self.path, self.dirty = path, False
        self.recent.add(path)
        self._update()
        self.opened.emit(path)

    # ---- saving ----------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the project's file (asking for one the first time); True once it started."""
        path = self.path or self._ask_save_path()
        return path is not None and self.save_to(path)

    def save_as(self) -> bool:
        path = self._ask_save_path()
        return path is not None and self.save_to(path)

    def _ask_save_path(self) -> Path | None:
        if self.window.result is None:
            return None
        start = self.path or Path.home() / f"{self.display_name().split(',')[0]}{SUFFIX}"
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save project", str(start), FILE_FILTER)
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)

    def save_to(self, path: Path, wait: bool = False) -> bool:
        """Write the project off the GUI thread (``wait``: here and now); True once started."""
        result = self.window.result
        if result is None:
            return False
        job = (result, Path(path), self.window.view_state.to_dict())
        if wait:
            self._saved(job, *attempt(store.save, PROJECT_ERRORS, *job))
            return True
        self.window.statusBar().showMessage(f"Saving {job[1].name}…")
        self._submit(lambda _, error: self._saved(job, None, error), store.save, *job)
        return True

    def _submit(self, then: Callable[[Any, str], None], fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the project thread; ``then(value, error)`` on the GUI thread after."""
        self._jobs[self._background.submit(attempt, fn, PROJECT_ERRORS, *args)] = then

    @Slot(int, object, str)
    def _job_ended(self, request: int, answer: tuple[Any, str] | None, unexpected: str) -> None:
        then = self._jobs.pop(request, None)
        if then is not None:
            value, error = answer if answer is not None else (None, unexpected)
            then(value, error)

    def _saved(self, job: tuple[Result, Path, dict[str, Any]], _: object, error: str) -> None:
        result, path, state = job
        if error:
            self.window.statusBar().clearMessage()
            QMessageBox.critical(self.window, "Save project", f"{path.name} could not be saved: {error}")
            return
        # A change made while the file was being written is not in it: that stays unsaved.
        if self.window.result is result and self.window.view_state.to_dict() == state:
            self.dirty = False
        self.path = path
        self.recent.add(path)
        self.window.statusBar().showMessage(f"Saved {path.name}", 5000)
        self._update()
        self.saved.emit(path)

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True when the caller may go on."""
        if not self.dirty or self.window.result is None:
            return True
        answer = ask_unsaved(self.window, self.display_name())
        if answer == Answer.Cancel:
            return False
        if answer == Answer.Save:
            path = self.path or self._ask_save_path()
            if path is None:
                return False
            self.save_to(path, wait=True)
            return not self.dirty
        return True

    # ---- recent ----------------------------------------------------------------------------------
    def _fill_recent_menu(self) -> None:
        """One entry per recent project; a missing file is greyed out, and *Remove missing* forgets it."""
        menu = self.recent_menu
        menu.clear()
        paths = self.recent.paths()
        for number, path in enumerate(paths, 1):
            exists = path.is_file()
            action = menu.addAction(f"&{number} {path.name}" + ("" if exists else " (missing)"))
            action.setToolTip(str(path))
            action.setEnabled(exists)
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        if not paths:
            menu.addAction("No recent projects").setEnabled(False)
            return
        menu.addSeparator()
        menu.addAction("Remove missing", self.recent.prune)
