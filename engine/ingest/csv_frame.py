"""pandas' C parser over a CSV file's cleaned text: in one go, or in reported chunks of rows.

A big file read in one call would leave the progress bar still for seconds (3.5 s for 200 000 x 32
here) and deaf to Cancel; read in chunks it reports its rows and is stopped between two chunks.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
from pandas.io.parsers import TextFileReader

from engine.ingest import sniff

NA_VALUES = sorted(sniff.MISSING_TOKENS | {t.upper() for t in sniff.MISSING_TOKENS})
"""Extra cells pandas reads as missing (its own defaults stay on)."""

PARSE_CELLS = 800_000
"""Cells pandas parses between two progress reports (about 0.1 s on a laptop core)."""

Report = Callable[[str, int, int], None]
"""``report(phase, done, total)`` from inside one file's reading; may raise Cancelled."""


def silent(phase: str, done: int, total: int) -> None:
    """The default :data:`Report`: small files are read between two reports of the whole scan."""


def read_chunked(text: str, dialect: sniff.Dialect, sep: str, n_records: int, report: Report) -> pd.DataFrame:
    """The rows parsed ``chunk`` at a time, each chunk reported; the same frame as one read.

    A column typed differently in two chunks (numbers in one, text in another) would not be the
    one-shot frame (``"1.50"`` would become ``1.5``), so such a file is parsed again in one go.
    """
    n_rows = max(n_records - (1 if dialect.header else 0), 1)
    n_columns = max(1, text.count(sep, 0, text.find("\n")) + 1)
    chunk = max(1000, PARSE_CELLS // n_columns)
    report("parsing", 0, n_rows)
    pieces: list[pd.DataFrame] = []
    done = 0
    with read_frame(text, dialect, sep, chunksize=chunk) as reader:
        for piece in reader:
            pieces.append(piece)
            done += len(piece)
            report("parsing", min(n_rows, done), n_rows)
    if len(pieces) == 1:
        return pieces[0]
    kinds = [{p[c].dtype.kind for p in pieces} for c in pieces[0].columns]
    if any(len(k) > 1 and not k <= {"i", "f"} for k in kinds):
        return read_frame(text, dialect, sep)
    return pd.concat(pieces, ignore_index=True)


def read_frame(
    text: str, dialect: sniff.Dialect, sep: str, chunksize: int | None = None
) -> pd.DataFrame | TextFileReader:
    """The whole text at once, or (``chunksize``) a reader of chunks of that many rows."""
    return pd.read_csv(
        io.StringIO(text),
        sep=sep,
        decimal=dialect.decimal,
        thousands=dialect.thousands,
        header=0 if dialect.header else None,
        engine="c",
        skip_blank_lines=bool(dialect.delimiter),
        skipinitialspace=True,
        na_values=NA_VALUES,
        low_memory=False,
        quotechar='"',
        chunksize=chunksize,
    )
