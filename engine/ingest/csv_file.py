"""One CSV file from bytes to a block of items: read, decide the layout, build table or series."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.ingest import guess, tables, timeseries
from engine.ingest.csv_reader import Report, read_csv
from engine.items import CsvFile

MAX_INFO_COLUMNS = 200
"""Column names kept in a :class:`~engine.items.CsvFile` list (wide files can have thousands)."""


@dataclass
class CsvLoad:
    """What one CSV file gave: a table block or a series block, and how it was read."""

    plan: guess.Plan
    block: tables.TableBlock | timeseries.SeriesBlock
    file: CsvFile


def load_csv(
    path: Path,
    *,
    csv_kind: str = "auto",
    label_column: str | None = None,
    folder_label: str | None = None,
    report: Report | None = None,
    sheet: str | None = None,
) -> CsvLoad:
    """Read and interpret one file; raises :class:`~engine.ingest.csv_reader.CsvError` if unusable.

    ``folder_label`` labels the item when the whole file is one series; ``report`` hears the
    reading's phases (see :func:`~engine.ingest.csv_reader.read_csv`); ``sheet`` names the sheet
    of a spreadsheet to read.
    """
    raw = read_csv(path, report, sheet)
    plan = guess.plan(raw, csv_kind, label_column)
    if plan.kind == "table":
        block: tables.TableBlock | timeseries.SeriesBlock = tables.build_table(raw, plan, report)
    elif plan.format == "wide":
        block = timeseries.build_wide(raw, plan)
    elif plan.format == "long":
        block = timeseries.build_long(raw, plan)
    else:
        block = timeseries.build_file(raw, plan, folder_label)
    d = raw.dialect
    details = {k: v[:MAX_INFO_COLUMNS] if isinstance(v, list) else v for k, v in block.info.items()}
    if plan.format != "file":
        details.setdefault("label_column", plan.label)
    file = CsvFile(
        kind=plan.kind,
        format=plan.format,
        delimiter=d.delimiter or None,
        decimal=d.decimal,
        thousands=d.thousands,
        header=d.header,
        encoding=raw.encoding,
        rows=int(len(raw.frame)),
        columns=list(raw.frame.columns)[:MAX_INFO_COLUMNS],
        sheet=raw.sheet,
        sheets=raw.sheets,
        **details,
    )
    return CsvLoad(plan=plan, block=block, file=file)


def dialect_phrase(file: CsvFile) -> str:
    """``';'-separated, decimal comma`` when the file is not a plain comma CSV, else ``""``."""
    parts = []
    if file.delimiter and file.delimiter != ",":
        parts.append("tab-separated" if file.delimiter == "\t" else f"'{file.delimiter}'-separated")
    if file.decimal == ",":
        parts.append("decimal comma")
    if not file.header:
        parts.append("no header line")
    if file.encoding not in ("utf-8", "utf-8-sig", "ascii"):
        parts.append(f"encoding {file.encoding}")
    return ", ".join(parts)
