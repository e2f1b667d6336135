"""Time-series files: one float array per item, 1-D for one channel, (length x channels) for more.

Three layouts (see :mod:`engine.ingest.guess` for how one is chosen): *wide* (a series per row),
*long* (rows of id, time, value; a series per id) and *file* (the whole file is one series).
Gaps inside a series are filled by linear interpolation; trailing gaps in a wide row mean the
series is shorter than the widest one and are cut off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.ingest import columns as col
from engine.ingest.csv_reader import STAGE, CsvError, RawTable, listed
from engine.ingest.guess import Plan
from engine.items import Problem, plural

MIN_LENGTH = 2


@dataclass
class SeriesBlock:
    """The series, labels, names and rows one file contributes."""

    path: Path
    arrays: list[np.ndarray]
    labels: list[str | None]
    names: list[str]
    rows: list[int | None]
    note: str
    info: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


def _lengths(arrays: list[np.ndarray]) -> str:
    lengths = [len(a) for a in arrays]
    lo, hi = min(lengths), max(lengths)
    return f"length {lo}" if lo == hi else f"lengths {lo}-{hi}"


def fill_gaps(values: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Interpolate NaNs along time, per channel; ``(None, n)`` when a channel has no value at all."""
    values = np.asarray(values, dtype=np.float64)
    mask = np.isnan(values)
    n_missing = int(mask.sum())
    if not n_missing:
        return values, 0
    out = values.reshape(len(values), -1).copy()
    steps = np.arange(len(out))
    for j in range(out.shape[1]):
        gaps = np.isnan(out[:, j])
        if gaps.all():
            return None, n_missing
        if gaps.any():
            out[gaps, j] = np.interp(steps[gaps], steps[~gaps], out[~gaps, j])
    return out.reshape(values.shape), n_missing


def build_wide(raw: RawTable, plan: Plan) -> SeriesBlock:
    """A series per row; the label and name columns come from ``plan``."""
    frame = raw.frame
    matrix = frame[list(plan.values)].to_numpy(dtype=np.float64)
    labels = col.label_strings(frame[plan.label]) if plan.label else [None] * len(frame)
    names = [col.id_text(v) for v in frame[plan.name].tolist()] if plan.name else [""] * len(frame)
    problems = list(raw.problems)
    arrays: list[np.ndarray] = []
    keep: list[int] = []
    empty, short, filled = [], [], 0
    has_gaps = np.isnan(matrix).any(axis=1)
    for i, row in enumerate(matrix):
        if has_gaps[i]:
            present = np.flatnonzero(~np.isnan(row))
            if present.size == 0:
                empty.append(int(raw.rows[i]))
                continue
            row, n = fill_gaps(row[: present[-1] + 1])
            filled += n
        if len(row) < MIN_LENGTH:
            short.append(int(raw.rows[i]))
            continue
        arrays.append(row)
        keep.append(i)
    if empty or short:
        problems.append(
            Problem(
                raw.path,
                STAGE,
                f"{len(empty) + len(short)} row(s) hold fewer than {MIN_LENGTH} values and were left out "
                f"(data rows {listed(sorted(empty + short))}).",
            )
        )
    if filled:
        problems.append(
            Problem(
                raw.path,
                STAGE,
                f"{plural(filled, 'missing value')} inside the series filled by linear interpolation.",
                severity="warning",
            )
        )
    if not arrays:
        raise CsvError("No row holds a usable series (every row is empty or too short).")
    note = f"read as time series, one per row (wide format), {len(arrays)} series of {_lengths(arrays)}, " + (
        f"label column '{plan.label}'" if plan.label else "no label column"
    )
    return SeriesBlock(
        path=raw.path,
        arrays=arrays,
        labels=[labels[i] for i in keep],
        names=[names[i] for i in keep],
        rows=[int(raw.rows[i]) for i in keep],
        note=note,
        info={"label_column": plan.label, "name_column": plan.name, "value_columns": list(plan.values)},
        problems=problems,
    )


def build_long(raw: RawTable, plan: Plan) -> SeriesBlock:
    """A series per id, ordered by time; the label is the id's (most common) label value."""
    frame = raw.frame
    problems = list(raw.problems)
    ids = frame[plan.name]
    if ids.isna().any():
        problems.append(
            Problem(
                raw.path,
                STAGE,
                f"{int(ids.isna().sum())} row(s) have no value in the id column '{plan.name}' "
                "and were left out.",
                severity="warning",
            )
        )
    time = col.as_time(frame[plan.time])
    work = pd.DataFrame({"id": ids, "time": time, "order": np.arange(len(frame))})
    if plan.label:
        work["label"] = col.label_strings(frame[plan.label])
    work = work[work["id"].notna()]
    values = frame[list(plan.values)].to_numpy(dtype=np.float64)
    arrays, labels, names = [], [], []
    mixed, empty, filled = [], [], 0
    for key, group in work.groupby("id", sort=False):  # ids in order of first appearance
        order = group["order"].to_numpy()
        stamps = group["time"]
        if not stamps.is_monotonic_increasing:
            order = order[np.argsort(stamps.to_numpy(), kind="stable")]
        series = values[order]
        series = series[:, 0] if series.shape[1] == 1 else series
        series, n = fill_gaps(series)
        filled += n
        if series is None or len(series) < MIN_LENGTH:
            empty.append(col.id_text(key))
            continue
        arrays.append(series)
        names.append(col.id_text(key))
        if plan.label:
            counts = group["label"].dropna().value_counts()
            labels.append(str(counts.index[0]) if len(counts) else None)
            if len(counts) > 1:
                mixed.append(col.id_text(key))
        else:
            labels.append(None)
    if empty:
        problems.append(
            Problem(
                raw.path,
                STAGE,
                f"{len(empty)} series have fewer than {MIN_LENGTH} values in a channel and were left out "
                f"(ids {listed(empty)}).",
            )
        )
    if mixed:
        problems.append(
            Problem(
                raw.path,
                STAGE,
                f"The label changes within {len(mixed)} series (ids {listed(mixed)}); each took its most "
                "frequent label.",
                severity="warning",
            )
        )
    if filled:
        problems.append(_filled(raw.path, filled))
    if not arrays:
        raise CsvError(f"No id in the column '{plan.name}' has a usable series.")
    note = (
        f"read as time series in long format (id '{plan.name}', time '{plan.time}', "
        f"values {listed([repr(v) for v in plan.values], 3)}), {len(arrays)} series of {_lengths(arrays)}, "
        + (f"label column '{plan.label}'" if plan.label else "no label column")
    )
    return SeriesBlock(
        path=raw.path,
        arrays=arrays,
        labels=labels,
        names=names,
        rows=[None] * len(arrays),
        note=note,
        info={"label_column": plan.label, "id_column": plan.name, "time_column": plan.time},
        problems=problems,
    )


def build_file(raw: RawTable, plan: Plan, label: str | None) -> SeriesBlock:
    """The whole file as one series (several value columns are channels); ``label`` from its folder."""
    frame = raw.frame
    problems = list(raw.problems)
    values = frame[list(plan.values)].to_numpy(dtype=np.float64)
    if plan.time:
        time = col.as_time(frame[plan.time])
        if time is not None and not time.is_monotonic_increasing:
            values = values[np.argsort(time.to_numpy(), kind="stable")]
    series = values[:, 0] if values.shape[1] == 1 else values
    series, filled = fill_gaps(series)
    if series is None:
        raise CsvError("A value column of this series holds no numbers at all.")
    if len(series) < MIN_LENGTH:
        raise CsvError(f"The series has {len(series)} value(s); at least {MIN_LENGTH} are needed.")
    if filled:
        problems.append(_filled(raw.path, filled))
    channels = 1 if series.ndim == 1 else series.shape[1]
    note = f"read as one time series of length {len(series)}, {plural(channels, 'channel')}"
    return SeriesBlock(
        path=raw.path,
        arrays=[series],
        labels=[label],
        names=[""],
        rows=[None],
        note=note,
        info={"time_column": plan.time, "value_columns": list(plan.values)},
        problems=problems,
    )


def _filled(path: Path, filled: int) -> Problem:
    """The warning for gaps filled along time: the values are estimates, not measurements."""
    message = f"{plural(filled, 'missing value')} filled by linear interpolation along time."
    return Problem(path, STAGE, message, severity="warning")
