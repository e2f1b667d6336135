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
from typing import Any

from PySide6.QtCore import QSettings

from engine.export import escape_text

MAX_RECENT = 8
START_PAGE_ENTRIES = 5
"""Recent projects, and recent inputs, listed on the start page (the File menu lists all projects)."""


class _RecentList:
    """Values, newest first, at most :data:`MAX_RECENT`, under one QSettings key, each stored as
    ASCII JSON: a file name that is not valid UTF-8 ("caf\\xe9") would not survive as a plain
    string (recent projects in such folders lost the byte and showed as missing)."""

    key = ""
    """The QSettings key (each list names its own)."""

    def __init__(self, settings: QSettings | None) -> None:
        self.settings = settings

    def _values(self) -> list[Any]:
        if self.settings is None:
            return []
        value = self.settings.value(self.key, [])
        values = []
        for entry in [value] if isinstance(value, str) else list(value or []):
            try:
                values.append(json.loads(entry))
            except (ValueError, TypeError):
                values.append(entry)  # a plain path, as earlier versions stored projects
        return values[:MAX_RECENT]

    def _store(self, values: list[Any]) -> None:
        if self.settings is not None:
            self.settings.setValue(self.key, [json.dumps(v) for v in values[:MAX_RECENT]])


class RecentProjects(_RecentList):
    """The last projects opened or saved."""

    key = "projects/recent"

    def paths(self) -> list[Path]:
        return [Path(v) for v in self._values() if isinstance(v, str) and v]

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        self._set([path, *(p for p in self.paths() if p != path)])

    def remove(self, path: Path) -> None:
        self._set([p for p in self.paths() if p != Path(path)])

    def prune(self) -> None:
        """Forget projects whose file is gone."""
        self._set([p for p in self.paths() if p.is_file()])

    def _set(self, paths: list[Path]) -> None:
        self._store([str(p) for p in paths])


@dataclass(frozen=True)
class RecentInput:
    """Folders and files analysed together, and what they held ("142 text items")."""

    paths: tuple[Path, ...]
    about: str = ""


class RecentInputs(_RecentList):
    """The last inputs that gave a result."""

    key = "inputs/recent"

    def inputs(self) -> list[RecentInput]:
        found = []
        for value in self._values():
            paths = value.get("paths") if isinstance(value, dict) else None
            if isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths):
                found.append(RecentInput(tuple(Path(p) for p in paths), str(value.get("about", ""))))
        return found

    def add(self, paths: Sequence[str | Path], about: str = "") -> None:
        """Put this input first (once: an earlier entry for the same paths goes)."""
        new = RecentInput(tuple(Path(p).resolve() for p in paths), about)
        kept = [r for r in self.inputs() if r.paths != new.paths]
        self._store([{"paths": [str(p) for p in r.paths], "about": r.about} for r in (new, *kept)])


def start_page(projects: list[Path], inputs: list[RecentInput], demo: bool) -> str:
    """The HTML below the drop hint: links ``project:N``, ``input:N`` and ``demo`` to what still exists.

    ``N`` indexes the given lists, so the caller opens ``projects[N]`` or ``inputs[N].paths``.
    """

    def link(href: str, name: str, where: Path, about: str = "") -> str:
        said = f" · {html.escape(about)}" if about else ""
        place = f"<span style='color:gray'>{html.escape(escape_text(str(where)))}</span>"
        return f"<a href='{href}'>{html.escape(escape_text(name))}</a>{said} {place}"

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
