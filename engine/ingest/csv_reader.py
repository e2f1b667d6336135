"""Reading one CSV file into a pandas DataFrame, repairing what can be repaired.

The work is split so that big files stay fast: the dialect is guessed from the first lines, rows
with the wrong number of fields are found with ``str.count`` (or the C ``csv`` module when the
file quotes fields), and the one real parse is pandas' C engine.  Everything wrong with the file
becomes a :class:`~engine.items.Problem`; :class:`CsvError` carries the one that makes the file
unusable.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.ingest import sniff, spreadsheet
from engine.ingest.csv_frame import Report, read_chunked, read_frame, silent
from engine.items import Problem, plural

MAX_CSV_BYTES = 1 << 30
"""CSV files larger than this are refused: pandas would need several times as much memory."""

NUMERIC_SHARE = 0.8
"""A text column whose filled cells are at least this share numbers is numeric; the rest is junk."""

MARKS = r"[$€£¥%\s]"
"""Currency signs, percent marks and the spaces beside them, removed from cells of :data:`MARKED_NUMBER`."""
MARKED_NUMBER = r"[-+]?\s*[$€£¥]?\s*[-+]?\d[\d.]*(?:[eE][-+]?\d+)?\s*(?:[$€£¥]|%)?"
"""A number with a currency sign before or after it, or a percent mark after it ("$1200", "-$5",
"45 %", "3.5 €"), once thousands separators and the decimal mark are normalised."""

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Vectors are float32: a larger value would become infinity and spoil the scaling of every row."""

STAGE = "ingest"
CHECK_STEPS = 4
"""Steps of the "checking rows" phase: read and decode, split into lines, count fields, drop."""

MAX_LISTED = 5
"""How many line numbers or examples a message lists before it says "and N more"."""


class CsvError(Exception):
    """The file cannot be used at all; ``str(exc)`` is the message for the user."""


@dataclass
class RawTable:
    """A parsed CSV file: numeric columns as floats, the rest as text, plus how it was read."""

    path: Path
    frame: pd.DataFrame
    dialect: sniff.Dialect
    encoding: str
    rows: np.ndarray
    """0-based data-row index in the file of each frame row (skipped ragged rows leave gaps)."""
    unnamed: set[str] = field(default_factory=set)
    """Columns whose header cell was empty (often a saved pandas index)."""
    problems: list[Problem] = field(default_factory=list)
    sheet: str | None = None
    """The sheet read, for a spreadsheet."""
    sheets: list[str] = field(default_factory=list)
    """Every sheet of a spreadsheet that holds data."""

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.frame.columns if pd.api.types.is_numeric_dtype(self.frame[c])]

    @property
    def text(self) -> list[str]:
        return [c for c in self.frame.columns if not pd.api.types.is_numeric_dtype(self.frame[c])]

    def warn(self, message: str) -> None:
        self.problems.append(Problem(self.path, STAGE, message, severity="warning"))


def listed(values: list, more_than: int = MAX_LISTED) -> str:
    """``1, 2, 3 and 4 more``: keeps messages short when a file has many bad lines."""
    shown = ", ".join(str(v) for v in values[:more_than])
    return shown + (f" and {len(values) - more_than} more" if len(values) > more_than else "")


def read_csv(path: Path, report: Report | None = None, sheet: str | None = None) -> RawTable:
    """Parse ``path`` (of a spreadsheet, ``sheet``); raises :class:`CsvError` with a user message when
    nothing can be used.

    ``report`` hears the rows checked, parsed (chunk by chunk) and converted, so that a big file
    moves the progress bar and a Cancel is heard between chunks.
    """
    report = report or silent
    report("checking rows", 0, CHECK_STEPS)
    problems: list[Problem] = []
    text, encoding, book = _read_text(path, problems, sheet)
    report("checking rows", 1, CHECK_STEPS)
    if not text or text.isspace():  # isspace: no copy of a big file
        raise CsvError("The file holds only blank lines; there is nothing to read.")
    text = _blank_leading_comments(text)
    dialect = sniff.sniff(text, prefer_tab=path.suffix.lower() == ".tsv")
    text, record_rows = _drop_ragged(path, text, dialect, problems, report)
    frame, unnamed = _parse(text, dialect, len(record_rows), report)
    del text
    if frame.shape[0] == 0:
        raise CsvError("The file has a header line but no data rows; there is nothing to analyse.")
    rows = record_rows[1:] - 1 if dialect.header else record_rows
    if len(rows) != frame.shape[0]:  # pandas and the line count disagree (exotic quoting): trust pandas
        rows = np.arange(frame.shape[0])
    table = RawTable(path, frame, dialect, encoding, rows, unnamed, problems)
    if book is not None:
        table.sheet, table.sheets = book.sheet, book.sheets
    if dialect.header:
        _drop_repeated_headers(table)
    _drop_summary_lines(table)
    _coerce_numbers(table, report)
    return table


def _drop_repeated_headers(table: RawTable) -> None:
    """Skip data lines that repeat the header line, as CSV files joined with ``cat`` hold: kept, they
    became items of nothing but missing values, or turned numeric columns into categories."""
    frame = table.frame
    first = frame.columns[0]
    if frame.shape[0] == 0 or pd.api.types.is_numeric_dtype(frame[first]):
        return  # a number in the first column: no line there repeats a header
    candidates = np.flatnonzero(frame[first].astype(str).str.strip().to_numpy() == str(first).strip())
    if not len(candidates):
        return
    cells = frame.iloc[candidates].astype(str).apply(lambda column: column.str.strip())
    same = (cells.to_numpy() == np.array([str(c).strip() for c in frame.columns])).all(axis=1)
    repeats = candidates[same]
    if not len(repeats):
        return
    keep = np.ones(frame.shape[0], dtype=bool)
    keep[repeats] = False
    table.frame = frame[keep].reset_index(drop=True)
    table.rows = table.rows[keep]
    one = len(repeats) == 1
    table.warn(
        f"{plural(len(repeats), 'line')} {'repeats' if one else 'repeat'} the header line (files joined "
        f"together?); {'it was' if one else 'they were'} skipped, not read as data."
    )


SUMMARY_WORDS = frozenset(
    {"total", "totals", "grand total", "subtotal", "sub-total", "sum", "average", "overall"}
)
"""The first filled cell of a spreadsheet's summary line: it sums up the rows above, it is not an item."""
MAX_SUMMARY_LINES = 3


def _drop_summary_lines(table: RawTable) -> None:
    """Skip the last lines that sum up the others ("Total", 12 400, ...), as spreadsheets end: kept,
    each became the most unusual item and pulled a cluster towards it."""
    frame = table.frame
    if frame.shape[0] <= 2 * MAX_SUMMARY_LINES:
        return
    words: list[str] = []
    for back, values in enumerate(frame.iloc[::-1].head(MAX_SUMMARY_LINES).itertuples(index=False)):
        filled = ((j, v) for j, v in enumerate(values) if isinstance(v, str) and v.strip())
        column, first = next(filled, (0, ""))
        if first.strip().rstrip(":").strip().lower() not in SUMMARY_WORDS:
            break
        above = frame.iloc[: len(frame) - back - 1, column].astype(str).str.strip().str.lower()
        if (above == first.strip().lower()).any():
            break  # a category that happens to be called so ("average" quality): data
        words.insert(0, first.strip())
    if not words:
        return
    keep = len(frame) - len(words)
    table.frame, table.rows = frame.iloc[:keep].reset_index(drop=True), table.rows[:keep]
    quoted, one = ", ".join(f"'{w}'" for w in words), len(words) == 1
    lines, sums, items = ("line", "sums", "an item") if one else (f"{len(words)} lines", "sum", "items")
    table.warn(f"The last {lines} ({quoted}) {sums} up the rows above: left out, not read as {items}.")


def _read_text(
    path: Path, problems: list[Problem], sheet: str | None
) -> tuple[str, str, spreadsheet.SheetText | None]:
    """The file's text and encoding; a spreadsheet's sheet as CSV text, with which sheet it was."""
    _check_size(path)

    def warn(message: str) -> None:
        problems.append(Problem(path, STAGE, message, severity="warning"))

    if path.suffix.lower() in spreadsheet.SPREADSHEET_EXTENSIONS:
        try:
            book = spreadsheet.sheet_text(path, warn, sheet)
        except spreadsheet.SheetError as exc:
            raise CsvError(str(exc)) from exc
        return book.text, "utf-8", book
    raw = _read_bytes(path)
    try:
        return *sniff.decode(raw), None
    except sniff.NotText as exc:
        if raw.startswith(WORKBOOK_MAGIC):  # a workbook saved under a .csv name (web exports do)
            try:
                book = spreadsheet.sheet_text(path, warn, sheet)
            except spreadsheet.SheetError:
                pass
            else:
                warn(f"This {path.suffix} file holds a spreadsheet, and was read as one.")
                return book.text, "utf-8", book
        raise CsvError(
            "This is not a text CSV file (it holds binary data). If it is another format, export it "
            "as CSV first."
        ) from exc


WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
"""How a zipped workbook (.xlsx, .ods) and an old binary one (.xls) begin."""


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CsvError(f"The file cannot be opened ({exc.strerror or exc}).") from exc
    if size > MAX_CSV_BYTES:
        raise CsvError(
            f"The file is {_size(size)}, more than the {_size(MAX_CSV_BYTES)} limit for CSV files; "
            "split it into smaller files or take a sample of its rows."
        )
    if size == 0:
        raise CsvError("The file is empty (0 bytes). Export the data again or remove the file.")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise CsvError("The file cannot be read (permission denied); check its permissions.") from exc
    except OSError as exc:
        raise CsvError(f"The file cannot be read ({exc.strerror or exc}).") from exc


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _blank_leading_comments(text: str) -> str:
    """Empty the ``#`` comment lines some tools write above the header (line numbers stay right)."""
    if not text.lstrip().startswith("#"):
        return text
    lines = text.split("\n", 1000)
    for i in range(len(lines) - 1):  # the last piece is the rest of the file, never a whole line
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            break
        lines[i] = ""
    return "\n".join(lines)


def _drop_ragged(
    path: Path, text: str, dialect: sniff.Dialect, problems: list[Problem], report: Report = silent
) -> tuple[str, np.ndarray]:
    """Remove blank lines and rows whose field count differs from the most common one.

    Returns the cleaned text and, for each kept record, its index among all non-blank records
    (so that item rows still point at the right place in the file).
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    report("checking rows", 2, CHECK_STEPS)
    # spans[i] = (first line, last line + 1) of record i; counts[i] = its number of fields
    if '"' in text and dialect.delimiter:
        spans, counts = _records_quoted(lines, dialect.delimiter)
    else:
        sep = dialect.delimiter
        counts = [line.count(sep) + 1 if sep else 1 for line in lines]
        spans = [(i, i + 1) for i in range(len(lines))]
    report("checking rows", 3, CHECK_STEPS)
    blank = [lines[a].strip() == "" and b - a == 1 for a, b in spans]
    if not dialect.delimiter and not all(blank):
        # one column: an empty line between values is a missing value, not a gap in the file
        first, last = blank.index(False), len(blank) - 1 - blank[::-1].index(False)
        blank = [i < first or i > last for i in range(len(blank))]
    filled = [c for c, is_blank in zip(counts, blank, strict=True) if not is_blank]
    if not filled:
        raise CsvError("The file holds only blank lines; there is nothing to read.")
    expected = Counter(filled).most_common(1)[0][0]
    refit = dialect.header and _fit_header(
        path, lines, spans, counts, blank, expected, dialect.delimiter, problems
    )
    bad = [
        i for i, (c, is_blank) in enumerate(zip(counts, blank, strict=True)) if not is_blank and c != expected
    ]
    ordinal = np.cumsum([not b for b in blank]) - 1  # record index among non-blank records
    keep = [i for i in range(len(spans)) if not blank[i] and counts[i] == expected]
    if bad:
        line_numbers = [spans[i][0] + 1 for i in bad]
        problems.append(
            Problem(
                path,
                STAGE,
                f"{len(bad)} row(s) had the wrong number of fields (expected {expected}) and were "
                f"skipped: line(s) {listed(line_numbers)}. Check those lines for a stray delimiter "
                "or quote.",
                severity="warning",
            )
        )
    if bad or refit or any(blank):
        kept_lines = [lines[j] for i in keep for j in range(*spans[i])]
        text = "\n".join(kept_lines) + "\n"
    return text, ordinal[keep] if keep else np.zeros(0, dtype=int)


def _fit_header(
    path: Path,
    lines: list[str],
    spans: list[tuple[int, int]],
    counts: list[int],
    blank: list[bool],
    expected: int,
    sep: str,
    problems: list[Problem],
) -> bool:
    """Pad or cut a header line whose field count differs from the rows', in place.

    Dropping it like a ragged row would make pandas take the first data row as the header.
    """
    first = blank.index(False)
    a, b = spans[first]
    if counts[first] == expected or b - a != 1:
        return False
    fields = next(csv.reader([lines[a]], delimiter=sep))
    n_names = len(fields)
    if n_names < expected:
        fields += [""] * (expected - n_names)
        what = "empty names were added"
    else:
        fields = fields[:expected]
        what = "the extra names were dropped"
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="").writerow(fields)
    lines[a] = out.getvalue()
    counts[first] = expected
    problems.append(
        Problem(
            path,
            STAGE,
            f"The header line has {n_names} names but the rows have {expected} fields; {what}.",
            severity="warning",
        )
    )
    return True


def _records_quoted(lines: list[str], sep: str) -> tuple[list[tuple[int, int]], list[int]]:
    """Field counts with quoting honoured (a quoted field may hold the delimiter or a newline)."""
    spans: list[tuple[int, int]] = []
    counts: list[int] = []
    reader = csv.reader(lines, delimiter=sep)
    start = 0
    for record in reader:
        end = reader.line_num
        spans.append((start, end))
        counts.append(len(record) if record else 1)
        start = end
    if spans and sum(lines[j].count('"') for j in range(*spans[-1])) % 2:
        raise CsvError(
            f'A quoted field opened on line {spans[-1][0] + 1} is never closed (a " without its partner); '
            "check the quotes in the file."
        )
    return spans, counts


def _parse(
    text: str, dialect: sniff.Dialect, n_records: int = 0, report: Report = silent
) -> tuple[pd.DataFrame, set[str]]:
    """One pass of pandas' C parser with the guessed dialect, in chunks of rows when reporting."""
    sep = dialect.delimiter or _unused_separator(text)
    try:
        if report is silent:
            frame = read_frame(text, dialect, sep)
        else:
            frame = read_chunked(text, dialect, sep, n_records, report)
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            raise CsvError(
                'A quoted field is never closed (a " without its partner), so the rows cannot be told '
                "apart; check the quotes in the file."
            ) from exc
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise CsvError(f"The file cannot be parsed as CSV ({detail}).") from exc
    names: list[str] = []
    unnamed: set[str] = set()
    for i, column in enumerate(frame.columns):
        name = str(column).strip() if dialect.header else f"column {i + 1}"
        if dialect.header and (not name or name.startswith("Unnamed: ")):
            name = f"column {i + 1}"
            unnamed.add(name)
        names.append(name)
    frame.columns = _unique(names)
    return frame, {n for n in frame.columns if n in unnamed}


def _unused_separator(text: str) -> str:
    """A separator that never occurs, so a one-column file is read as exactly one column."""
    for sep in ("\x1f", "\x1e", "\t", "|"):
        if sep not in text:
            return sep
    return "\x1f"  # pragma: no cover


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def _coerce_numbers(table: RawTable, report: Report = silent) -> None:
    """Turn mostly-numeric text columns into floats, reporting the junk cells made missing."""
    frame = table.frame
    d = table.dialect
    for i, column in enumerate(list(frame.columns)):
        report("converting columns", i, frame.shape[1])
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            frame[column] = series.astype(float)
            continue
        if pd.api.types.is_numeric_dtype(series):
            frame[column] = _drop_unusable(table, column, series.to_numpy(dtype=float))
            continue
        present = series.notna()
        n_present = int(present.sum())
        if n_present == 0:
            frame[column] = np.full(len(series), np.nan)
            continue
        cleaned = series[present].astype(str).str.strip()
        if d.thousands:
            cleaned = cleaned.str.replace(d.thousands, "", regex=False)
        if d.decimal != ".":
            cleaned = cleaned.str.replace(d.decimal, ".", regex=False)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        if numbers.notna().sum() < NUMERIC_SHARE * n_present:
            numbers = _without_marks(table, column, cleaned, numbers)
        n_numbers = int(numbers.notna().sum())
        if n_numbers == 0 or n_numbers < NUMERIC_SHARE * n_present:
            continue
        junk = series[present][numbers.isna()].astype(str).unique().tolist()
        n_junk = n_present - n_numbers
        full = pd.Series(np.nan, index=series.index)
        full[present] = numbers.to_numpy(dtype=float)
        frame[column] = _drop_unusable(table, column, full.to_numpy(dtype=float))
        if not n_junk:  # text only because of lines dropped since (repeated headers)
            continue
        examples = ", ".join(repr(j) for j in junk[:3])
        table.warn(
            f"Column '{column}' is numeric but {n_junk} cell(s) are not numbers (e.g. {examples}); "
            "they were treated as missing values."
        )


def _without_marks(table: RawTable, column: str, cleaned: pd.Series, numbers: pd.Series) -> pd.Series:
    """The column's numbers read past currency signs and percent marks ("$1200", "45%", "-3 €"),
    when that makes it numeric; else ``numbers`` as they were."""
    marked = cleaned.str.fullmatch(MARKED_NUMBER) & cleaned.str.contains(MARKS, regex=True)
    if not marked.any():
        return numbers
    unmarked = pd.to_numeric(cleaned.str.replace(MARKS, "", regex=True), errors="coerce")
    if unmarked.notna().sum() < NUMERIC_SHARE * len(cleaned):
        return numbers
    table.warn(
        f"Column '{column}' holds numbers with currency signs or percent marks (e.g. "
        f"{cleaned[marked].iloc[0]!r}); they were read as plain numbers."
    )
    return unmarked


def _drop_unusable(table: RawTable, column: str, values: np.ndarray) -> np.ndarray:
    """Infinite values and values beyond float32's range become missing, with a warning naming them."""
    bad = np.isinf(values) | (np.abs(np.nan_to_num(values)) > FLOAT32_MAX)
    if not bad.any():
        return values
    examples = ", ".join(f"{v:g}" for v in np.unique(values[bad])[:3])
    table.warn(
        f"Column '{column}' has {int(bad.sum())} cell(s) that are infinite or beyond ±3.4e38, too large "
        f"to compute with (e.g. {examples}); they were treated as missing values."
    )
    return np.where(bad, np.nan, values)
