"""What the user worked on lately: recent projects and analysed inputs, kept in QSettings.

The File menu lists the projects; the empty window (the start page, on every launch after the
first) offers both as links, so work analysed but never saved as a project is one click away too.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8
START_PAGE_ENTRIES = 5
"""Recent projects, and recent inputs, listed on the start page (the File menu lists all projects)."""


class _RecentList:
    """Strings, newest first, without repeats, at most :data:`MAX_RECENT`, under one QSettings key."""

    def __init__(self, settings: QSettings | None, key: str) -> None:
        self.settings, self.key = settings, key

    def _entries(self) -> list[str]:
        if self.settings is None:
            return []
        value = self.settings.value(self.key, [])
        values = [value] if isinstance(value, str) else list(value or [])
        return [str(v) for v in values if v][:MAX_RECENT]

    def _push(self, entry: str) -> None:
        self._store([entry, *(e for e in self._entries() if e != entry)])

    def _store(self, entries: list[str]) -> None:
        if self.settings is not None:
            self.settings.setValue(self.key, entries[:MAX_RECENT])


class RecentProjects(_RecentList):
    """The last projects opened or saved."""

    def __init__(self, settings: QSettings | None, key: str = "projects/recent") -> None:
        super().__init__(settings, key)

    def paths(self) -> list[Path]:
        return [Path(e) for e in self._entries()]

    def add(self, path: Path) -> None:
        self._push(str(Path(path).resolve()))

    def remove(self, path: Path) -> None:
        self._store([str(p) for p in self.paths() if p != Path(path)])

    def prune(self) -> None:
        """Forget projects whose file is gone."""
        self._store([str(p) for p in self.paths() if p.is_file()])


@dataclass(frozen=True)
class RecentInput:
    """Folders and files analysed together, and what they held ("142 text items")."""

    paths: tuple[Path, ...]
    about: str = ""


class RecentInputs(_RecentList):
    """The last inputs that gave a result, each one JSON entry."""

    def __init__(self, settings: QSettings | None, key: str = "inputs/recent") -> None:
        super().__init__(settings, key)

    def inputs(self) -> list[RecentInput]:
        found = []
        for entry in self._entries():
            try:
                value = json.loads(entry)
                paths, about = value["paths"], str(value.get("about", ""))
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # not ours: skipped, not a crash
            if isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths):
                found.append(RecentInput(tuple(Path(p) for p in paths), about))
        return found

    def add(self, paths: Sequence[str | Path], about: str = "") -> None:
        """Put this input first (once: an earlier entry for the same paths goes)."""
        new = RecentInput(tuple(Path(p).resolve() for p in paths), about)
        kept = [r for r in self.inputs() if r.paths != new.paths]
        self._store(
            [json.dumps({"paths": [str(p) for p in r.paths], "about": r.about}) for r in (new, *kept)]
        )


def start_page(projects: list[Path], inputs: list[RecentInput], demo: bool) -> str:
    """The HTML below the drop hint: links ``project:N``, ``input:N`` and ``demo`` to what still exists.

    ``N`` indexes the given lists, so the caller opens ``projects[N]`` or ``inputs[N].paths``.
    """

    def link(href: str, name: str, where: Path, about: str = "") -> str:
        said = f" · {html.escape(about)}" if about else ""
        place = f"<span style='color:gray'>{html.escape(str(where))}</span>"
        return f"<a href='{href}'>{html.escape(name)}</a>{said} {place}"

    parts = []
    shown = [(i, p) for i, p in enumerate(projects) if p.is_file()][:START_PAGE_ENTRIES]
    if shown:
        rows = [link(f"project:{i}", p.name, p.parent) for i, p in shown]
        parts.append("<b>Recent projects</b><br>" + "<br>".join(rows))
    again = [(i, r) for i, r in enumerate(inputs) if all(p.exists() for p in r.paths)][:START_PAGE_ENTRIES]
    if again:
        rows = []
        for i, recent in again:
            first = recent.paths[0]
            more = f" and {len(recent.paths) - 1} more" if len(recent.paths) > 1 else ""
            rows.append(link(f"input:{i}", first.name + more, first.parent, recent.about))
        parts.append("<b>Analyse again</b><br>" + "<br>".join(rows))
    if demo:
        parts.append("<a href='demo'>Open the demo data</a> (customer segments and sensor series)")
    return "".join(f"<p>{part}</p>" for part in parts)
