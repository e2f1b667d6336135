"""Spreadsheets (Excel and OpenDocument) read as CSV text, so that they take the CSV path's repairs.

Analysts keep their tables in workbooks; saving each sheet as CSV first is a step they should not
need. python-calamine (a compiled reader, no Excel needed) reads ``.xlsx``, ``.xlsm``, ``.xlsb``,
``.xls`` and ``.ods``. The sheet ``Spec.sheet`` names is read, else the first that holds a table
(two or more columns; else the first with data); the others with data are named in a warning. A
title above the table ("Sales 2024" in A1, then a blank row, then the header) is skipped with a
warning instead of becoming items and hiding the header. Cells are written as the CSV reader
expects them: numbers in full precision, dates in ISO form, empty cells empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.ingest.filetypes import SPREADSHEET_EXTENSIONS

__all__ = ["SPREADSHEET_EXTENSIONS", "SheetError", "SheetText", "sheet_text"]

TITLE_SEARCH_ROWS = 20
"""Rows looked at for a title above the header."""
MAX_CELLS = 20_000_000
"""Cells of one sheet's used range read at most: the reader holds every cell of the range (about
32 bytes each), so a stray value at XFD1048576 beside a small table would ask for 500 GB."""


class SheetError(Exception):
    """The workbook cannot be used; ``str(exc)`` is the message for the user."""


@dataclass
class SheetText:
    """One sheet of a workbook as CSV text, which sheet it was, and which others hold data."""

    text: str
    sheet: str
    sheets: list[str]
    """Every sheet with data, in the workbook's order (what ``Spec.sheet`` may name)."""


def sheet_text(path: Path, warn: Callable[[str], None], sheet: str | None = None) -> SheetText:
    """The sheet named ``sheet``, else the first that holds a table, as CSV text; ``warn`` hears
    what was left out."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as error:
        raise SheetError(
            "Reading spreadsheets needs the python-calamine package (pip install python-calamine); "
            "or save the sheet as CSV."
        ) from error
    huge = {name: size for name, size in _xlsx_ranges(path).items() if size[0] * size[1] > MAX_CELLS}
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [n for n in workbook.sheet_names if n not in huge]
        sheets = [(n, _trimmed(workbook.get_sheet_by_name(n).to_python())) for n in names]
    except Exception as error:  # calamine's errors have no common base beyond Exception
        raise SheetError(
            f"The spreadsheet cannot be read ({_reason(error)}); if it opens in a spreadsheet program, "
            "save the sheet as CSV."
        ) from error
    for name, (height, width) in huge.items():
        said = (
            f"The sheet '{name}' spans {height:,} rows × {width:,} columns, more than the {MAX_CELLS:,} "
            "cells read from a sheet (a stray value far from the table?): delete what lies beyond the "
            "table, or save the table as CSV."
        )
        if not any(rows for _, rows in sheets):
            raise SheetError(said)
        warn(said)
    filled = [(name, rows) for name, rows in sheets if rows]
    if not filled:
        raise SheetError("Every sheet of the workbook is empty; there is nothing to read.")
    # A first sheet of notes (one column of text) before the data is common: prefer a table.
    tables = [(n, rows) for n, rows in filled if max(_filled(row) for row in rows[:TITLE_SEARCH_ROWS]) >= 2]
    name, rows = next(((n, r) for n, r in filled if n == sheet), (tables or filled)[0])
    if sheet is not None and sheet != name:
        warn(f"The workbook has no sheet '{sheet}' with data; '{name}' was read.")
    others = [n for n, _ in filled if n != name]
    if others:
        listed = ", ".join(f"'{n}'" for n in others)
        warn(
            f"Only the sheet '{name}' was read; {listed} also hold{'s' if len(others) == 1 else ''} "
            "data: choose another under Sheet in the settings, or with --sheet."
        )
    title, rows = _without_title(rows)
    if title:
        warn(f"The title above the table ({title}) was skipped.")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[_cell(v) for v in row] for row in rows])
    return SheetText(out.getvalue(), name, [n for n, _ in filled])


def _xlsx_ranges(path: Path) -> dict[str, tuple[int, int]]:
    """(rows, columns) of each sheet's used range as an Excel workbook records it, read before the
    reader would hold it all; {} for other formats or when the workbook does not say."""
    try:
        with zipfile.ZipFile(path) as book:
            sheets = _tags(_text(book, "xl/workbook.xml"), "sheet")
            targets = {
                t.get("Id"): t.get("Target", "")
                for t in _tags(_text(book, "xl/_rels/workbook.xml.rels"), "Relationship")
            }
            sizes = {}
            for sheet in sheets:
                target = targets.get(sheet.get("r:id"), "").lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                found = _DIMENSION.search(_text(book, member, 4096))
                if found and found.group(3):
                    rows = int(found.group(4)) - int(found.group(2)) + 1
                    columns = _column(found.group(3)) - _column(found.group(1)) + 1
                    sizes[html.unescape(sheet.get("name", ""))] = (rows, columns)
            return sizes
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}  # the reader says what is wrong with the file


_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _tags(xml: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every ``<tag ...>`` element, in any order (no XML parser for two lookups)."""
    return [
        dict(re.findall(r'([\w:]+)="([^"]*)"', attributes))
        for attributes in re.findall(rf"<{tag}\b([^>]*)>", xml)
    ]


def _text(book: zipfile.ZipFile, member: str, size: int = -1) -> str:
    with book.open(member) as handle:
        return handle.read(size).decode("utf-8", "replace")


def _column(letters: str) -> int:
    """Excel's column letters as a number: A = 1, Z = 26, AA = 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) < 200 else text[:200] + "…"


def _filled(row: Sequence[Any]) -> int:
    return sum(v not in ("", None) for v in row)


def _trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """Without empty rows at the top and bottom and empty columns at either side."""
    rows = [list(row) for row in rows]
    while rows and not _filled(rows[0]):
        rows.pop(0)
    while rows and not _filled(rows[-1]):
        rows.pop()
    used = [j for row in rows for j, v in enumerate(row) if v not in ("", None)]
    if not used:
        return []
    first, last = min(used), max(used)
    return [row[first : last + 1] for row in rows]


def _without_title(rows: list[list[Any]]) -> tuple[str, list[list[Any]]]:
    """Rows above the header that hold one cell each (a title, a note) are dropped; their text is returned.

    The header is the first row filled at least half as wide as the widest of the first rows.
    """
    head = rows[:TITLE_SEARCH_ROWS]
    widest = max(_filled(row) for row in head)
    if widest < 2:
        return "", rows
    start = next(i for i, row in enumerate(head) if 2 * _filled(row) >= widest)
    above = rows[:start]
    if not above or any(_filled(row) > 1 for row in above):
        return "", rows
    words = [str(v).strip() for row in above for v in row if v not in ("", None)]
    title = "; ".join(f"'{w[:60]}'" for w in words[:3]) + (" …" if len(words) > 3 else "")
    return title, rows[start:]


def _cell(value: Any) -> str:
    """A cell as the CSV reader reads it back: 3 not 3.0, ISO dates, TRUE/FALSE, empty for empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds" if value.microsecond == 0 else "auto")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return repr(value.total_seconds())
    return str(value)
