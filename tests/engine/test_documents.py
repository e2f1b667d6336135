"""Reading documents into text: every supported type, every encoding we promise, every bad file."""

from pathlib import Path

import numpy as np
import pytest

from engine.ingest.documents import read_document
from engine.items import ItemError


def pdf_with_text(path: Path, lines: list[str]) -> Path:
    """A real PDF with a text layer, one line of text per page (matplotlib's PDF backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with PdfPages(path) as pdf:
        for line in lines:
            fig = Figure(figsize=(6, 2))
            fig.text(0.05, 0.5, line)
            pdf.savefig(fig)
    return path


def pdf_of_an_image(path: Path) -> Path:
    """What a scanner makes: pages that are pictures, with no text layer."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.figimage(np.random.default_rng(0).random((50, 50)))
    fig.savefig(path, format="pdf")
    return path


def docx_with_table(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Match report", level=1)
    document.add_paragraph("The striker scored twice before half time.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Team"
    table.cell(0, 1).text = "Goals"
    table.cell(1, 0).text = "Rovers"
    table.cell(1, 1).text = "3"
    merged = table.cell(1, 2).merge(table.cell(0, 2))
    merged.text = "penalty"
    document.add_paragraph("The referee showed one red card.")
    document.save(path)
    return path


# ---- documents that must read ---------------------------------------------------------------


def test_utf8_text_with_and_without_bom(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("Grüße aus München: naïve café ☕\r\nsecond line", encoding="utf-8")
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffGrüße mit BOM".encode())
    assert read_document(plain) == "Grüße aus München: naïve café ☕\nsecond line"
    assert read_document(bom) == "Grüße mit BOM"


def test_latin1_text_decodes_cafe(tmp_path):
    path = tmp_path / "menu.txt"
    path.write_bytes("Un café très noir et une crème brûlée, s'il vous plaît.".encode("latin-1"))
    assert read_document(path) == "Un café très noir et une crème brûlée, s'il vous plaît."
    short = tmp_path / "short.txt"  # four bytes: too few for any statistics
    short.write_bytes("café".encode("latin-1"))
    assert read_document(short) == "café"


def test_cp1252_quotes_and_other_code_pages(tmp_path):
    western = tmp_path / "w.txt"
    western.write_bytes("El niño pagó 5€ – “barato”, ¿verdad?".encode("cp1252"))
    assert read_document(western) == "El niño pagó 5€ – “barato”, ¿verdad?"
    russian = tmp_path / "r.txt"
    russian.write_bytes("Привет, как дела? Это текст на русском языке.".encode("cp1251"))
    assert read_document(russian) == "Привет, как дела? Это текст на русском языке."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_with_bom(tmp_path, encoding):
    path = tmp_path / "wide.txt"
    text = "Wide characters: café, Straße, 東京"
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    path.write_bytes(bom + text.encode(encoding))
    assert read_document(path) == text


def test_markdown_keeps_the_words_not_the_link_targets(tmp_path):
    path = tmp_path / "notes.markdown"
    path.write_text("# Telescopes\n\nSee [the star atlas](https://example.org/atlas) ![a nebula](n.png).\n")
    text = read_document(path)
    assert "Telescopes" in text and "the star atlas" in text and "a nebula" in text
    assert "example.org" not in text and "n.png" not in text


def test_html_gives_visible_text_only(tmp_path):
    path = tmp_path / "page.htm"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Star maps</title><style>p {color: red}</style>"
        "<script>var secret = 'hidden';</script></head><body><h1>Nebulae</h1>"
        "<p>Orion &amp; Crab are&nbsp;nebulae.</p><noscript>enable scripts</noscript>"
        "<ul><li>one</li><li>two</li></ul></body></html>"
    )
    text = read_document(path)
    assert "Star maps" in text and "Nebulae" in text and "Orion & Crab are nebulae." in text
    assert "one\n" in text and "two" in text
    for hidden in ("secret", "color", "enable scripts", "<p>"):
        assert hidden not in text


def test_html_without_closing_head_still_shows_the_body(tmp_path):
    path = tmp_path / "sloppy.html"
    path.write_text("<html><head><title>T</title><body><p>Body text survives")
    assert "Body text survives" in read_document(path)


def test_pdf_text_from_every_page(tmp_path):
    path = pdf_with_text(
        tmp_path / "report.pdf", ["Telescopes observe distant galaxies", "Second page: comets"]
    )
    text = read_document(path)
    assert "Telescopes observe distant galaxies" in text and "Second page: comets" in text


def test_docx_paragraphs_and_table_cells_in_order(tmp_path):
    text = read_document(docx_with_table(tmp_path / "report.docx"))
    assert text.index("Match report") < text.index("striker") < text.index("Rovers") < text.index("red card")
    assert "Team | Goals | penalty" in text
    assert text.count("penalty") == 2  # once per row, not once per merged grid cell


def test_long_text_is_capped_without_splitting_characters(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("é" * 99 + "\n" + ("ünïcödé words\n" * 20_000), encoding="utf-8")
    text = read_document(path, max_chars=5000)
    assert 0 < len(text) <= 5000
    assert text.startswith("é" * 99) and "\ufffd" not in text


# ---- documents that must fail with a message for the user ---------------------------------


def junk(size: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("junk.txt", junk(4000), "binary data, not a text document"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + junk(300), "binary data"),
        ("empty.md", b"  \n\n\t \r\n", "empty document"),
        ("zero.txt", b"", "empty file (0 bytes)"),
        ("zero.pdf", b"", "empty file (0 bytes)"),
        ("fake.pdf", junk(3000, 1), "not a valid PDF file (it may be damaged or mislabelled)"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a valid PDF file"),
        ("fake.docx", junk(3000, 2), "not a valid Word .docx file"),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk(2000), "an old .doc file renamed"),
        ("scripts.html", b"<html><script>let x = 1;</script><style>a{}</style></html>", "empty document"),
        ("data.xyz", b"hello", "not a supported document type"),
    ],
)
def test_bad_documents_raise_item_error_with_a_message(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ItemError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_document(path)


def test_zip_that_is_not_a_word_file(tmp_path):
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not word")
    with pytest.raises(ItemError, match="not a valid Word .docx file"):
        read_document(path)


def test_scanned_pdf_says_it_has_no_text_layer(tmp_path):
    with pytest.raises(ItemError, match="scanned PDF with no text layer"):
        read_document(pdf_of_an_image(tmp_path / "scan.pdf"))


def test_missing_file_is_an_item_error(tmp_path):
    with pytest.raises(ItemError, match="cannot be read"):
        read_document(tmp_path / "gone.txt")
