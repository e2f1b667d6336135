"""Small previews of items for the cluster panel: image thumbnails, audio spectrograms, document snippets.

Plain functions returning uint8 arrays or strings (no Qt), so the GUI can run them on worker threads
and a test can check their pixels. Pictures are kept in a disk cache of small WebP (or PNG) files in
the user's cache folder, keyed by the file's path, size and modification time: a second look at a
folder of 10 000 photos decodes 10 000 tiny files instead of 10 000 camera JPEGs. The user's own
files are only ever read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.embed import ItemError

THUMB_SIZE = 96
"""Longest side of a thumbnail in pixels (what the member grid shows at 100 %)."""
AUDIO_SECONDS = 10.0
"""A clip's small spectrogram shows its first seconds: enough to tell a bark from a bell, and fast."""
SNIPPET_CHARS = 600
"""Characters of a document kept for its preview: the title and a few lines."""
CACHE_LIMIT_BYTES = 512 * 1024**2
"""The thumbnail cache's size: about 150 000 photo thumbnails. Beyond it the least recently shown go."""
TRIM_EVERY = 2000
"""New thumbnails between two checks of the cache's size (a check lists the folder: ~0.3 s at the limit)."""


@functools.cache
def _format() -> tuple[str, str]:
    """WebP where Pillow has it (a third of PNG's size for photos), else PNG. Pillow is imported on
    first use so that the window opens without it."""
    from PIL import features

    return ("WEBP", ".webp") if features.check("webp") else ("PNG", ".png")


def image_thumbnail(path: Path | str, size: int = THUMB_SIZE) -> np.ndarray:
    """The upright image at ``path`` shrunk to fit ``size`` x ``size`` (aspect kept), as HxWx3 uint8.

    JPEGs decode in Pillow's draft mode at 1/2-1/8 scale, so a 12-megapixel photo costs a few
    milliseconds. Raises :class:`ItemError` saying why when the file is gone, truncated or not an image.
    """
    from PIL import Image

    from engine.ingest.images import open_image

    image = open_image(Path(path), draft_size=size)
    image.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(image, dtype=np.uint8)


def audio_thumbnail(path: Path | str, size: int = THUMB_SIZE) -> np.ndarray:
    """A small log-mel spectrogram of the clip's first :data:`AUDIO_SECONDS` as HxWx3 uint8 (viridis).

    Uses the same loader and mel front end as the audio embedders, so the picture shows what was
    clustered. Raises :class:`ItemError` when the clip cannot be decoded any more.
    """
    from PIL import Image

    from engine.embed.audio import spectrogram_image
    from engine.ingest.audio import load_audio

    signal, sr, _notes = load_audio(path, max_seconds=AUDIO_SECONDS)
    picture = spectrogram_image(signal, sr, size=size, n_mels=48)
    return np.asarray(picture.resize((size, size * 3 // 4), Image.Resampling.BILINEAR), dtype=np.uint8)


def document_snippet(path: Path | str, chars: int = SNIPPET_CHARS) -> tuple[str, str]:
    """``(title, text)``: the document's first non-empty line and the text after it, cut to ``chars``.

    Raises :class:`ItemError` when the document no longer decodes.
    """
    from engine.ingest.documents import read_document

    # Plain text is cut at a line end, so read well past ``chars`` to keep a long first paragraph.
    text = read_document(Path(path), max_chars=chars * 8)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ItemError("empty document: it holds no text")
    title = lines[0] if len(lines[0]) <= 120 else lines[0][:117] + "…"
    rest = " ".join(lines[1:]) if len(lines) > 1 else ""
    return title, " ".join(rest.split())[:chars]


def thumbnail_key(path: Path | str, size: int, kind: str) -> str:
    """A hex key that changes whenever the file is replaced or edited (path, byte size, mtime).

    Raises :class:`ItemError` when the file is gone, so a deleted file is reported, not served stale.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError as error:
        raise ItemError("the file is gone: moved or deleted since the analysis") from error
    except OSError as error:
        raise ItemError(f"cannot be read any more: {error.strerror or error}") from error
    text = f"{kind}\t{size}\t{os.path.abspath(path)}\t{stat.st_size}\t{stat.st_mtime_ns}"
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


class ThumbnailCache:
    """Small pictures on disk under ``folder``, one file per key; every failure means "not cached".

    Writes go to a temporary file that is renamed into place, so two threads (or two app windows)
    never see half a file. A damaged entry is decoded as a miss and written again.
    """

    def __init__(self, folder: Path | str | None = None, limit_bytes: int = CACHE_LIMIT_BYTES) -> None:
        if folder is None:
            from engine.embed.cache import default_cache_dir

            folder = default_cache_dir() / "thumbnails"
        self.folder = Path(folder)
        self.limit_bytes = limit_bytes

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / (key + _format()[1])

    def get(self, key: str) -> np.ndarray | None:
        """The cached picture, or None; a hit counts as a use, so trimming keeps it longer."""
        from PIL import Image

        path = self._path(key)
        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
        except (OSError, ValueError, SyntaxError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return pixels

    def put(self, key: str, pixels: np.ndarray) -> None:
        from PIL import Image

        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                Image.fromarray(pixels).save(out, format=_format()[0], quality=85)
            os.replace(temporary, target)
        except OSError:
            return  # a read-only or full cache folder only costs speed
        if next(_puts) % TRIM_EVERY == TRIM_EVERY - 1:
            self.trim()

    def _files(self) -> list[tuple[float, int, str]]:
        """(last use, bytes, path) of every cached picture (and of writes a kill left behind)."""
        found = []
        for sub in _scandir(self.folder):
            for entry in _scandir(Path(sub.path)) if sub.is_dir() else ():
                with contextlib.suppress(OSError):
                    stat = entry.stat()
                    found.append((stat.st_mtime, stat.st_size, entry.path))
        return found

    def size_bytes(self) -> int:
        """Bytes the cached thumbnails take (for a Clear-cache message)."""
        return sum(size for _, size, _ in self._files())

    def trim(self, limit_bytes: int | None = None) -> int:
        """Delete the least recently used pictures until the cache is under ``limit_bytes`` (its own
        limit by default); returns the bytes freed. ``trim(0)`` empties it (the Clear-cache action)."""
        limit = self.limit_bytes if limit_bytes is None else limit_bytes
        files = sorted(self._files())
        total = sum(size for _, size, _ in files)
        freed = 0
        for _, size, path in files:
            if total - freed <= limit:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
                freed += size
        return freed


_puts = itertools.count()
"""Thumbnails written by this process (the windows make a cache object per use; next() is atomic)."""


def _scandir(folder: Path) -> list[os.DirEntry]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def cached_picture(
    path: Path | str,
    kind: str,
    make: Callable[[Path | str, int], np.ndarray],
    cache: ThumbnailCache | None,
    size: int = THUMB_SIZE,
) -> np.ndarray:
    """``make(path, size)`` through ``cache``: read the small copy when the file is unchanged."""
    if cache is None:
        return make(path, size)
    key = thumbnail_key(path, size, kind)
    pixels = cache.get(key)
    if pixels is None:
        pixels = make(path, size)
        cache.put(key, pixels)
    return pixels


PICTURE_MAKERS: dict[str, Callable[[Path | str, int], np.ndarray]] = {
    "image": image_thumbnail,
    "audio": audio_thumbnail,
}
"""Which modalities preview as a picture, and the function that draws it."""
