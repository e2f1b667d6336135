"""Guessing how a CSV file is written: encoding, delimiter, decimal mark and header line.

Each guess looks only at the start of the file, so that it costs the same for 1 kB and 1 GB.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass

from engine.ingest import columns

SAMPLE_LINES = 200
"""Lines of the file start that the delimiter, decimal and header guesses look at."""

DELIMITERS = ("\t", ";", "|", ",")
"""Candidates in order of preference when several split the lines consistently: a file that is
consistently split by ';' or tab and also holds commas writes decimal commas, not comma fields."""

MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "?", "-", "--", "missing", "#n/a", "nil", "#na"}
)
"""Cells (case-insensitive, stripped) read as missing values, on top of pandas' defaults."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_QUOTED = re.compile(r'"[^"]*"')
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$")
_DECIMAL_DOT = re.compile(r"^[+-]?\d*\.\d+(?:[eE][+-]?\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")


class NotText(Exception):
    """The bytes are not text in any encoding we can recognise."""


@dataclass(frozen=True)
class Dialect:
    """How one CSV file is written; what pandas needs to read it in one fast pass."""

    delimiter: str
    """The field separator, or ``None``-like ``""`` when every line holds a single field."""
    decimal: str = "."
    thousands: str | None = None
    header: bool = True


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM) first, then a detected charset.

    Raises :class:`NotText` for binary data (NUL bytes outside UTF-16, or no plausible charset).
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    head = raw[:65536]
    if b"\x00" in head:
        raise NotText("NUL bytes")
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        encoding = _detect_charset(raw[: 1 << 20])
        text = raw.decode(encoding, errors="replace")
    if _looks_binary(text[:65536]):
        raise NotText("control characters")
    return text, encoding


def _detect_charset(raw: bytes) -> str:
    """The 8-bit code page of bytes that are not Unicode, preferring Windows-1252 among equals.

    Why: on short Western text charset-normalizer ties several code pages and picks the first
    (cp1250 turns "très" into "trčs"), and on a few bytes it may even pick UTF-16 without a BOM
    ("café" becomes two Chinese characters). Windows-1252 is by far the most common of the tied
    ones; a clear winner (Cyrillic, Greek, Polish text) is still taken as charset-normalizer says.
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(raw) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        if _decodes(raw, "cp1252"):
            return "cp1252"
        raise NotText("no charset matches")
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    tied = [
        m.encoding for m in matches if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.1
    ]
    if "cp1252" in tied or (len(tied) > 3 and _decodes(raw, "cp1252")):
        return "cp1252"
    return best.encoding


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _looks_binary(text: str) -> bool:
    """More than 1 % control characters (other than tab, CR, LF) is not a text table."""
    return bool(text) and len(_CONTROL.findall(text)) > 0.01 * len(text)


def sample_lines(text: str) -> list[str]:
    """The first :data:`SAMPLE_LINES` non-blank lines (without line ends)."""
    lines = []
    for line in text.split("\n", SAMPLE_LINES * 4)[: SAMPLE_LINES * 4]:
        if line.strip():
            lines.append(line.rstrip("\r"))
            if len(lines) >= SAMPLE_LINES:
                break
    return lines


def guess_delimiter(lines: list[str], prefer_tab: bool = False) -> str:
    """The candidate that splits (nearly) every sample line into the same number of fields.

    Returns ``""`` when no candidate does: the file has one column.
    """
    if not lines:
        return ","
    unquoted = [_QUOTED.sub("", line) for line in lines]
    scores: dict[str, float] = {}
    for sep in DELIMITERS:
        counts = Counter(line.count(sep) for line in unquoted)
        mode, hits = counts.most_common(1)[0]
        if mode >= 1:
            scores[sep] = hits / len(unquoted)
    if not scores:
        return ""
    best = max(scores.values())
    good = [sep for sep in DELIMITERS if scores.get(sep, 0.0) >= 0.8 * best]
    if prefer_tab and "\t" in good:
        return "\t"
    # '1,5;2,25' splits evenly on both: the right one leaves whole numbers in the cells
    numbers = {sep: _count_numbers(lines, sep) for sep in good}
    return max(good, key=lambda sep: numbers[sep])  # max keeps the first of equals: the preference order


def _count_numbers(lines: list[str], sep: str) -> int:
    decimal, thousands = guess_decimal(lines, sep)
    return sum(to_number(cell, decimal, thousands) is not None for line in lines for cell in line.split(sep))


def guess_decimal(lines: list[str], delimiter: str) -> tuple[str, str | None]:
    """``(decimal, thousands)``: a decimal comma is possible only where ',' does not separate fields."""
    if delimiter == ",":
        return ".", None
    commas = dots = thousands = 0
    for line in lines:
        for cell in line.split(delimiter) if delimiter else [line]:
            cell = cell.strip().strip('"')
            if _DECIMAL_COMMA.match(cell):
                commas += 1
            elif _DECIMAL_DOT.match(cell):
                dots += 1
            if _DOT_THOUSANDS.match(cell) and "," in cell:
                thousands += 1
    if commas and commas >= dots:
        return ",", ("." if thousands else None)
    return ".", None


def to_number(cell: str, decimal: str = ".", thousands: str | None = None) -> float | None:
    """The cell as a float, or ``None`` when it is not a number (missing tokens count as not)."""
    cell = cell.strip().strip('"').strip()
    if cell.lower() in MISSING_TOKENS:
        return None
    if thousands:
        cell = cell.replace(thousands, "")
    if decimal != ".":
        cell = cell.replace(decimal, ".")
    try:
        return float(cell)
    except ValueError:
        return None


def is_missing(cell: str) -> bool:
    return cell.strip().strip('"').strip().lower() in MISSING_TOKENS


def guess_header(lines: list[str], delimiter: str, decimal: str, thousands: str | None) -> bool:
    """Whether the first line names the columns.

    Yes when a column is numeric below the first line but not in it; yes when every column is
    text (most files have a header, and we cannot tell otherwise); yes when the first line is
    the integers k, k+1, k+2... (time-step numbers) and the rows below are not.  Else no.
    """
    records = _records(lines, delimiter)
    if not records:
        return False
    first, rest = records[0], records[1:]
    first_numbers = [to_number(c, decimal, thousands) for c in first]
    if not rest:
        return any(n is None and not is_missing(c) for n, c in zip(first_numbers, first, strict=True))
    width = max(len(r) for r in records)
    column_numeric = []
    for j in range(width):
        cells = [r[j] for r in rest if j < len(r) and not is_missing(r[j])]
        numeric = sum(to_number(c, decimal, thousands) is not None for c in cells)
        column_numeric.append(bool(cells) and numeric >= 0.8 * len(cells))
    for j, cell in enumerate(first):
        if column_numeric[j] and first_numbers[j] is None and not is_missing(cell):
            return True
        if not column_numeric[j] and _is_role_name(cell):
            return True  # 'id', 'class', 'time' above a text column
    if not any(column_numeric):
        return all(not is_missing(c) for c in first)
    return _is_step_sequence(first_numbers) and not _is_step_sequence(
        [to_number(c, decimal, thousands) for c in rest[0]]
    )


def _is_role_name(cell: str) -> bool:
    name = cell.strip().strip('"')
    return name.lower() in columns.LABEL_NAMES or columns.is_id_name(name) or columns.is_time_name(name)


def _is_step_sequence(numbers: list[float | None]) -> bool:
    """Integers increasing by one (ignoring leading non-numbers), at least 3 of them."""
    values = [n for n in numbers if n is not None and math.isfinite(n)]
    if len(values) < 3 or len(values) < len(numbers) - 2:
        return False
    return all(v == int(v) for v in values) and all(
        b - a == 1 for a, b in zip(values, values[1:], strict=False)
    )


def _records(lines: list[str], delimiter: str) -> list[list[str]]:
    if not delimiter:
        return [[line] for line in lines]
    return [row for row in csv.reader(lines, delimiter=delimiter) if row]


def sniff(text: str, *, prefer_tab: bool = False) -> Dialect:
    """All guesses for one decoded file."""
    lines = sample_lines(text)
    delimiter = guess_delimiter(lines, prefer_tab=prefer_tab)
    decimal, thousands = guess_decimal(lines, delimiter)
    header = guess_header(lines, delimiter, decimal, thousands)
    return Dialect(delimiter=delimiter, decimal=decimal, thousands=thousands, header=header)
