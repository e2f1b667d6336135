"""What a column is for, judged from its name and values: label, identifier, time, or data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

LABEL_NAMES = (
    "class", "label", "target", "species", "category", "y", "classes", "labels", "cls", "segment", "group",
    "cluster", "outcome", "diagnosis", "genre", "ground_truth", "ground truth", "gt",
)  # fmt: skip
"""Column names (case-insensitive) taken as the known class, in order of preference; after them,
any name ending in ``_label``/``_class`` (``true_label``, ``activity class``)."""
_LABEL_SUFFIX = re.compile(r"^.+[ _](label|class)$", re.IGNORECASE)

_ID_NAME = re.compile(
    r"^(id|ids|uid|uuid|key|index|idx|name|names|identifier|filename|file|path|sample|sample[ _]?id"
    r"|[a-z]+[ _]?id|id[ _][a-z]+|[a-z]+[ _]name)$",
    re.IGNORECASE,
)
_SERIES_ID_NAME = re.compile(
    r"^(id|series|series[ _]?id|series[ _]?name|sid|ts[ _]?id|unit|unit[ _]?id|sensor|sensor[ _]?id"
    r"|entity|entity[ _]?id|item[ _]?id|case[ _]?id|subject|subject[ _]?id|key|name)$",
    re.IGNORECASE,
)
_TIME_NAME = re.compile(
    r"^(time|t|timestamp|date|datetime|date[ _]?time|ts|step|time[ _]?step|timestep|tick|seconds?|secs?"
    r"|ms|frame|epoch|time[ _]?\(?s\)?|time[ _]?\[?s\]?)$",
    re.IGNORECASE,
)
_STEP_NAME = re.compile(r"^\s*([A-Za-z_ \-]*?)[ _\-]?(\d+(?:\.\d+)?)\s*$")
_STEP_PREFIXES = frozenset(
    {
        "",
        "t",
        "time",
        "step",
        "timestep",
        "time_step",
        "ts",
        "sample",
        "s",
        "att",
        "value",
        "val",
        "v",
        "point",
        "tick",
        "frame",
        "lag",
        "day",
        "hour",
        "minute",
        "second",
        "sec",
        "week",
        "month",
        "year",
    }
)


def is_id_name(name: str) -> bool:
    return bool(_ID_NAME.match(name.strip()))


def is_series_id_name(name: str) -> bool:
    return bool(_SERIES_ID_NAME.match(name.strip()))


def is_time_name(name: str) -> bool:
    return bool(_TIME_NAME.match(name.strip()))


def find_label_column(columns: list[str], label_column: str | None) -> tuple[str | None, str | None]:
    """``(column, error)``: the label column to use, or a user message when the named one is absent.

    ``None`` looks for a column named like :data:`LABEL_NAMES` (but not ``y`` beside an ``x``
    column: that pair is coordinates); ``""`` means no label column.
    """
    if label_column == "":
        return None, None
    if label_column is not None:
        if label_column in columns:
            return label_column, None
        lowered = {c.strip().lower(): c for c in columns}
        if label_column.strip().lower() in lowered:
            return lowered[label_column.strip().lower()], None
        shown = ", ".join(f"'{c}'" for c in columns[:12]) + (" ..." if len(columns) > 12 else "")
        return None, (
            f"The label column '{label_column}' is not in this file (its columns are {shown}); "
            "pick one of these, or leave the label column empty."
        )
    lowered = {c.strip().lower(): c for c in reversed(columns)}
    for name in LABEL_NAMES:
        if name == "y" and "x" in lowered:
            continue  # y beside x is a coordinate, not a class
        if name in lowered:
            return lowered[name], None
    return next((c for c in columns if _LABEL_SUFFIX.match(c.strip())), None), None


def id_text(value: object) -> str:
    """An identifier cell as the name of its item or series: order 1088 reads "1088", not "1088.0"
    (a numeric column is read as floats, and one with gaps always is)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def label_strings(values: pd.Series) -> list[str | None]:
    """Labels as text; whole floats lose their ``.0`` so that class 1 reads ``"1"``."""
    if pd.api.types.is_numeric_dtype(values):
        arr = values.to_numpy(dtype=float)
        finite = arr[np.isfinite(arr)]
        whole = bool(np.all(finite == np.round(finite)))
        return [None if not np.isfinite(v) else (str(int(v)) if whole else repr(float(v))) for v in arr]
    return [None if pd.isna(v) else str(v).strip() for v in values.tolist()]


def is_unique_per_row(values: pd.Series) -> bool:
    """Every row has its own value and none is missing (an identifier, not a category)."""
    return len(values) > 1 and bool(values.notna().all()) and values.nunique(dropna=False) == len(values)


def is_row_counter(values: pd.Series) -> bool:
    """Integers 0..n-1 or 1..n in order: a saved row index, not a measurement."""
    if not pd.api.types.is_numeric_dtype(values) or len(values) < 2:
        return False
    arr = values.to_numpy(dtype=float)
    if not np.isfinite(arr).all():
        return False
    return bool(np.all(np.diff(arr) == 1) and arr[0] in (0.0, 1.0))


def is_small_integer_code(values: pd.Series) -> bool:
    """Few distinct whole numbers: a class code such as UCR's leading label column."""
    if not pd.api.types.is_numeric_dtype(values):
        return False
    arr = values.to_numpy(dtype=float)
    if len(arr) < 2 or not np.isfinite(arr).all() or not np.all(arr == np.round(arr)):
        return False
    n_unique = len(np.unique(arr))
    return n_unique <= min(100, max(2, len(arr) // 4))


def looks_like_steps(names: list[str]) -> bool:
    """Headers that count time: ``0 1 2``, ``t1 t2 t3``, ``step_5 step_10``, or increasing dates."""
    if len(names) < 3:
        return False
    numbers: list[float] = []
    prefixes = set()
    for name in names:
        match = _STEP_NAME.match(name)
        if not match:
            return _increasing_dates(names)
        prefixes.add(match.group(1).strip(" _-").lower())
        numbers.append(float(match.group(2)))
    if len(prefixes) != 1 or not prefixes <= _STEP_PREFIXES:
        return False
    return all(b > a for a, b in zip(numbers, numbers[1:], strict=False))


def _increasing_dates(names: list[str]) -> bool:
    try:
        stamps = pd.to_datetime(pd.Series(names), errors="raise", format="mixed")
    except (ValueError, TypeError, OverflowError):
        return False
    return bool(stamps.is_monotonic_increasing and stamps.is_unique)


def as_time(values: pd.Series) -> pd.Series | None:
    """The column as sortable time (numbers or datetimes), or ``None`` if it is neither."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    head = values.dropna().head(20)
    if head.empty:
        return None
    try:
        if pd.to_datetime(head, errors="coerce", format="mixed").notna().mean() < 0.9:
            return None
        stamps = pd.to_datetime(values, errors="coerce", format="mixed")
    except (ValueError, TypeError, OverflowError):
        return None
    if stamps.notna().mean() < 0.9:
        return None
    return stamps
