"""One CSV file from bytes to a block of items: read, decide the layout, build table or series."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.ingest import guess, tables, timeseries
from engine.ingest.csv_reader import RawTable, read_csv

MAX_INFO_COLUMNS = 200
"""Column names kept in ``Collection.info`` per file (wide files can have thousands)."""


@dataclass
class CsvLoad:
    """What one CSV file gave: a table block or a series block, and how it was read."""

    plan: guess.Plan
    block: tables.TableBlock | timeseries.SeriesBlock
    info: dict[str, Any]


def load_csv(
    path: Path, *, csv_kind: str = "auto", label_column: str | None = None, folder_label: str | None = None
) -> CsvLoad:
    """Read and interpret one file; raises :class:`~engine.ingest.csv_reader.CsvError` if unusable.

    ``folder_label`` labels the item when the whole file is one series.
    """
    raw = read_csv(path)
    plan = guess.plan(raw, csv_kind, label_column)
    if plan.kind == "table":
        block: tables.TableBlock | timeseries.SeriesBlock = tables.build_table(raw, plan)
    elif plan.format == "wide":
        block = timeseries.build_wide(raw, plan)
    elif plan.format == "long":
        block = timeseries.build_long(raw, plan)
    else:
        block = timeseries.build_file(raw, plan, folder_label)
    info = {
        "kind": plan.kind,
        "format": plan.format,
        **_dialect_info(raw),
        **block.info,
    }
    if plan.format != "file":
        info.setdefault("label_column", plan.label)
    return CsvLoad(plan=plan, block=block, info=info)


def _dialect_info(raw: RawTable) -> dict[str, Any]:
    d = raw.dialect
    return {
        "delimiter": d.delimiter or None,
        "decimal": d.decimal,
        "thousands": d.thousands,
        "header": d.header,
        "encoding": raw.encoding,
        "rows": int(len(raw.frame)),
        "columns": list(raw.frame.columns)[:MAX_INFO_COLUMNS],
    }


def dialect_phrase(info: dict[str, Any]) -> str:
    """``';'-separated, decimal comma`` when the file is not a plain comma CSV, else ``""``."""
    parts = []
    delimiter = info.get("delimiter")
    if delimiter and delimiter != ",":
        parts.append("tab-separated" if delimiter == "\t" else f"'{delimiter}'-separated")
    if info.get("decimal") == ",":
        parts.append("decimal comma")
    if not info.get("header"):
        parts.append("no header line")
    if info.get("encoding") not in ("utf-8", "utf-8-sig", "ascii"):
        parts.append(f"encoding {info.get('encoding')}")
    return ", ".join(parts)
