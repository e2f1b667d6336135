"""Which modality a file belongs to, decided by its extension.

The tables live here once so that the scanner and the later per-modality loaders agree.
"""

from __future__ import annotations

from pathlib import Path

CSV_EXTENSIONS = frozenset({".csv", ".tsv"})
SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
"""Read as CSV text of their first sheet with data (:mod:`engine.ingest.spreadsheet`)."""
TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".opus", ".m4a", ".aac"})

CSV = "csv"
"""Pseudo-modality of CSV files and spreadsheets: each becomes ``table`` or ``timeseries`` items once read."""

MODALITY_BY_EXTENSION: dict[str, str] = {
    **{ext: CSV for ext in CSV_EXTENSIONS | SPREADSHEET_EXTENSIONS},
    **{ext: "text" for ext in TEXT_EXTENSIONS},
    **{ext: "image" for ext in IMAGE_EXTENSIONS},
    **{ext: "audio" for ext in AUDIO_EXTENSIONS},
}

CONVERT_HINTS: dict[str, str] = {
    ".numbers": "export the sheet as CSV",
    ".parquet": "export it as CSV",
    ".npy": "save the array as CSV",
    ".rtf": "save it as .txt or .docx",
    ".doc": "save it as .docx",
}
"""What to tell a user who drops a file we cannot read but could after a quick conversion."""

# Files that operating systems and office programs leave in folders; skipped silently, not reported.
OS_CLUTTER = frozenset({"thumbs.db", "desktop.ini", "__macosx", "$recycle.bin", "system volume information"})


def dialog_filter() -> str:
    """The name filters of an "Open files" dialog: everything readable first, then each kind."""
    kinds = [
        ("Tables and time series", CSV_EXTENSIONS | SPREADSHEET_EXTENSIONS),
        ("Documents", TEXT_EXTENSIONS),
        ("Images", IMAGE_EXTENSIONS),
        ("Audio", AUDIO_EXTENSIONS),
    ]
    patterns = [(name, " ".join(f"*{e}" for e in sorted(extensions))) for name, extensions in kinds]
    everything = " ".join(pattern for _, pattern in patterns)
    filters = [f"Everything DataMining6 reads ({everything})", *(f"{n} ({p})" for n, p in patterns)]
    return ";;".join([*filters, "All files (*)"])


def modality_of(path: Path) -> str | None:
    """``csv``, ``text``, ``image``, ``audio``, or ``None`` for an unsupported file."""
    return MODALITY_BY_EXTENSION.get(path.suffix.lower())


def is_hidden(path: Path) -> bool:
    """Dot-files and dot-folders are skipped when scanning folders (``.git``, ``.DS_Store``)."""
    return path.name.startswith(".")


OWNER_FILE = "~$"
"""How Word and Excel name the small lock file beside a document they have open ("~$book.xlsx"):
not a document, and reported as a damaged one it alarmed users whose file was merely open."""


def is_clutter(path: Path) -> bool:
    return path.name.lower() in OS_CLUTTER or path.name.startswith(OWNER_FILE)
