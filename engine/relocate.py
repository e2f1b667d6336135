"""Input files that moved together with their project: a study folder copied to another computer.

A project records where its input files were, as absolute paths, and the folder it was saved in.
When it is opened from another folder and a file is missing where it was, the file is looked for
at the same place relative to the project (``study/data/a.wav`` beside ``study/p.dm6``, or
``study/data/a.wav`` for ``study/analysis/p.dm6``: at most :data:`MAX_UP` folders up). Without
this, a project sent to a colleague, or opened from a USB stick under another drive letter,
showed every thumbnail, snippet and clip as missing. Paths saved on Windows are understood on
Linux and macOS and the other way round.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath


def _pure(text: str) -> PurePath:
    """``text`` as a path of the system that wrote it: POSIX paths start with ``/``."""
    return PurePosixPath(text) if text.startswith("/") else PureWindowsPath(text)


MAX_UP = 2
"""Folders above the project's own that may hold inputs which travel with it; further up, a path
shares no more than a drive or a home folder with the project, and finding it there is chance."""


class Relocator:
    """Maps each saved input path to where the file is now (itself, unless it moved with the project)."""

    def __init__(self, saved_folder: str | None, folder: Path) -> None:
        self.folder = folder
        self.saved_folder = saved_folder
        self._base = _pure(saved_folder) if saved_folder and _pure(saved_folder) != PurePath(folder) else None
        self._seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if self._base is None:
            return text
        if text not in self._seen:
            self._seen[text] = self._find(text)
        return self._seen[text]

    def _find(self, text: str) -> str:
        saved, base = _pure(text), self._base
        if type(saved) is not type(base) or os.path.exists(text):
            return text
        fold = str.lower if isinstance(base, PureWindowsPath) else str  # C:\Users is c:\users
        common = 0
        for a, b in zip(saved.parts, base.parts, strict=False):
            if fold(a) != fold(b):
                break
            common += 1
        up = len(base.parts) - common
        if common == 0 or up > min(MAX_UP, len(self.folder.parents)):
            return text  # another drive, or far from the project: it did not travel with it
        above = self.folder.parents[up - 1] if up else self.folder
        candidate = above.joinpath(*saved.parts[common:])
        return str(candidate) if candidate.exists() else text

    def note(self, moved: int) -> str:
        """What the user should know when ``moved`` files were found relative to the moved project."""
        files = "1 input file was" if moved == 1 else f"{moved} input files were"
        return (
            f"{files} found where they lie relative to the project, now in {self.folder}, instead of "
            f"where they were when it was saved in {self.saved_folder}; they are read from there."
        )
