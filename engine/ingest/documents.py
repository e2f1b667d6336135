"""Documents as plain text: .txt, .md, .html, .pdf and .docx files, one string per file.

Every failure a user can meet (binary data, an empty file, a damaged PDF, a scanned PDF, a renamed
.doc) raises :class:`engine.items.ItemError` with a message for the user; the embedder turns it
into a Problem for that file and goes on with the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from engine.ingest.sniff import NotText, decode
from engine.items import ItemError

MAX_CHARS = 2_000_000
"""Text kept per document (about 300 000 words, a long book). Embedders chunk long texts and
sample the chunks, so more text would only cost reading time, never change a cluster."""

MAX_ZIP_XML_BYTES = 40 * 1024**2
"""XML a zip-based document (.docx) may unpack to: a 2-million-character book is about 15 MB, while
a 200 KB file that unpacks to 69 MB (a zip bomb) took 1.3 GB of memory to parse."""
MAX_ZIP_BYTES = 500 * 1024**2
"""Everything a zip-based document may unpack to, pictures included (the reader loads every part)."""

_BYTES_PER_CHAR = 4  # the most bytes one character takes in UTF-8: reading this many is enough


def read_document(path: Path, max_chars: int = MAX_CHARS) -> str:
    """The readable text of one document, at most ``max_chars`` characters.

    Raises :class:`ItemError` with a message for the user when the file is not a readable
    document of its type, or holds no text.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted(_READERS))
        raise ItemError(f"not a supported document type ({path.suffix or 'no extension'}; known: {known})")
    try:
        if path.stat().st_size == 0:
            raise ItemError("empty file (0 bytes)")
        text = reader(path, max_chars)
    except ItemError:
        raise
    except OSError as error:
        raise ItemError(f"cannot be read: {error.strerror or error}") from error
    text = _tidy(text)
    if not text.strip():
        raise ItemError("empty document: it holds no text")
    if len(text) > max_chars:
        return CutText(text[:max_chars])
    return text


class CutText(str):
    """A document's text cut at the limit; the embedder passes ``note`` on as a warning."""

    @property
    def note(self) -> str:
        return f"Only the first {len(self):,} characters of this document were used; the rest was left out."


def check_zip(path: Path, max_xml: int = MAX_ZIP_XML_BYTES, max_total: int = MAX_ZIP_BYTES) -> None:
    """Refuse a zip-based document that would unpack to more than the limits (a zip bomb).

    Python's zip reader never returns more than each member's declared size, so the declared sizes
    bound what any reader of the file can take into memory.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return  # not a zip at all: the format's own reader says what is wrong with it
    xml = sum(m.file_size for m in members if m.filename.lower().endswith((".xml", ".rels")))
    total = sum(m.file_size for m in members)
    if xml > max_xml or total > max_total:
        big, limit = (xml, max_xml) if xml > max_xml else (total, max_total)
        raise ItemError(
            f"it unpacks to {big / 1024**2:.0f} MB, more than the {limit / 1024**2:.0f} MB read "
            "from one document (it may be a zip bomb); it was skipped. Save it again, or as plain text."
        )


def _read_plain(path: Path, max_chars: int) -> str:
    return _decode_file(path, max_chars)


def _read_markdown(path: Path, max_chars: int) -> str:
    # Link targets and image addresses are not prose; keep the words a reader sees.
    text = _decode_file(path, max_chars)
    text = _MD_IMAGE.sub(r"\1", text)
    return _MD_LINK.sub(r"\1", text)


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _read_html(path: Path, max_chars: int) -> str:
    parser = _VisibleText()
    parser.feed(_decode_file(path, max_chars * 4))  # markup takes room: read more, keep max_chars
    parser.close()
    return "".join(parser.parts)


class _VisibleText(HTMLParser):
    """Collects the text a browser shows (and the title); scripts and styles are left out."""

    _HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "title",
         "section", "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dt", "dd"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._HIDDEN:
            self._hidden.append(tag)
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._hidden:
            # close up to the matching tag: browsers forgive a missing end tag inside scripts
            while self._hidden and self._hidden.pop() != tag:
                pass
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _read_pdf(path: Path, max_chars: int) -> str:
    from pypdf import PdfReader

    with path.open("rb") as handle:
        if b"%PDF-" not in handle.read(1024):
            raise ItemError("not a valid PDF file (it may be damaged or mislabelled)")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ItemError("password-protected PDF: save an unprotected copy to analyse it")
        pages = reader.pages
        n_pages = len(pages)
    except ItemError:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many types for damaged files
        raise ItemError("not a valid PDF file (it may be damaged or mislabelled)") from error
    texts: list[str] = []
    size, failed = 0, 0
    for page in pages:
        try:
            text = page.extract_text() or ""
        except Exception:  # noqa: BLE001 - one damaged page should not lose the others
            failed += 1
            continue
        texts.append(text)
        size += len(text)
        if size >= max_chars:
            break
    if failed == n_pages and n_pages:
        raise ItemError("not a valid PDF file: no page could be read (it may be damaged)")
    if not "".join(texts).strip():
        raise ItemError("scanned PDF with no text layer (only images): run OCR on it first")
    return "\n\n".join(texts)


def _read_docx(path: Path, max_chars: int) -> str:
    import docx
    from docx.table import Table

    check_zip(path)
    try:
        document = docx.Document(str(path))
    except Exception as error:  # noqa: BLE001 - not a zip, no word/document.xml, broken XML...
        raise ItemError(
            "not a valid Word .docx file (it may be damaged, or an old .doc file renamed to .docx)"
        ) from error
    texts: list[str] = []
    size = 0
    for block in document.iter_inner_content():
        text = _table_text(block) if isinstance(block, Table) else block.text
        texts.append(text)
        size += len(text)
        if size >= max_chars:
            break
    return "\n".join(texts)


def _table_text(table: object) -> str:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def _decode_file(path: Path, max_chars: int) -> str:
    """Text of a plain-text file in whatever encoding it was saved (UTF-8, UTF-16, cp1252...)."""
    limit = max_chars * _BYTES_PER_CHAR
    with path.open("rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raw = _cut_cleanly(raw[:limit])
    try:
        text, encoding = decode(raw)
    except NotText as error:
        raise ItemError("binary data, not a text document (or an unusual encoding: save as UTF-8)") from error
    return text


def _cut_cleanly(raw: bytes) -> bytes:
    """Cut a truncated file at a line end so that no multi-byte character is split in two."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw[: len(raw) - len(raw) % 2]
    end = raw.rfind(b"\n")
    return raw[: end + 1] if end > 0 else raw


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def _tidy(text: str) -> str:
    """One newline convention, no control characters, no runs of blanks: what a model should see."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


_READERS: dict[str, Callable[[Path, int], str]] = {
    ".txt": _read_plain,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
