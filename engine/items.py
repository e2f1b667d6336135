"""What the engine analyses: items, the collection that holds them, and per-file problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODALITIES = ("table", "timeseries", "text", "image", "audio")


class ItemError(Exception):
    """One item cannot be read or embedded; the message says why, for the user.

    Raised by ingest's readers and the embedders' ``load``; lives here so that both can use it
    without one package importing the other.
    """


def plural(n: int, word: str) -> str:
    """``1 row``, ``2 rows``: counts in messages read as sentences, not ``row(s)``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class Item:
    """One thing to cluster: a file, or one row / one series inside a CSV file.

    ``label`` is a hint for external metrics: the parent folder's name for files, or the value
    of a label column for CSV rows.  ``row`` is the row index inside a CSV file, else ``None``.
    """

    id: int
    path: Path
    modality: str
    label: str | None = None
    row: int | None = None
    name: str = ""

    @property
    def display_name(self) -> str:
        return self.name or (f"{self.path.name}[{self.row}]" if self.row is not None else self.path.name)


@dataclass(frozen=True)
class Problem:
    """A file (or part of one) that could not be used, with a message written for the user."""

    path: Path
    stage: str
    message: str
    severity: str = "error"
    """``error``: the file (or rows) were left out; ``warning``: used, but something was repaired or
    needs a look; ``skipped``: a file of a kind DataMining6 does not read (nothing wrong with it)."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class CsvGroup:
    """CSV files of one kind (the same columns) that are analysed together, or not at all."""

    key: str
    """What ``Spec.csv_group`` names to analyse this group (the path of its first file)."""
    modality: str
    files: tuple[Path, ...]
    n_items: int
    label: str
    """For a settings combo box: "wine.csv: 178 rows (13 columns: alcohol, ash, ...)"."""
    analysed: bool


SEVERITIES = ("error", "warning", "skipped")
"""Problem severities, the ones that need the user's attention first."""


def worst_first(problems: Iterable[Problem]) -> list[Problem]:
    """Errors, then warnings, then skipped files, each in the order found.

    A dropped project folder can hold hundreds of files of other kinds; listed first (or by name),
    they hid the one file whose rows were cut.
    """
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    return sorted(problems, key=lambda p: rank.get(p.severity, 0))


def needing_a_look(problems: Iterable[Problem]) -> list[Problem]:
    """The errors and warnings: every problem but the files of kinds not read."""
    return [p for p in problems if p.severity != "skipped"]


def tally(problems: Sequence[Problem]) -> str:
    """E.g. "2 problems", or "2 problems, 34 files skipped" when files of kinds not read were passed over."""
    look = len(needing_a_look(problems))
    skipped = len(problems) - look
    return plural(look, "problem") + (f", {plural(skipped, 'file')} skipped" if skipped else "")


def skipped_summary(problems: Iterable[Problem]) -> str:
    """E.g. "706 files of kinds not read (.py 500, .pyc 200, .svg 6)", or "" when none were skipped."""
    kinds = Counter(
        Path(p.path).suffix.lower() or "no extension" for p in problems if p.severity == "skipped"
    )
    if not kinds:
        return ""
    total = sum(kinds.values())
    listed = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common(6))
    more = f" and {len(kinds) - 6} more kinds" if len(kinds) > 6 else ""
    return f"{plural(total, 'file')} of kinds not read ({listed}{more})"


@dataclass
class CsvFile:
    """How one CSV file was read: its dialect, the layout chosen and the columns that play a part.

    Notes, the settings panel's label choices and saved projects read these; column lists are cut
    at ``engine.ingest.csv_file.MAX_INFO_COLUMNS`` names (wide files can have thousands).
    """

    kind: str
    """``table`` or ``timeseries``."""
    format: str
    """``rows`` for tables; ``wide``, ``long`` or ``file`` for time series."""
    delimiter: str | None
    decimal: str
    thousands: str | None
    header: bool
    encoding: str
    rows: int
    columns: list[str]
    label_column: str | None = None
    name_column: str | None = None
    """The column naming the items (tables and wide series)."""
    id_column: str | None = None
    """The column telling series apart (long format)."""
    time_column: str | None = None
    numeric_columns: list[str] = field(default_factory=list)
    categorical_columns: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    """Table columns not used as features (identifiers, free text, empty columns)."""
    value_columns: list[str] = field(default_factory=list)
    """The columns holding a series' values (time series only)."""
    sheet: str | None = None
    """The sheet read, for a spreadsheet."""
    sheets: list[str] = field(default_factory=list)
    """Every sheet of a spreadsheet that holds data (what ``Spec.sheet`` may name)."""


@dataclass
class Collection:
    """Items in a fixed order plus what ingest could not read.

    Row ``i`` of every vector array the engine produces belongs to ``items[i]``.  Modality
    payloads that are cheap to keep live here: ``tables`` holds the numeric feature matrix of
    table rows (one row per table item, in item order) and ``series`` one float array per
    time-series item (keyed by item id).  Files of other modalities are read by their embedder.
    ``csv_files`` says how each CSV file was read and ``one_hot`` which features are the 0/1
    indicators of one categorical column (source column -> its features).
    """

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    table_features: np.ndarray | None = None
    feature_names: list[str] = field(default_factory=list)
    series: dict[int, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    note_kinds: dict[str, str] = field(default_factory=dict)
    """Note -> the modality it is about (how a CSV file was read), for notes about one kind only."""
    csv_files: dict[Path, CsvFile] = field(default_factory=dict)
    one_hot: dict[str, list[str]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    groups: list[CsvGroup] = field(default_factory=list)
    """Every group of CSV files found, the analysed one of each modality marked (see ``Spec.csv_group``)."""

    def __len__(self) -> int:
        return len(self.items)

    @property
    def modalities(self) -> list[str]:
        """Modalities present, most common first."""
        return list(self.kinds())

    def kinds(self) -> dict[str, int]:
        """How many items of each modality, most common first."""
        return dict(Counter(item.modality for item in self.items).most_common())

    def add_note(self, note: str, modality: str | None = None) -> None:
        """Keep ``note``; with ``modality``, only a run of that kind shows it (see :meth:`notes_on`)."""
        self.notes.append(note)
        if modality is not None:
            self.note_kinds[note] = modality

    def notes_on(self, analysed: str) -> list[str]:
        """The notes a run of ``analysed`` items needs: how its CSV files were read, not the others'."""
        return [n for n in self.notes if self.note_kinds.get(n, analysed) == analysed]

    def mix_note(self, analysed: str) -> str | None:
        """What a folder of several kinds of items holds and which kind one run clusters, else None.

        Vectors of different kinds cannot share a map, so a run takes one kind; the user must know
        the rest were not forgotten but left for another run.
        """
        counts = self.kinds()
        kinds = list(counts)
        if len(kinds) < 2:
            return None
        held = ", ".join(f"{counts[m]} {m}" for m in kinds[:-1]) + f" and {counts[kinds[-1]]} {kinds[-1]}"
        others = ", ".join(m for m in kinds if m != analysed)
        return (
            f"The input holds {held} items; this run clusters the {counts[analysed]} {analysed} items. "
            f"To cluster the others ({others}), choose them in the Modality box (window) or with "
            "--modality (command line)."
        )

    def labels(self) -> list[str | None]:
        return [item.label for item in self.items]

    def table_rows(self) -> dict[int, int]:
        """Item id -> its row of ``table_features`` (table items only, in item order)."""
        return {it.id: row for row, it in enumerate(i for i in self.items if i.modality == "table")}

    def only(self, modality: str) -> Collection:
        """The sub-collection of one modality (see :meth:`subset`)."""
        rows = [i for i, it in enumerate(self.items) if it.modality == modality]
        return self if len(rows) == len(self.items) else self.subset(rows)

    def subset(self, rows: list[int]) -> Collection:
        """The items at ``rows``, renumbered 0..n-1 so vectors stay aligned; payloads follow them.

        Problems, notes and what was learnt about the files are shared with this collection, not copied.
        """
        kept = [self.items[i] for i in rows]
        new_items = [
            Item(id=j, path=it.path, modality=it.modality, label=it.label, row=it.row, name=it.name)
            for j, it in enumerate(kept)
        ]
        table = None
        if self.table_features is not None:
            table_rows = self.table_rows()
            picked = [table_rows[it.id] for it in kept if it.id in table_rows]
            table = self.table_features[picked] if picked else None
        return Collection(
            items=new_items,
            problems=self.problems,
            table_features=table,
            feature_names=list(self.feature_names) if table is not None else [],
            series={j: self.series[it.id] for j, it in enumerate(kept) if it.id in self.series},
            notes=self.notes,
            note_kinds=self.note_kinds,
            csv_files=self.csv_files,
            one_hot=self.one_hot,
            info=self.info,
            groups=self.groups,
        )
