"""Input files that moved together with their project: a study folder copied to another computer.

A project records where its input files were, as absolute paths, and the folder it was saved in.
When it is opened from another folder and a file is missing where it was, the file is looked for
at the same place relative to the project (``study/data/a.wav`` beside ``study/p.dm6``). Without
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
        saved = _pure(text)
        if type(saved) is not type(self._base) or os.path.exists(text):
            return text
        try:
            inside = saved.relative_to(self._base)
        except ValueError:
            return text  # not under the project's folder: it did not travel with it
        candidate = self.folder.joinpath(*inside.parts)
        return str(candidate) if candidate.exists() else text

    def note(self, moved: int) -> str:
        """What the user should know when ``moved`` files were found beside the project."""
        files = "1 input file was" if moved == 1 else f"{moved} input files were"
        return (
            f"{files} found beside the project, in {self.folder}, instead of in {self.saved_folder}, "
            "where the project was saved; they are read from here."
        )
