"""Turning dropped files and folders into a :class:`~engine.items.Collection`.

Folders are walked depth-first in sorted name order, so the same input always gives the same item
order.  Every file that cannot be used becomes a :class:`~engine.items.Problem` and the run goes
on; only cancellation raises.
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.ingest import csv_reader, filetypes, groups
from engine.ingest.csv_file import CsvLoad, dialect_phrase, load_csv
from engine.ingest.tables import TableBlock, align_tables
from engine.ingest.timeseries import SeriesBlock
from engine.items import Collection, Item, Problem
from engine.progress import NEVER_CANCELLED, Cancelled, CancelToken, Progress, detailed, no_progress

STAGE = csv_reader.STAGE
REPORTED_CSV_BYTES = 4 << 20
"""CSV files from this size on report their rows as they are read (smaller ones take well under 1 s)."""
ITEMS_CHUNK = 50_000
"""Items made between two reports of a big file."""
SUPPORTED = "CSV, text documents, images or audio"


def scan(
    paths: Sequence[Path],
    *,
    csv_kind: str = "auto",
    label_column: str | None = None,
    csv_group: str | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Collection:
    """Find every supported file under ``paths`` and read the CSV files among them.

    ``csv_kind`` is ``auto`` (guess per file), ``table`` or ``timeseries``; ``label_column``
    names the table column holding known classes (``None``: detect by name, ``""``: none).
    CSV files with different columns are not merged: ``csv_group`` names the group to read (see
    :mod:`engine.ingest.groups`), else the largest is read and ``Collection.groups`` lists all.
    ``sheet`` names the sheet to read in spreadsheets that have it (else each one's first table).
    Text, image and audio files become one item each; their content is read by the embedders.
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    collection = Collection()
    files = _find_files([Path(p) for p in paths], collection.problems, cancel)
    total = len(files)
    progress(STAGE, 0, total)
    builder = _Builder(collection, csv_group, sheet)
    for done, (path, modality) in enumerate(files, 1):
        cancel.raise_if_cancelled()
        if modality == filetypes.CSV:
            builder.add_csv(path, csv_kind, label_column, _file_report(path, progress, cancel))
        else:
            builder.add_file(path, modality)
        progress(STAGE, done, total)
    builder.finish()
    collection.info["files"] = {"found": total, "by_modality": dict(Counter(m for _, m in files))}
    return collection


def _file_report(path: Path, progress: Progress, cancel: CancelToken) -> csv_reader.Report | None:
    """``report(phase, done, total)`` for a big CSV file: ``ingest (name.csv: parsing)``, Cancel heard."""
    try:
        if path.stat().st_size < REPORTED_CSV_BYTES:
            return None
    except OSError:
        return None  # the reader says what is wrong with it

    def report(phase: str, done: int, total: int) -> None:
        cancel.raise_if_cancelled()
        progress(detailed(STAGE, f"{path.name}: {phase}"), done, total)

    return report


def folder_label(path: Path) -> str | None:
    """The label hint of a file: the name of the folder it sits in."""
    return path.absolute().parent.name or None


# ---- finding files -------------------------------------------------------------------------


def _find_files(paths: list[Path], problems: list[Problem], cancel: CancelToken) -> list[tuple[Path, str]]:
    """``(path, modality)`` of every supported file, each real file once, in a stable order."""
    found: list[tuple[Path, str]] = []
    seen: set[tuple[int, int]] = set()
    visited: set[tuple[int, int]] = set()
    for path in paths:
        if path.is_dir():
            before = len(found)
            _walk(path, found, seen, visited, problems, cancel)
            if len(found) == before:
                problems.append(
                    Problem(
                        path, STAGE, f"The folder holds no supported files ({SUPPORTED}).", severity="warning"
                    )
                )
        elif path.is_file():
            _add_file(path, found, seen, problems)
        elif path.is_symlink():
            problems.append(Problem(path, STAGE, _dead_link(path)))
        elif path.exists():
            problems.append(Problem(path, STAGE, "This is not a regular file or folder; it was skipped."))
        else:
            problems.append(
                Problem(path, STAGE, "The path does not exist; check that it was not moved or renamed.")
            )
    return found


def _dead_link(path: Path) -> str:
    """Why a symbolic link leads nowhere: a loop (it points to itself) or a missing target."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "The link points to itself (a loop of symbolic links); it was skipped."
    return "The link points to a file that does not exist."


def _walk(
    folder: Path,
    found: list[tuple[Path, str]],
    seen: set[tuple[int, int]],
    visited: set[tuple[int, int]],
    problems: list[Problem],
    cancel: CancelToken,
) -> None:
    cancel.raise_if_cancelled()
    try:
        info = folder.stat()
    except OSError as exc:
        problems.append(Problem(folder, STAGE, f"The folder cannot be opened ({exc.strerror or exc})."))
        return
    key = (info.st_dev, info.st_ino)
    if key in visited:  # a symbolic link back up the tree, or a folder reached twice
        return
    visited.add(key)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        problems.append(
            Problem(
                folder, STAGE, f"The folder cannot be read ({exc.strerror or exc}); check its permissions."
            )
        )
        return
    for entry in entries:
        path = Path(entry.path)
        if filetypes.is_hidden(path) or filetypes.is_clutter(path):
            continue
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            is_dir = is_file = False
        if is_dir:
            _walk(path, found, seen, visited, problems, cancel)
        elif is_file:
            _add_file(path, found, seen, problems)
        elif entry.is_symlink():
            problems.append(Problem(path, STAGE, _dead_link(path), "warning"))


def _add_file(
    path: Path, found: list[tuple[Path, str]], seen: set[tuple[int, int]], problems: list[Problem]
) -> None:
    modality = filetypes.modality_of(path)
    if modality is None:
        kind = f"file type {path.suffix.lower()}" if path.suffix else "file without an extension"
        hint = filetypes.CONVERT_HINTS.get(path.suffix.lower())
        message = f"Unsupported {kind}, skipped." + (f" To use it, {hint}." if hint else "")
        problems.append(Problem(path, STAGE, message, severity="skipped"))
        return
    try:
        info = path.stat()
    except OSError as exc:
        problems.append(Problem(path, STAGE, f"The file cannot be opened ({exc.strerror or exc})."))
        return
    key = (info.st_dev, info.st_ino)
    if key in seen:
        return
    seen.add(key)
    found.append((path, modality))


# ---- building the collection ---------------------------------------------------------------


class _Builder:
    """Appends items in file order, so ids are sequential and table rows follow item order."""

    def __init__(
        self, collection: Collection, csv_group: str | None = None, sheet: str | None = None
    ) -> None:
        self.collection = collection
        self.csv_group, self.sheet = csv_group, sheet
        self.csv_blocks: list[tuple[tuple, Path, range]] = []
        self.file_notes: dict[Path, str] = {}
        """The "how it was read" note of each CSV file, dropped with the file when its group is not read."""
        self.tables: list[TableBlock] = []
        self.per_file: list[SeriesBlock] = []

    def _item(self, path: Path, modality: str, label: str | None, row: int | None, name: str) -> int:
        items = self.collection.items
        items.append(Item(id=len(items), path=path, modality=modality, label=label, row=row, name=name))
        return len(items) - 1

    def add_file(self, path: Path, modality: str) -> None:
        if not os.access(path, os.R_OK):
            self.collection.problems.append(
                Problem(path, STAGE, "The file cannot be read (permission denied); check its permissions.")
            )
            return
        self._item(path, modality, folder_label(path), None, "")

    def add_csv(
        self, path: Path, csv_kind: str, label_column: str | None, report: csv_reader.Report | None = None
    ) -> None:
        problems = self.collection.problems
        try:
            load = load_csv(
                path,
                csv_kind=csv_kind,
                label_column=label_column,
                folder_label=folder_label(path),
                report=report,
                sheet=self.sheet,
            )
        except Cancelled:
            raise
        except csv_reader.CsvError as exc:
            problems.append(Problem(path, STAGE, str(exc)))
            return
        except Exception as exc:  # a bad file must never stop the run
            problems.append(
                Problem(path, STAGE, f"The file could not be read ({type(exc).__name__}: {exc}).")
            )
            return
        self.collection.csv_files[path] = load.file
        problems.extend(load.block.problems)
        self._add_block(path, load, report)

    def _add_block(self, path: Path, load: CsvLoad, report: csv_reader.Report | None) -> None:
        start, notes = len(self.collection.items), len(self.collection.notes)
        self._add_items(path, load, report)
        if len(self.collection.notes) > notes:
            self.file_notes[path] = self.collection.notes[-1]
        self.csv_blocks.append((groups.signature(load), path, range(start, len(self.collection.items))))

    def _add_items(self, path: Path, load: CsvLoad, report: csv_reader.Report | None) -> None:
        block = load.block
        phrase = dialect_phrase(load.file)
        if isinstance(block, TableBlock):
            rows = block.rows.tolist()
            n = len(rows)
            for i, (label, row, name) in enumerate(zip(block.labels, rows, block.names, strict=True)):
                if report is not None and i % ITEMS_CHUNK == 0:
                    report("making items", i, n)
                self._item(path, "table", label, row, name)
            self.tables.append(block)
        else:
            for array, label, row, name in zip(
                block.arrays, block.labels, block.rows, block.names, strict=True
            ):
                self.collection.series[self._item(path, "timeseries", label, row, name)] = array
            if load.plan.format == "file":
                self.per_file.append(block)
                return
        note = f"{path.name}: {block.note}" + (f"; {phrase}" if phrase else "")
        self.collection.add_note(note, "table" if isinstance(block, TableBlock) else "timeseries")

    def _keep_one_group(self) -> None:
        """Drop the items of CSV files outside the chosen group of each modality, renumbering the rest."""
        collection = self.collection
        kept, collection.groups, notes = groups.choose_groups(self.csv_blocks, self.csv_group)
        for modality, note in notes:
            collection.add_note(note, modality)
        dropped = {i for _, path, rows in self.csv_blocks if path not in kept for i in rows}
        if not dropped:
            return
        unread = {self.file_notes[p] for _, p, _ in self.csv_blocks if p not in kept and p in self.file_notes}
        collection.notes[:] = [n for n in collection.notes if n not in unread]
        self.tables = [b for b in self.tables if b.path in kept]
        self.per_file = [b for b in self.per_file if b.path in kept]
        rest = collection.subset([i for i in range(len(collection.items)) if i not in dropped])
        collection.items, collection.series = rest.items, rest.series

    def finish(self) -> None:
        collection = self.collection
        self._keep_one_group()
        if self.tables:
            features, names = align_tables(self.tables)
            collection.table_features = features
            collection.feature_names = names
            # lets an embedder weigh a category's indicator columns as one feature
            one_hot = collection.one_hot
            for block in self.tables:
                for feature, source in block.sources.items():
                    if feature != source and feature not in one_hot.setdefault(source, []):
                        one_hot[source].append(feature)
            if len(self.tables) > 1:
                combined = f"{len(self.tables)} table files combined, features matched by column name "
                collection.add_note(combined + f"({len(names)} features in all).", "table")
        if len(self.per_file) == 1:
            block = self.per_file[0]
            phrase = dialect_phrase(collection.csv_files[block.path])
            collection.add_note(
                f"{block.path.name}: {block.note}, label '{block.labels[0]}' from its folder"
                + (f"; {phrase}" if phrase else ""),
                "timeseries",
            )
        elif self.per_file:
            arrays = [b.arrays[0] for b in self.per_file]
            lengths = [len(a) for a in arrays]
            channels = sorted({1 if a.ndim == 1 else a.shape[1] for a in arrays})
            labels = sorted({b.labels[0] for b in self.per_file if b.labels[0]})
            collection.add_note(
                f"{len(arrays)} CSV files read as one time series each "
                f"(lengths {min(lengths)}-{max(lengths)}, {'/'.join(map(str, channels))} channel(s)); "
                "labels from their folders: "
                + ", ".join(labels[:8])
                + (f" and {len(labels) - 8} more" if len(labels) > 8 else "")
                + ".",
                "timeseries",
            )
            if len(channels) > 1:
                collection.problems.append(
                    Problem(
                        self.per_file[0].path.parent,
                        STAGE,
                        "The series files have different numbers of channels "
                        f"({', '.join(map(str, channels))}); check that they hold the same measurements.",
                        severity="warning",
                    )
                )
        if collection.table_features is not None:
            collection.table_features = np.ascontiguousarray(collection.table_features, dtype=np.float64)
