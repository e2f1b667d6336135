"""Spreadsheets: a workbook's first sheet with data is read as the same CSV file would be."""

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.ingest.csv_file import load_csv
from engine.ingest.csv_reader import CsvError, read_csv
from engine.pipeline import Spec, run

openpyxl = pytest.importorskip("openpyxl")  # writes the test workbooks; the app reads with calamine
pytest.importorskip("python_calamine")
DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def _workbook(path: Path, frame: pd.DataFrame, title: str | None = None, more: dict | None = None) -> Path:
    """``frame`` as the first sheet (under an optional title line and a blank line), then ``more``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([v.item() if isinstance(v, np.generic) else v for v in row])
    for name, rows in (more or {}).items():
        extra = book.create_sheet(name)
        for row in rows:
            extra.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("name", ["tables/customers.csv", "timeseries/sensors.csv"])
def test_a_workbook_gives_the_items_and_vectors_its_csv_gives(tmp_path, name):
    csv_path = tmp_path / "csv" / Path(name).name
    csv_path.parent.mkdir()
    shutil.copy(DEMO / name, csv_path)
    book = _workbook(tmp_path / "book" / f"{csv_path.stem}.xlsx", pd.read_csv(csv_path), title=None)
    from_csv = run(Spec(paths=(str(csv_path.parent),), use_cache=False, k=3))
    from_book = run(Spec(paths=(str(book.parent),), use_cache=False, k=3))
    assert from_book.modality == from_csv.modality and from_book.problems == []
    same = [(it.row, it.name, it.label) for it in from_csv.analysed.items]
    assert [(it.row, it.name, it.label) for it in from_book.analysed.items] == same
    np.testing.assert_allclose(from_book.embeddings, from_csv.embeddings, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(from_book.labels, from_csv.labels)


def test_a_title_above_the_table_and_other_sheets_are_warned_about_not_read_as_rows(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": [f"C{i:03d}" for i in range(60)],
            "age": rng.uniform(20, 70, 60).round(1),
            "income": rng.integers(20_000, 90_000, 60),
            "joined": [dt.date(2020, 1 + i % 12, 1 + i % 28) for i in range(60)],
            "member": [bool(i % 2) for i in range(60)],
        }
    )
    path = _workbook(
        tmp_path / "survey.xlsx", frame, "Customer survey 2024", {"Notes": [["by hand"]], "Empty": []}
    )
    loaded = load_csv(path)
    assert loaded.plan.kind == "table" and loaded.file.rows == 60 and loaded.file.header
    assert loaded.file.columns == ["id", "age", "income", "joined", "member"]
    raw = read_csv(path)
    warnings = [p.message for p in raw.problems]
    assert len(warnings) == 2 and all(p.severity == "warning" for p in raw.problems)
    assert "The title above the table ('Customer survey 2024') was skipped" in warnings[1]
    assert warnings[0].startswith("Only the sheet 'Data' was read; 'Notes' also holds data")
    np.testing.assert_allclose(raw.frame["age"], frame["age"])
    np.testing.assert_array_equal(raw.frame["income"], frame["income"])  # 41234, not 41234.0
    assert raw.frame["joined"].iloc[0] == "2020-01-01"


def test_a_first_sheet_of_notes_gives_way_to_the_table_after_it(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    for line in ("Survey of 2024", "Collected by hand", "Amounts in euros"):
        book.active.append([line])
    data = book.create_sheet("Data")
    data.append(["name", "amount", "visits"])
    for i in range(12):
        data.append([f"p{i}", 10.5 * i, i % 4])
    book.save(tmp_path / "notes_first.xlsx")
    raw = read_csv(tmp_path / "notes_first.xlsx")
    assert list(raw.frame.columns) == ["name", "amount", "visits"] and len(raw.frame) == 12
    assert [p.message for p in raw.problems] == [
        "Only the sheet 'Data' was read; 'Read me' also holds data: choose another under Sheet in the "
        "settings, or with --sheet."
    ]


def test_the_sheet_the_spec_names_is_read_and_every_sheet_with_data_is_listed(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "2023"
    for year, sheet in ((2023, book.active), (2024, book.create_sheet("2024"))):
        sheet.append(["shop", "sales", "visits"])
        for i in range(10 if year == 2023 else 14):
            sheet.append([f"s{i}", 100.0 * i + year, i])
    book.save(tmp_path / "sales.xlsx")
    first = run(Spec(paths=(str(tmp_path),), use_cache=False, k=2))
    chosen = run(first.spec.replace(sheet="2024"), previous=first)
    assert len(first.analysed.items) == 10 and len(chosen.analysed.items) == 14  # read again
    (file,) = chosen.collection.csv_files.values()
    assert file.sheet == "2024" and file.sheets == ["2023", "2024"]
    (said,) = [p.message for p in chosen.problems]
    assert said.startswith("Only the sheet '2024' was read; '2023' also holds data")
    missing = run(first.spec.replace(sheet="2025"))
    said = [p.message for p in missing.problems]
    assert len(missing.analysed.items) == 10 and "no sheet '2025' with data; '2023' was read." in said[0]


def test_a_stray_value_far_from_the_table_is_refused_before_it_is_read(tmp_path, monkeypatch):
    # The reader holds every cell of a sheet's range: one value at XFD1048576 would ask for 500 GB.
    import engine.ingest.spreadsheet as spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_CELLS", 100_000)
    book = openpyxl.Workbook()
    book.active.title = "Data"
    for i in range(12):
        book.active.append([f"p{i}", i, 2 * i])
    book.active["ZZ2000"] = "stray"
    book.save(tmp_path / "stray.xlsx")
    read = []
    monkeypatch.setattr(spreadsheet, "_trimmed", lambda rows: read.append(len(rows)) or rows)
    with pytest.raises(
        CsvError, match=r"^The sheet 'Data' spans 2,000 rows × 702 columns, more than the 100,000"
    ):
        load_csv(tmp_path / "stray.xlsx")
    assert read == []  # refused from the workbook's own record, before the reader held the range
    monkeypatch.undo()
    monkeypatch.setattr(spreadsheet, "MAX_CELLS", 100_000)
    log = book.active
    log.title = "Log"
    data = book.create_sheet("Data", 0)
    for i in range(12):
        data.append([f"p{i}", i, 2 * i])
    book.save(tmp_path / "two.xlsx")
    raw = read_csv(tmp_path / "two.xlsx")
    assert len(raw.frame) == 12 and [p.message[:33] for p in raw.problems] == [
        "The sheet 'Log' spans 2,000 rows "
    ]


def test_a_damaged_or_empty_workbook_is_a_message_for_that_file(tmp_path):
    (tmp_path / "damaged.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(
        CsvError, match=r"^The spreadsheet cannot be read \(.+\); if it opens in a spreadsheet"
    ):
        load_csv(tmp_path / "damaged.xlsx")
    book = openpyxl.Workbook()
    book.save(tmp_path / "blank.xlsx")
    with pytest.raises(CsvError, match="Every sheet of the workbook is empty"):
        load_csv(tmp_path / "blank.xlsx")
    shutil.copy(DEMO / "tables" / "customers.csv", tmp_path / "customers.csv")
    result = run(Spec(paths=(str(tmp_path),), use_cache=False, k=3))  # the run goes on with the rest
    assert len(result.analysed.items) == 300
    assert {p.path.name for p in result.problems} == {"damaged.xlsx", "blank.xlsx"}


def _ods(path: Path, rows: list[list]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (no writer package needed)."""
    import zipfile

    def cell(value) -> str:
        number = isinstance(value, int | float)
        kind = f'"float" office:value="{value}"' if number else '"string"'
        return f"<table:table-cell office:value-type={kind}><text:p>{value}</text:p></table:table-cell>"

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Data">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        book.writestr("content.xml", content)
        book.writestr("META-INF/manifest.xml", manifest)
    return path


def test_an_opendocument_sheet_is_read_like_an_excel_one(tmp_path):
    rows = [["name", "height", "weight"], *([f"p{i}", 150 + i, 50.5 + i] for i in range(10))]
    raw = read_csv(_ods(tmp_path / "people.ods", rows))
    assert list(raw.frame.columns) == ["name", "height", "weight"] and len(raw.frame) == 10
    np.testing.assert_array_equal(raw.frame["height"], np.arange(150, 160))
    np.testing.assert_allclose(raw.frame["weight"], np.arange(10) + 50.5)


def test_a_workbook_saved_under_a_csv_name_is_read_as_one(tmp_path):
    # Web applications hand out .xlsx files named report.csv; a zip that is no workbook stays binary.
    book = openpyxl.Workbook()
    for i in range(8):
        book.active.append([f"p{i}", i, i * i] if i else ["name", "x", "y"])
    book.save(tmp_path / "report.csv")
    raw = read_csv(tmp_path / "report.csv")
    assert list(raw.frame.columns) == ["name", "x", "y"] and len(raw.frame) == 7
    assert [p.message for p in raw.problems] == ["This .csv file holds a spreadsheet, and was read as one."]
    import zipfile

    with zipfile.ZipFile(tmp_path / "archive.csv", "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    with pytest.raises(CsvError, match="not a text CSV file"):
        read_csv(tmp_path / "archive.csv")
