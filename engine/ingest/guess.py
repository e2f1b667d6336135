"""Deciding what one CSV file holds: a table (rows are items) or time series, and in which layout.

The rule, tried in this order (``csv_kind="auto"``):

1. **long** time series: a series-id column (``id``, ``series``...) and a time column (``time``,
   ``t``, ``timestamp``, ``date``...) and a numeric value column, with at least
   :data:`LONG_MIN_ROWS_PER_ID` rows per id on average.  One series per id, ordered by time.
2. **wide** time series: at least :data:`WIDE_MIN_COLUMNS` numeric columns, all of them after up
   to two leading label/id columns, with no header or headers that count time (``0 1 2``,
   ``t1 t2``, dates).  One series per row.
3. **one series per file**: no label column, no text column other than a time column, at least
   :data:`PER_FILE_MIN_ROWS` rows, and either a single value column or a time column next to
   several (one channel each).  The label is the parent folder's name.
4. otherwise a **table**.

``csv_kind="table"`` always reads a table; ``"timeseries"`` tries long, then wide (many columns,
or a label or id column), then one series per file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.ingest import columns as col
from engine.ingest.csv_reader import CsvError, RawTable

WIDE_MIN_COLUMNS = 20
LONG_MIN_ROWS_PER_ID = 3
PER_FILE_MIN_ROWS = 20
MAX_CHANNELS = 64
"""More value columns than this in one file is a table (or wide series), not channels."""


@dataclass(frozen=True)
class Plan:
    """How to turn one parsed file into items."""

    kind: str
    """``table`` or ``timeseries``."""
    format: str
    """``rows`` for tables; ``wide``, ``long`` or ``file`` for time series."""
    label: str | None = None
    name: str | None = None
    """Column naming the items: an identifier (tables, wide) or the series id (long)."""
    time: str | None = None
    values: tuple[str, ...] = ()
    """Columns holding the series values (time series only)."""


def plan(raw: RawTable, csv_kind: str = "auto", label_column: str | None = None) -> Plan:
    """The layout of ``raw``; raises :class:`CsvError` when a named label column is missing."""
    if csv_kind not in ("auto", "table", "timeseries"):
        raise ValueError(f"csv_kind must be 'auto', 'table' or 'timeseries', not {csv_kind!r}")
    names = list(raw.frame.columns)
    label, label_error = col.find_label_column(names, label_column)
    if label is not None and label_column is None and not _usable_label(raw.frame[label]):
        label = None  # a measurement called 'y' (x, y, z), not a class code
    forced = csv_kind == "timeseries"

    def checked(result: Plan) -> Plan:
        if label_error:
            raise CsvError(label_error)
        return result

    if csv_kind == "table":
        return checked(Plan("table", "rows", label=label))
    long = _long(raw, label, forced, auto_label=label_column is None)
    if long:
        return checked(long)
    wide = _wide(raw, label, label_column, forced)
    if wide:
        return checked(wide)
    per_file = _per_file(raw, label, forced)
    if per_file:
        return per_file  # a label column setting does not apply: the folder names the class
    if forced:
        raise CsvError("No numeric columns to read as a time series; choose 'table' or check the file.")
    return checked(Plan("table", "rows", label=label))


def _usable_label(values: pd.Series) -> bool:
    """Text, or a few distinct whole numbers: something that names a class rather than measures it."""
    return not pd.api.types.is_numeric_dtype(values) or col.is_small_integer_code(values)


def _long(raw: RawTable, label: str | None, forced: bool, auto_label: bool) -> Plan | None:
    frame = raw.frame
    names = [c for c in frame.columns if c != label]
    id_col = next((c for c in names if col.is_series_id_name(c)), None)
    time_col = next((c for c in names if c != id_col and col.is_time_name(c)), None)
    if id_col is None or time_col is None or col.as_time(frame[time_col]) is None:
        return None
    if label is not None and auto_label and frame.groupby(id_col)[label].nunique().max() > 1:
        label = None  # changes within a series: a measurement, not the series' class
    values = tuple(c for c in raw.numeric if c not in (id_col, time_col, label) and c not in raw.unnamed)
    n_ids = frame[id_col].nunique()
    if not values or n_ids == 0 or len(frame) / n_ids < (2 if forced else LONG_MIN_ROWS_PER_ID):
        return None
    return Plan("timeseries", "long", label=label, name=id_col, time=time_col, values=values)


def _wide(raw: RawTable, label: str | None, label_column: str | None, forced: bool) -> Plan | None:
    frame = raw.frame
    names = list(frame.columns)
    numeric = set(raw.numeric)
    lead: list[str] = []
    for i, name in enumerate(names[:2]):
        values = frame[name]
        if name == label or name not in numeric or col.is_id_name(name) or name in raw.unnamed:
            lead.append(name)
        elif (
            i == 0
            and not raw.dialect.header
            and label_column is None
            and col.is_small_integer_code(values)
            and len(names) > WIDE_MIN_COLUMNS
        ):
            lead.append(name)  # UCR style: the class code leads each headerless row
        else:
            break
    rest = [c for c in names if c not in lead and c != label]
    values = tuple(c for c in rest if c in numeric)
    if not values:
        return None
    name_col = next(
        (
            c
            for c in lead
            if c != label and (c not in numeric or col.is_id_name(c)) and col.is_unique_per_row(frame[c])
        ),
        None,
    )
    if label is None and label_column is None:
        label = next((c for c in lead if c != name_col and not col.is_row_counter(frame[c])), None)
    if forced:
        if len(values) >= WIDE_MIN_COLUMNS or label is not None or name_col is not None:
            return Plan("timeseries", "wide", label=label, name=name_col, values=values)
        return None
    if len(values) < WIDE_MIN_COLUMNS or len(values) != len(rest):
        return None
    if raw.dialect.header and not col.looks_like_steps(list(values)):
        return None
    return Plan("timeseries", "wide", label=label, name=name_col, values=values)


def _per_file(raw: RawTable, label: str | None, forced: bool) -> Plan | None:
    frame = raw.frame
    names = list(frame.columns)
    numeric = set(raw.numeric)
    time_col = next((c for c in names if col.is_time_name(c) and col.as_time(frame[c]) is not None), None)
    if time_col is None:
        time_col = next((c for c in names if c not in numeric and col.as_time(frame[c]) is not None), None)
    others = [c for c in names if c != time_col]
    values = tuple(c for c in others if c in numeric and c not in raw.unnamed)
    if not values:
        return None
    if forced:
        return Plan("timeseries", "file", time=time_col, values=values)
    text_others = [c for c in others if c not in numeric]
    if label is not None or text_others or len(frame) < PER_FILE_MIN_ROWS or len(values) > MAX_CHANNELS:
        return None
    if len(values) > 1 and time_col is None:
        return None
    return Plan("timeseries", "file", time=time_col, values=values)
