"""Writing files so that an interrupted write never leaves a broken file where a good one was.

The exports, the model settings and project files all write through :func:`atomic_write`. It lives
apart from :mod:`engine.store` (which knows every part of a result) so that low modules can use it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


WRITE_BUFFER = 1 << 20
"""Bytes gathered before each write to the disk. Exports are written by a Python loop on a worker
thread; with Python's 8 KiB buffer, its write calls (one every few hundred rows) let go of the
interpreter lock and took it straight back, so the window's thread, waiting for the lock, was held
off for 0.1-0.35 s at a time (an interpreter lock convoy). With 1 MiB the worker is asked to let go
every 5 ms, as any busy thread is: exporting 100 000 assignments blocked the window 12-16 ms
(tests/benchmarks/bench_interactions.py)."""


@contextmanager
def atomic_write(path: Path, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one rename.

    The data is flushed to disk before the rename and the folder after it, so that neither a killed
    process nor a power cut leaves a half-written file where a good one was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _said(error, f"Cannot write in {path.parent}", "choose a folder you can write to") from error
    if hasattr(os, "fchmod"):  # POSIX: mkstemp's 0600 would hide results from the group
        os.fchmod(fd, 0o666 & ~current_umask())  # (Windows has no such bits, nor os.fchmod before 3.13)
    try:
        kwargs = {"newline": "", "encoding": encoding} if "b" not in mode else {}
        with os.fdopen(fd, mode, buffering=WRITE_BUFFER, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except OSError as error:  # Windows: the file is open in another program (a spreadsheet)
            why = "close it in any program that has it open, or choose another name"
            raise _said(error, f"Cannot replace {path}", why) from error
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    _remove_stale_temporaries(path)


def _said(error: OSError, what: str, remedy: str) -> OSError:
    """``error`` said for the user: the file or folder meant, not our hidden temporary; its errno kept."""
    said = OSError(f"{what}: {error.strerror or error}; {remedy}.")
    said.errno = error.errno  # (not strerror: with both set, str() is "[Errno 13] Permission denied")
    return said


STALE_TEMPORARY_S = 600.0
"""A temporary file of ours untouched this long belongs to a write that was killed, not a live one."""


def _remove_stale_temporaries(path: Path) -> None:
    """Delete the hidden ``.<name>.*.tmp`` files a killed write of ``path`` left beside it.

    A live write keeps touching its file, so only ones idle for :data:`STALE_TEMPORARY_S` go.
    """
    prefix, limit = f".{path.name}.", time.time() - STALE_TEMPORARY_S
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < limit:
                    os.unlink(entry.path)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every system opens folders (Windows); the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
