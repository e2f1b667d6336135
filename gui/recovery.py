"""Unsaved work survives a crash: it is kept as a project snapshot and offered back at the next start.

From the first unsaved change on, at most :data:`AUTOSAVE_MS` later the whole project (the result
and the view state, in the ``.dm6`` format, written atomically by :func:`engine.store.save`) goes
to ``<recovery folder>/<id>.dm6`` on a background thread, with ``<id>.json`` beside it saying what
it was (the project file or the input folders, and when). Saving the project, discarding the
changes or closing the window removes both. A window holds ``<id>.lock`` (a ``QLockFile``) from
its first snapshot or restore until it closes, so a second window never offers a snapshot that a
running one is still writing; a start that finds a snapshot whose lock is free (its window crashed
or was killed) offers it back in a window-modal box that blocks nothing.

The folder sits beside an INI settings file (tests, portable installs), else in the user's
application data folder; without settings (``MainWindow(None)``) nothing is kept.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLockFile, QObject, QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QMessageBox

from engine import store
from engine.atomic import atomic_write
from gui.background import Background, attempt
from gui.project import PROJECT_ERRORS, SUFFIX

if TYPE_CHECKING:
    from gui.main_window import MainWindow

AUTOSAVE_MS = 30_000
"""Unsaved work is at most this old in a snapshot: half a minute of clicks to redo after a crash."""


def recovery_folder(settings: QSettings | None) -> Path | None:
    """Where snapshots go for these settings (see the module), or None to keep none."""
    if settings is None:
        return None
    if settings.format() == QSettings.Format.IniFormat:
        return Path(settings.fileName()).parent / "recovery"
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "recovery" if base else None


class Recovery(QObject):
    """Keeps this window's snapshot (see the module) and offers the snapshots of windows that died."""

    def __init__(self, window: MainWindow, folder: Path | None, delay_ms: int | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.folder = folder
        self.id = uuid.uuid4().hex[:12]
        self._lock: QLockFile | None = None
        self._restored: Path | None = None
        self._background = Background(self, name="recovery")
        self._background.done.connect(self._written)
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS if delay_ms is None else delay_ms)
        self._timer.timeout.connect(self.snapshot)
        window.project.changed.connect(self._project_changed)

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else self.folder / f"{self.id}{SUFFIX}"

    def _project_changed(self) -> None:
        if self.folder is None:
            return
        if self.window.project.dirty:
            if not self._timer.isActive():  # not restarted by every change: a busy user is kept too
                self._timer.start()
        else:
            self._timer.stop()
            self.discard()

    def snapshot(self) -> None:
        """Write the unsaved project to this window's snapshot now (on the background thread)."""
        project, result = self.window.project, self.window.result
        if self.folder is None or result is None or not project.dirty or not self._hold():
            return
        about = {
            "project": str(project.path) if project.path is not None else None,
            "name": project.display_name(),
            "saved_at": time.time(),
        }
        job = (result, self.path, self.window.view_state.to_dict())
        self._background.submit(attempt, _write, PROJECT_ERRORS, *job, about)

    def _written(self, _request: int, answer: object, unexpected: str) -> None:
        error = answer[1] if isinstance(answer, tuple) else unexpected
        if error:  # a full disk, say: the work itself is fine, only its safety copy is not
            self.window.statusBar().showMessage(
                f"Could not keep a recovery copy of unsaved work: {error}", 10000
            )

    def _hold(self) -> bool:
        """Take this window's lock before it first leaves a file (a window that never does leaves
        nothing, a headless run included); False when the folder cannot be made."""
        if self._lock is None and self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError:
                return False
            self._lock = QLockFile(str(self.folder / f"{self.id}.lock"))
            self._lock.tryLock(0)
        return self._lock is not None

    def discard(self) -> None:
        """Remove this window's snapshot (saved, discarded or closed: nothing is left to recover)."""
        if self.folder is None or self._lock is None:  # nothing was ever written
            return
        self._timer.stop()
        self._background.submit(attempt, _remove, PROJECT_ERRORS, self.folder, self.id)

    def close(self) -> None:
        """The window closes normally: no snapshot, no lock, no restored copy is left behind."""
        self._timer.stop()
        self._background.shutdown(wait=True)  # a snapshot being written must not land after the removal
        if self.folder is not None:
            _remove(self.folder, self.id)
            if self._restored is not None:
                self._restored.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()

    # ---- the snapshots of windows that died -------------------------------------------------------
    def left_behind(self) -> list[tuple[Path, dict[str, Any]]]:
        """Snapshots whose window is gone (its lock is free), newest first, with what they were."""
        if self.folder is None or not self.folder.is_dir():
            return []
        for restored in self.folder.glob(f"restored-*{SUFFIX}"):  # copies whose window is gone
            if self._gone(restored.stem.removeprefix("restored-")):
                restored.unlink(missing_ok=True)
        found = []
        for about_file in self.folder.glob("*.json"):
            snapshot = about_file.with_suffix(SUFFIX)
            if not snapshot.is_file() or not self._gone(about_file.stem):
                continue  # this window's own, or one that a running window keeps up to date
            try:
                about = json.loads(about_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                about = {}
            found.append((snapshot, about if isinstance(about, dict) else {}))
        return sorted(found, key=lambda pair: -float(pair[1].get("saved_at") or 0))

    def _gone(self, window_id: str) -> bool:
        """Whether the window ``window_id`` no longer runs (its lock is free; a stale one is removed)."""
        if window_id == self.id or self.folder is None:
            return False
        lock = QLockFile(str(self.folder / f"{window_id}.lock"))
        if not lock.tryLock(0):
            return False
        lock.unlock()  # and the lock file with it
        return True

    def offer(self) -> QMessageBox | None:
        """Ask, without blocking, whether to restore the newest snapshot a crashed window left."""
        behind = self.left_behind()
        if not behind:
            return None
        snapshot, about = behind[0]
        when = time.strftime("%d %b %H:%M", time.localtime(float(about.get("saved_at") or 0)))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Restore unsaved work",
            f"DataMining6 closed without saving your work on “{about.get('name') or 'an analysis'}”. "
            f"Restore it as it was at {when}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(
            lambda _: self._answered(box.standardButton(box.clickedButton()), snapshot, about, when, behind)
        )
        box.open()  # window-modal, returns at once
        return box

    def _answered(
        self,
        answer: QMessageBox.StandardButton,
        snapshot: Path,
        about: dict[str, Any],
        when: str,
        behind: list,
    ) -> None:
        for other, _ in behind[1:]:  # older ones: the newest is what the user last worked on
            _remove(other.parent, other.stem)
        if answer != QMessageBox.StandardButton.Yes:
            _remove(snapshot.parent, snapshot.stem)
            return
        # Opened under a name of its own that lives as long as this window (which holds its lock from
        # now on): the engine may read the vectors from it again; this window's snapshots go elsewhere.
        self._hold()
        self._restored = snapshot.with_name(f"restored-{self.id}{SUFFIX}")
        os.replace(snapshot, self._restored)
        _remove(snapshot.parent, snapshot.stem)
        project = self.window.project
        original = Path(about["project"]) if about.get("project") else None

        def reopened(path: object) -> None:
            project.opened.disconnect(reopened)
            if path == self._restored:
                project.recent.remove(self._restored)
                project.path = original  # Save writes to the project it came from (or asks where)
                project.mark_changed()
                self.window.statusBar().showMessage(
                    f"Restored the unsaved work on {about.get('name') or 'the analysis'} ({when}); "
                    "File › Save keeps it."
                )

        project.opened.connect(reopened)
        project.open(self._restored, ask=False)


def _write(result: Any, path: Path, view_state: dict, about: dict[str, Any]) -> None:
    store.save(result, path, view_state)
    with atomic_write(path.with_suffix(".json")) as out:
        json.dump(about, out)


def _remove(folder: Path, snapshot_id: str) -> None:
    for suffix in (SUFFIX, ".json"):
        (folder / f"{snapshot_id}{suffix}").unlink(missing_ok=True)
