"""Vectors cached on disk, keyed by the item's content and the embedder's parameters.

Why SQLite: one file holds any number of vectors, every write is an atomic transaction (a crash
never leaves a half-written entry), and concurrent readers are safe. Entries carry a last-used
time so the cache can be trimmed to its size limit, oldest first.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

DEFAULT_LIMIT_BYTES = 2 * 1024**3


def default_cache_dir() -> Path:
    """``DATAMINING6_CACHE_DIR`` if set, else the user's cache folder for DataMining6."""
    override = os.environ.get("DATAMINING6_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("DataMining6", appauthor=False))


def open_cache(folder: Path | None = None) -> tuple[VectorCache | None, str | None]:
    """The cache (or None) and a note for the user; never raises, so a cache never stops a run.

    A damaged cache file is moved aside and a fresh one started; a folder that cannot be created
    or written means no cache for this run.
    """
    folder = Path(folder) if folder is not None else default_cache_dir()
    path = folder / "vectors.sqlite"
    try:
        return VectorCache(folder), None
    except sqlite3.OperationalError as error:  # read-only, locked, cannot be opened
        return None, f"The vector cache {path} cannot be used ({error}); this run goes on without it."
    except sqlite3.DatabaseError as error:  # garbage, truncated, a corrupt page
        moved = _move_aside(path)
        note = f"The vector cache {path} was damaged ({error})"
    except OSError as error:
        why = error.strerror or error
        return (
            None,
            f"The vector cache folder {folder} cannot be created ({why}); this run goes on without it.",
        )
    if moved is None:
        return None, f"{note} and cannot be moved aside; this run goes on without it."
    try:
        return VectorCache(folder), f"{note}; it was moved to {moved.name} and a fresh cache started."
    except (sqlite3.Error, OSError) as error:
        return None, f"{note}; a fresh cache cannot be started either ({error}); this run goes on without it."


def clear_cache(folder: Path | None = None) -> int:
    """Forget every cached vector (the "Clear cache" action); returns the bytes freed.

    A damaged cache file is deleted instead of cleared. Raises ``OSError`` or ``sqlite3.Error`` only
    when even that fails (the folder is not writable, say).
    """
    try:
        cache = VectorCache(folder)
        size = cache.size_bytes()
        cache.clear()
        cache.close()
        return size
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError:
        path = (Path(folder) if folder is not None else default_cache_dir()) / "vectors.sqlite"
        size = path.stat().st_size if path.exists() else 0
        for part in _with_journal(path):
            part.unlink(missing_ok=True)
        VectorCache(folder).close()
        return size


def _with_journal(path: Path) -> list[Path]:
    """The database and SQLite's write-ahead log and shared-memory files beside it."""
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))]


def _move_aside(path: Path) -> Path | None:
    """Rename a damaged database (and its journal files) so that a fresh one can start."""
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        for part in _with_journal(path):
            if part.exists():
                part.rename(target.with_name(target.name + part.name[len(path.name) :]))
    except OSError:
        return None
    return target


class VectorCache:
    """A content-addressed store of float32 vectors in ``<folder>/vectors.sqlite``.

    A database error while reading or writing (a corrupt page found mid-run) moves the file aside
    and turns the cache off for the rest of the run; ``failure`` then says so for the user.
    """

    failure: str | None = None

    def _broken(self, error: sqlite3.Error) -> None:
        self._db.close()
        self._db = None
        moved = None if isinstance(error, sqlite3.OperationalError) else _move_aside(self.path)
        where = f"; it was moved to {moved.name}" if moved else ""
        self.failure = (
            f"The vector cache failed during the run ({error}){where}; the rest went on without it."
        )

    def __init__(self, folder: Path | None = None, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.path = self.folder / "vectors.sqlite"
        self.limit_bytes = limit_bytes
        self.folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors"
                " (key TEXT PRIMARY KEY, data BLOB NOT NULL, used REAL NOT NULL)"
            )
            self._db.commit()
        except sqlite3.Error:
            self._db.close()
            raise

    @staticmethod
    def key(content: bytes, params: str) -> str:
        """A digest of the item's bytes and the embedder's parameters (name, model, sizes...)."""
        digest = hashlib.blake2b(content, digest_size=20)
        digest.update(b"\0" + params.encode("utf-8"))
        return digest.hexdigest()

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        if self._db is None:
            return {}
        try:
            return self._get_many(list(keys))
        except sqlite3.Error as error:
            self._broken(error)
            return {}

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        if self._db is None:
            return
        try:
            self._put_many(vectors)
        except sqlite3.Error as error:
            self._broken(error)

    def _get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, data in self._db.execute(f"SELECT key, data FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(data, dtype=np.float32)
        if found:
            now = time.time()
            with self._db:
                self._db.executemany("UPDATE vectors SET used=? WHERE key=?", [(now, k) for k in found])
        return found

    def _put_many(self, vectors: dict[str, np.ndarray]) -> None:
        now = time.time()
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes(), now) for k, v in vectors.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
        if self.size_bytes() > self.limit_bytes:
            self.trim()

    def size_bytes(self) -> int:
        (size,) = self._db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM vectors").fetchone()
        return int(size)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def trim(self) -> None:
        """Drop the least recently used vectors until the cache is at most 80% of its limit."""
        target = int(self.limit_bytes * 0.8)
        excess = self.size_bytes() - target
        if excess <= 0:
            return
        doomed, freed = [], 0
        for key, length in self._db.execute("SELECT key, LENGTH(data) FROM vectors ORDER BY used"):
            doomed.append((key,))
            freed += length
            if freed >= excess:
                break
        with self._db:
            self._db.executemany("DELETE FROM vectors WHERE key=?", doomed)

    def clear(self) -> None:
        """Forget every cached vector (the "Clear cache" action)."""
        with self._db:
            self._db.execute("DELETE FROM vectors")
        self._db.execute("VACUUM")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
