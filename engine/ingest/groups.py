"""CSV files of different kinds in one input: each group of files with the same columns is an input.

Iris and wine in one folder must not become one table of 328 rows with median-filled columns:
files are grouped by their columns (tables) or by their layout and value columns (time series),
the largest group of each modality is analysed, and the others are listed on the collection
(:attr:`engine.items.Collection.groups`) so that the user can pick one (``Spec.csv_group``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.ingest.csv_file import CsvLoad
from engine.ingest.tables import TableBlock
from engine.items import CsvGroup


def signature(load: CsvLoad) -> tuple:
    """What files must share to be analysed together: table columns, or series layout and values."""
    block, plan = load.block, load.plan
    if isinstance(block, TableBlock):
        return ("table", tuple(sorted(block.source_columns)))
    if plan.format == "wide":  # values are time steps: series of other lengths are the same kind
        return ("timeseries", "wide")
    return ("timeseries", plan.format, tuple(plan.values))


@dataclass
class _Group:
    signature: tuple
    paths: list[Path] = field(default_factory=list)
    rows: list[range] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(r) for r in self.rows)


def _describe(group: _Group) -> str:
    kind = group.signature[0]
    columns = group.signature[-1] if kind == "table" or group.signature[1] != "wide" else ()
    shown = ", ".join(columns[:4]) + (", ..." if len(columns) > 4 else "")
    what = "rows" if kind == "table" else "series"
    head = group.paths[0].name + (f" and {len(group.paths) - 1} more" if len(group.paths) > 1 else "")
    return f"{head}: {group.size} {what}" + (f" ({len(columns)} columns: {shown})" if columns else "")


def choose_groups(
    blocks: list[tuple[tuple, Path, range]], requested: str | None
) -> tuple[set[Path], list[CsvGroup], list[tuple[str, str]]]:
    """Which files to keep, every group found, and (modality, note) pairs on what was left out.

    ``blocks`` holds each CSV file's signature, path and item rows, in file order. Per modality the
    requested group (its key, or the name or path of one of its files) is kept, else the largest.
    """
    groups: dict[tuple, _Group] = {}
    for sig, path, rows in blocks:
        group = groups.setdefault(sig, _Group(sig))
        group.paths.append(path)
        group.rows.append(rows)
    kept: set[Path] = set()
    found: list[CsvGroup] = []
    notes: list[tuple[str, str]] = []
    for modality in ("table", "timeseries"):
        mine = [g for g in groups.values() if g.signature[0] == modality]
        if not mine:
            continue
        chosen = next((g for g in mine if requested and _names(g, requested)), None)
        chosen = chosen or max(mine, key=lambda g: g.size)  # max keeps the first of equals: file order
        kept.update(chosen.paths)
        for g in mine:
            found.append(
                CsvGroup(str(g.paths[0]), modality, tuple(g.paths), g.size, _describe(g), g is chosen)
            )
        if len(mine) > 1:
            left = "; ".join(_describe(g) for g in mine if g is not chosen)
            notes.append(
                (
                    modality,
                    f"The {modality} files have different columns and were not merged: analysed "
                    f"{_describe(chosen)}; left out {left} (choose another group in the settings).",
                )
            )
    return kept, found, notes


def _names(group: _Group, requested: str) -> bool:
    return any(requested in (str(p), p.name) for p in group.paths)
