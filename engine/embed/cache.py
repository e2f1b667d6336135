"""Vectors cached on disk, keyed by the item's content and the embedder's parameters.

Why SQLite: one file holds any number of vectors, every write is an atomic transaction (a crash
never leaves a half-written entry), and concurrent readers are safe. Entries carry a last-used
time so the cache can be trimmed to its size limit, oldest first.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
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


def configure_numba_cache() -> None:
    """Keep numba's compiled code in ``<cache folder>/numba`` unless NUMBA_CACHE_DIR is set.

    Without it numba writes into ``__pycache__`` folders inside the installed packages: lost with
    every reinstall, and not writable in a system-wide install, where aeon's first call would compile
    again (20-30 s) in every session. Call before importing aeon or librosa; if numba is already
    imported its configuration is reloaded.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    folder = default_cache_dir() / "numba"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # no writable cache folder: numba compiles in memory, slower but correct
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:
        sys.modules["numba"].core.config.reload_config()


class VectorCache:
    """A content-addressed store of float32 vectors in ``<folder>/vectors.sqlite``."""

    def __init__(self, folder: Path | None = None, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.limit_bytes = limit_bytes
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "vectors.sqlite"
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors"
            " (key TEXT PRIMARY KEY, data BLOB NOT NULL, used REAL NOT NULL)"
        )
        self._db.commit()

    @staticmethod
    def key(content: bytes, params: str) -> str:
        """A digest of the item's bytes and the embedder's parameters (name, model, sizes...)."""
        digest = hashlib.blake2b(content, digest_size=20)
        digest.update(b"\0" + params.encode("utf-8"))
        return digest.hexdigest()

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        keys = list(keys)
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

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
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
        self._db.close()
