"""Table files: rows become items, columns become numeric features.

Numeric columns are features; text columns with few distinct values are one-hot encoded; a
column with a different value in every row is an identifier (it names the items, it does not
describe them); text with many distinct values is left out.  Missing cells are filled (median,
or the most frequent category) so that every later stage sees a complete float matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.ingest import columns as col
from engine.ingest.csv_reader import STAGE, CsvError, RawTable, Report, listed
from engine.ingest.guess import Plan
from engine.items import Problem, plural

MAX_CATEGORIES = 30
"""Text columns with more distinct values than this are not one-hot encoded."""


@dataclass
class TableBlock:
    """The features, labels and names one table file contributes."""

    path: Path
    features: np.ndarray
    feature_names: list[str]
    sources: dict[str, str]
    """Feature name -> the file column it came from (one-hot features share their source)."""
    labels: list[str | None]
    names: list[str]
    rows: np.ndarray
    note: str
    info: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def source_columns(self) -> set[str]:
        return set(self.sources.values())


def build_table(raw: RawTable, plan: Plan, report: Report | None = None) -> TableBlock:
    """Features of one table file; raises :class:`CsvError` when no column can be a feature.

    ``report`` hears each column made into features (seconds on a million rows).
    """
    frame = raw.frame
    n = len(frame)
    problems = list(raw.problems)

    def warn(message: str) -> None:
        problems.append(Problem(raw.path, STAGE, message, severity="warning"))

    numeric = set(raw.numeric)
    labels = col.label_strings(frame[plan.label]) if plan.label else [None] * n
    identifiers, dropped, categorical, wordy, empty, number_columns = [], [], [], [], [], []
    for name in frame.columns:
        if name == plan.label:
            continue
        values = frame[name]
        id_named = col.is_id_name(name) or name in raw.unnamed
        if name in numeric:
            if values.isna().all():
                empty.append(name)
            elif id_named and col.is_row_counter(values):
                dropped.append(name)  # a saved row index
            elif col.is_id_name(name) and col.is_unique_per_row(values):
                identifiers.append(name)
            else:
                number_columns.append(name)
            continue
        n_unique = values.nunique(dropna=True)
        if n_unique == 0:
            empty.append(name)
        elif col.is_unique_per_row(values) or (n == 1 and id_named):
            identifiers.append(name)
        elif n_unique <= MAX_CATEGORIES:
            categorical.append(name)
        else:
            wordy.append(name)
    if len(empty) == len(frame.columns) - (1 if plan.label else 0):
        raise CsvError("The file holds no values, only delimiters and empty cells.")
    if not number_columns and len(categorical) < 2:
        raise CsvError(
            "The file has no numeric columns, so there is nothing to use as features"
            + (
                f" (text columns: {listed([repr(c) for c in frame.columns], 4)})"
                if len(frame.columns)
                else ""
            )
            + ". If each line is a document, save the lines as .txt files; if the numbers are "
            "written oddly, check the delimiter and decimal mark."
        )
    rows = raw.rows
    feature_columns = number_columns + categorical
    blank = frame[feature_columns].isna().all(axis=1).to_numpy()
    if len(feature_columns) > 1 and blank.any() and not blank.all():  # (one column: a missing value, filled)
        # A note below the table ("merged note", "Source: ...") became an item made of medians.
        lines = rows[blank] + (2 if raw.dialect.header else 1)
        said = [_first_text(values) for values in frame[blank].itertuples(index=False)]
        shown = [
            f"{line} ('{text[:40]}')" if text else str(line) for line, text in zip(lines, said, strict=True)
        ]
        frame, rows = frame[~blank].reset_index(drop=True), rows[~blank]
        labels = [v for v, gone in zip(labels, blank, strict=True) if not gone]
        n = len(frame)
        warn(
            f"{plural(len(lines), 'line')} without a value in any feature column (notes below the "
            f"table?) left out: line {listed(shown)}."
        )
    name_col = _name_column(frame, identifiers, numeric)
    names = [col.id_text(v) for v in frame[name_col].tolist()] if name_col else [""] * n

    filled = _impute(frame, number_columns, categorical)
    if filled:
        warn("Missing values were filled in: " + listed(filled, 4) + ".")
    if empty:
        warn(f"Column(s) {listed([repr(c) for c in empty])} hold no values and were left out.")
    if plan.label and any(v is None for v in labels):
        warn(f"{sum(v is None for v in labels)} row(s) have no value in the label column '{plan.label}'.")
    if n == 1:
        warn("The file has only one data row; it is used as a single item, but clustering needs many rows.")

    blocks, feature_names, sources = [], [], {}
    number_set, cat_set = set(number_columns), set(categorical)
    for i, name in enumerate(frame.columns):
        if report is not None:
            report("building features", i, len(frame.columns))
        if name in number_set:
            blocks.append(frame[name].to_numpy(dtype=float)[:, None])
            feature_names.append(name)
            sources[name] = name
        elif name in cat_set:
            values = frame[name].astype(str).str.strip()
            categories = sorted(values.unique())
            blocks.append((values.to_numpy()[:, None] == np.array(categories)[None, :]).astype(float))
            for category in categories:
                feature = f"{name}={category}"
                feature_names.append(feature)
                sources[feature] = name
    features = np.hstack(blocks) if blocks else np.zeros((n, 0))

    parts = ["read as a table", plural(n, "row"), plural(len(number_columns), "numeric feature")]
    if categorical:
        parts.append(
            f"{plural(len(categorical), 'categorical column')} one-hot encoded "
            f"({features.shape[1]} features in all)"
        )
    parts.append(f"label column '{plan.label}'" if plan.label else "no label column")
    if name_col:
        parts.append(f"items named by '{name_col}'")
    # A column of dates has as many distinct values as free text, but "too many distinct values"
    # would not say why it is left out.
    dates = [c for c in wordy if col.as_time(frame[c]) is not None]
    if dates:
        named = listed([repr(c) for c in dates], 3)
        parts.append(f"date column(s) {named} left out (dates are not features)")
    if len(dates) < len(wordy):
        text = [repr(c) for c in wordy if c not in dates]
        parts.append(f"text column(s) {listed(text, 3)} left out (too many distinct values)")
    info = {
        "label_column": plan.label,
        "name_column": name_col,
        "numeric_columns": number_columns,
        "categorical_columns": categorical,
        "left_out": identifiers + dropped + wordy + empty,
    }
    return TableBlock(
        path=raw.path,
        features=features,
        feature_names=feature_names,
        sources=sources,
        labels=labels,
        names=names,
        rows=rows,
        note=", ".join(parts),
        info=info,
        problems=problems,
    )


def _first_text(values: tuple) -> str:
    return next((v.strip() for v in values if isinstance(v, str) and v.strip()), "")


def _name_column(frame: pd.DataFrame, identifiers: list[str], numeric: set[str]) -> str | None:
    """Prefer a text identifier with an id/name-like header, then any text identifier."""
    text_ids = [c for c in identifiers if c not in numeric]
    for candidates in ([c for c in text_ids if col.is_id_name(c)], text_ids, identifiers):
        if candidates:
            return candidates[0]
    return None


def _impute(frame: pd.DataFrame, number_columns: list[str], categorical: list[str]) -> list[str]:
    """Fill missing cells in place; returns one phrase per repaired column for the warning."""
    phrases = []
    if number_columns:
        missing = frame[number_columns].isna().sum()
        for name in missing[missing > 0].index:
            median = float(np.nanmedian(frame[name].to_numpy(dtype=float)))
            frame[name] = frame[name].fillna(median)
            phrases.append(f"column '{name}': {int(missing[name])} cell(s) with the median {median:g}")
    for name in categorical:
        gaps = int(frame[name].isna().sum())
        if gaps:
            common = frame[name].mode(dropna=True).iloc[0]
            frame[name] = frame[name].fillna(common)
            phrases.append(f"column '{name}': {gaps} cell(s) with the most frequent value '{common}'")
    return phrases


def align_tables(blocks: list[TableBlock]) -> tuple[np.ndarray, list[str]]:
    """Stack the blocks of several files with the same columns, matching features by name.

    Only one-hot features can differ between such files (a category one file never has); they are
    0 where absent. Files with other columns are never aligned: :mod:`engine.ingest.groups`
    keeps them apart.
    """
    if len(blocks) == 1:
        return blocks[0].features, list(blocks[0].feature_names)
    names: list[str] = []
    for block in blocks:
        names += [name for name in block.feature_names if name not in names]
    position = {name: j for j, name in enumerate(names)}
    out = np.zeros((sum(len(b.features) for b in blocks), len(names)))
    start = 0
    for block in blocks:
        stop = start + len(block.features)
        columns = [position[name] for name in block.feature_names]
        out[start:stop, columns] = block.features
        start = stop
    return out, names
