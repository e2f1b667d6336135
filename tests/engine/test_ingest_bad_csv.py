"""Bad CSV input: every case gives a clear per-file problem, never an exception, and the run goes on."""

from __future__ import annotations

import os
import pathlib
from pathlib import Path

import numpy as np
import pytest

from engine.ingest import csv_reader, scan


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def good_table(folder: Path) -> Path:
    return write(folder / "good.csv", "a,b\n1,2\n3,4\n5,6\n")


def problems_for(collection, path: Path, severity: str | None = None) -> list[str]:
    return [
        p.message
        for p in collection.problems
        if p.path == path and (severity is None or p.severity == severity)
    ]


def only_error(collection, path: Path) -> str:
    errors = problems_for(collection, path, "error")
    assert len(errors) == 1, collection.problems
    assert not [it for it in collection.items if it.path == path]
    return errors[0]


def test_empty_file(tmp_path):
    bad = write(tmp_path / "empty.csv", b"")
    good_table(tmp_path)
    collection = scan([tmp_path])
    assert "empty (0 bytes)" in only_error(collection, bad)
    assert len(collection) == 3  # the good file still loads


def test_blank_lines_only(tmp_path):
    bad = write(tmp_path / "blank.csv", "\n\n  \n")
    assert "blank lines" in only_error(scan([bad]), bad)


def test_header_only(tmp_path):
    bad = write(tmp_path / "header.csv", "a,b,c\n")
    assert "no data rows" in only_error(scan([bad]), bad)


def test_ragged_rows_are_skipped_and_reported(tmp_path):
    lines = ["a,b,c"] + [f"{i},{i + 1},{i + 2}" for i in range(20)]
    lines[4] = "1,2"  # line 5
    lines[9] = "1,2,3,4"  # line 10
    bad = write(tmp_path / "ragged.csv", "\n".join(lines) + "\n")
    collection = scan([bad])
    assert len(collection) == 18
    (warning,) = problems_for(collection, bad, "warning")
    assert "2 row(s)" in warning and "line(s) 5, 10" in warning
    rows = [it.row for it in collection.items]
    assert 3 not in rows and 8 not in rows and rows[-1] == 19  # rows keep their place in the file
    np.testing.assert_array_equal(collection.table_features[3], [4, 5, 6])


def test_ragged_rows_with_quoted_fields(tmp_path):
    text = 'name,x,y\n"Smith, J",1,2\n"Doe, A",3,4\n"Roe, B",5\n"Poe, C",7,8\n'
    bad = write(tmp_path / "quoted.csv", text)
    collection = scan([bad])
    assert [it.name for it in collection.items] == ["Smith, J", "Doe, A", "Poe, C"]
    assert "line(s) 4" in problems_for(collection, bad, "warning")[0]


def test_many_ragged_lines_are_listed_briefly(tmp_path):
    lines = ["a,b"] + ["1,2"] * 30 + ["1"] * 9
    bad = write(tmp_path / "many.csv", "\n".join(lines))
    (warning,) = problems_for(scan([bad]), bad, "warning")
    assert "9 row(s)" in warning and "and 4 more" in warning


def test_non_numeric_junk_in_numeric_column(tmp_path):
    rows = [f"{i},{i * 0.5}" for i in range(20)]
    rows[3] = "3,oops"
    rows[7] = "7,#REF!"
    bad = write(tmp_path / "junk.csv", "id_number,value\n" + "\n".join(rows) + "\n")
    collection = scan([bad])
    assert len(collection) == 20
    warnings = problems_for(collection, bad, "warning")
    junk = next(w for w in warnings if "not numbers" in w)
    assert "'value'" in junk and "2 cell(s)" in junk and "oops" in junk
    filled = next(w for w in warnings if "filled" in w)
    assert "'value'" in filled and "2 cell(s)" in filled
    values = collection.table_features[:, collection.feature_names.index("value")]
    assert np.isfinite(values).all()
    assert values[3] == pytest.approx(np.median([i * 0.5 for i in range(20) if i not in (3, 7)]))


def test_lines_repeating_the_header_are_skipped_and_reported(tmp_path):
    # Three files joined with cat: the header comes back twice. The repeats used to turn both
    # columns into categories ("a=a") and become items of their own.
    part = "a,b\n" + "\n".join(f"{i},{i * 2}" for i in range(10)) + "\n"
    joined = write(tmp_path / "joined.csv", part * 3)
    collection = scan([joined])
    assert len(collection) == 30 and collection.feature_names == ["a", "b"]
    assert [it.row for it in collection.items][9:12] == [9, 11, 12]  # the file's own row numbers
    (warning,) = problems_for(collection, joined, "warning")
    assert warning.startswith("2 lines repeat the header line") and "they were skipped" in warning
    once = scan([write(tmp_path / "twice.csv", part * 2)])
    assert (
        "1 line repeats the header line (files joined together?); it was skipped" in once.problems[0].message
    )


def test_total_lines_at_the_end_are_left_out_and_reported(tmp_path):
    # A spreadsheet saved as CSV ends with its sums: each became the most unusual item.
    rows = "".join(f"p{i},{20 + i},{1000 * i}\n" for i in range(30))
    sales = write(tmp_path / "sales.csv", "name,age,income\n" + rows + "Subtotal,,435000\nTotal:,,435000\n")
    collection = scan([sales])
    assert len(collection) == 30 and [it.name for it in collection.items][-1] == "p29"
    assert collection.table_features[:, 1].max() == 29_000  # no sum left among the incomes
    (warning,) = problems_for(collection, sales, "warning")
    assert warning == (
        "The last 2 lines ('Subtotal', 'Total:') sum up the rows above: left out, not read as items."
    )
    # A category that happens to be called so is data, even in the last lines.
    grades = "".join(f"{g},{i}\n" for i, g in enumerate(["good", "poor", "average"] * 4 + ["average"]))
    assert len(scan([write(tmp_path / "grades.csv", "quality,score\n" + grades)])) == 13


def test_lines_without_any_value_are_left_out_not_made_of_medians(tmp_path):
    # A note under the table ("Source: ...") used to become an item of imputed medians.
    rows = [f"p{i},{20 + i},{1000 * i},a\n" for i in range(12)]
    lines = ["name,age,income,grade\n", *rows[:3], "gap,,,\n", *rows[3:], "Source: survey office,,,\n"]
    text = "".join(lines)
    survey = write(tmp_path / "survey.csv", text)
    collection = scan([survey])
    assert len(collection) == 12 and "gap" not in [it.name for it in collection.items]
    (warning,) = problems_for(collection, survey, "warning")
    assert warning == (
        "2 lines without a value in any feature column (notes below the table?) left out: "
        "line 5 ('gap'), 15 ('Source: survey office')."
    )
    assert [it.row for it in collection.items][2:5] == [2, 4, 5]  # the file's own rows, the gap skipped


def test_currency_signs_and_percent_marks_are_read_as_numbers(tmp_path):
    lines = ["price,share,change,code"]
    lines += [f"${100 + 7 * i},{i % 50}%,{-(i % 4)}.5 €,A{i}" for i in range(20)]
    sales = write(tmp_path / "sales.csv", "\n".join(lines) + "\n")
    collection = scan([sales])
    assert collection.feature_names[:3] == ["price", "share", "change"]  # 'code' stays text
    values = collection.table_features
    assert values[:, 0].tolist() == [100 + 7 * i for i in range(20)]
    assert values[:3, 1].tolist() == [0, 1, 2] and values[:3, 2].tolist() == [0.5, -1.5, -2.5]
    warnings = problems_for(collection, sales, "warning")
    assert sum("currency signs or percent marks" in w for w in warnings) == 3
    assert any("'$100'" in w for w in warnings)


def test_binary_file_named_csv(tmp_path):
    bad = write(tmp_path / "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert "not a text CSV file" in only_error(scan([bad]), bad)


def test_undecodable_bytes_without_nul(tmp_path):
    bad = write(tmp_path / "noise.csv", bytes(np.random.default_rng(0).integers(1, 32, 5000, dtype=np.uint8)))
    assert "not a text CSV file" in only_error(scan([bad]), bad)


def test_semicolons_with_decimal_commas(tmp_path):
    text = "Länge;Breite;Sorte\n1,5;2,25;A\n-3,75;4,0;B\n10,125;0,5;A\n"
    bad = write(tmp_path / "de.csv", text)
    collection = scan([bad])
    assert len(collection) == 3
    np.testing.assert_allclose(collection.table_features[:, :2], [[1.5, 2.25], [-3.75, 4.0], [10.125, 0.5]])
    info = collection.csv_files[bad]
    assert info.delimiter == ";" and info.decimal == ","
    assert "decimal comma" in collection.notes[0]


def test_decimal_comma_with_thousands_dots(tmp_path):
    bad = write(tmp_path / "money.csv", "item;price\nA;1.234,50\nB;12,00\nC;2.000.000,25\n")
    collection = scan([bad])
    np.testing.assert_allclose(collection.table_features[:, 0], [1234.5, 12.0, 2000000.25])


def test_missing_values_are_imputed_with_a_warning(tmp_path):
    text = "x,y,colour\n1,10,red\n,20,red\n3,,blue\n5,40,\nNA,50,red\n"
    bad = write(tmp_path / "gaps.csv", text)
    collection = scan([bad])
    features = collection.table_features
    assert np.isfinite(features).all()
    names = collection.feature_names
    assert names == ["x", "y", "colour=blue", "colour=red"]
    np.testing.assert_allclose(features[:, 0], [1, 3, 3, 5, 3])
    np.testing.assert_allclose(features[:, 1], [10, 20, 30, 40, 50])
    np.testing.assert_allclose(features[3, 2:], [0, 1])  # most frequent colour
    (warning,) = problems_for(collection, bad, "warning")
    assert "'x': 2 cell(s)" in warning and "'y': 1 cell(s)" in warning and "'colour': 1 cell(s)" in warning


def test_single_row_is_used_with_a_warning(tmp_path):
    bad = write(tmp_path / "one.csv", "a,b,c\n1,2,3\n")
    collection = scan([bad])
    assert len(collection) == 1
    assert any("only one data row" in w for w in problems_for(collection, bad, "warning"))


def test_single_text_column_has_no_features(tmp_path):
    bad = write(tmp_path / "words.csv", "word\napple\nbanana\ncherry\napple\n")
    assert "no numeric columns" in only_error(scan([bad]), bad)


def test_unreadable_csv(tmp_path, monkeypatch):
    bad = write(tmp_path / "locked.csv", "a,b\n1,2\n")
    good = good_table(tmp_path)
    bad.chmod(0)
    try:
        if os.access(bad, os.R_OK):  # root reads anything: simulate the refusal
            real = pathlib.Path.read_bytes

            def refuse(self):
                if self == bad:
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self)

            monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
        collection = scan([tmp_path])
    finally:
        bad.chmod(0o644)
    assert "permission denied" in only_error(collection, bad)
    assert {it.path for it in collection.items} == {good}


def test_huge_file_is_refused(tmp_path, monkeypatch):
    bad = write(tmp_path / "huge.csv", "a,b\n" + "1,2\n" * 100)
    monkeypatch.setattr(csv_reader, "MAX_CSV_BYTES", 200)
    message = only_error(scan([bad]), bad)
    assert "limit" in message and "split" in message


def test_latin1_file_is_decoded(tmp_path):
    text = "ville;température\nMontréal;-5,5\nQuébec;-7,25\nGenève;3,0\n"
    bad = write(tmp_path / "fr.csv", text, encoding="latin-1")
    collection = scan([bad])
    assert [it.name for it in collection.items] == ["Montréal", "Québec", "Genève"]
    np.testing.assert_allclose(collection.table_features[:, 0], [-5.5, -7.25, 3.0])
    assert collection.feature_names == ["température"]


def test_utf8_bom_does_not_leak_into_the_header(tmp_path):
    bad = write(tmp_path / "bom.csv", "\ufeffspecies,x\na,1\nb,2\na,3\n")
    collection = scan([bad])
    assert collection.csv_files[bad].label_column == "species"
    assert collection.labels() == ["a", "b", "a"]


def test_header_shorter_than_rows_is_padded(tmp_path):
    bad = write(tmp_path / "short_header.csv", "a,b\n1,2,3\n4,5,6\n7,8,9\n")
    collection = scan([bad])
    assert len(collection) == 3 and collection.table_features.shape == (3, 3)
    assert any("header line has 2 names" in w for w in problems_for(collection, bad, "warning"))


def test_every_bad_file_in_one_folder(tmp_path):
    write(tmp_path / "a_empty.csv", b"")
    write(tmp_path / "b_header.csv", "x,y\n")
    write(tmp_path / "c_binary.csv", b"\x00\x01\x02" * 100)
    write(tmp_path / "d_words.csv", "w\nx\ny\n")
    good = good_table(tmp_path)
    collection = scan([tmp_path])
    assert {it.path for it in collection.items} == {good}
    assert sum(p.severity == "error" for p in collection.problems) == 4


@pytest.mark.parametrize(
    "content",
    [
        b'"""',
        b",",
        b"\n,\n,,\n",
        b'"a,b\n1,2\n3,4\n',
        b"a;b,c|d\n1;2,3|4\n5|6\n",
        b"x\n" + b"9" * 100_000 + b"\n",
        b"\xef\xbb\xbf",
        b"a,b\r\n1,2\r\n",
        b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le"),
        b"a,a,a\n1,2,3\n4,5,6\n",
        b"inf,-inf,nan\n1,2,3\n",
        b"#comment\n1,2\n",
    ],
)
def test_odd_input_never_raises(tmp_path, content):
    path = write(tmp_path / "odd.csv", content)
    collection = scan([path])
    assert collection.items or collection.problems
    if collection.table_features is not None:
        assert np.isfinite(collection.table_features).all()
    for series in collection.series.values():
        assert np.isfinite(series).all()


def test_crlf_utf16_and_duplicate_names(tmp_path):
    crlf = write(tmp_path / "crlf.csv", b"a,b\r\n1,2\r\n3,4\r\n")
    wide = write(tmp_path / "u16.csv", b"\xff\xfe" + "c,d\n5,6\n7,8\n".encode("utf-16-le"))
    dup = write(tmp_path / "dup.csv", "v,v\n1,2\n3,4\n")
    paths = [crlf, wide, dup]
    assert [g.label.split(":")[0] for g in scan(paths).groups] == ["crlf.csv", "u16.csv", "dup.csv"]
    for path, columns, rows in [(crlf, ["a", "b"], [[1, 2], [3, 4]]), (wide, ["c", "d"], [[5, 6], [7, 8]])]:
        collection = scan(paths, csv_group=path.name)
        assert collection.feature_names == columns
        np.testing.assert_allclose(collection.table_features, rows)
    assert scan(paths, csv_group="dup.csv").feature_names == ["v", "v.1"]


def test_unclosed_quote_and_comment_lines(tmp_path):
    unclosed = write(tmp_path / "quote.csv", 'a,b\n"1,2\n3,4\n')
    assert "line 2 is never closed" in only_error(scan([unclosed]), unclosed)
    commented = write(tmp_path / "commented.csv", "# exported by a logger\n# units: mm\nx;y\n1,5;2\n3;4\n")
    collection = scan([commented])
    assert collection.feature_names == ["x", "y"]
    np.testing.assert_allclose(collection.table_features, [[1.5, 2], [3, 4]])


def test_only_delimiters(tmp_path):
    bad = write(tmp_path / "commas.csv", ",,\n,,\n,,\n")
    assert "no values" in only_error(scan([bad]), bad)


def test_delimiter_is_the_one_that_leaves_numbers(tmp_path):
    semicolons = write(tmp_path / "a.csv", "p;q;r\n1,5;2,25;3\n4,5;5,25;6\n7,5;8,25;9\n")
    commas = write(tmp_path / "b.csv", "note,u,v\nx; y,1.5,2\nz; w,3.5,4\nk; m,5.5,6\n")
    collection = scan([semicolons, commas], label_column="")
    assert collection.csv_files[semicolons].delimiter == ";"
    assert collection.csv_files[commas].delimiter == ","
    np.testing.assert_allclose(
        collection.table_features[:3, :3], [[1.5, 2.25, 3], [4.5, 5.25, 6], [7.5, 8.25, 9]]
    )


def test_short_latin1_text_is_not_mistaken_for_another_code_page(tmp_path):
    # charset-normalizer alone reads these bytes as cp1250 ("très" -> "trčs") or even UTF-16.
    bad = write(tmp_path / "short.csv", "nom;x\ntrès;1\ncafé;2\nnaïve;3\n", encoding="latin-1")
    assert [it.name for it in scan([bad]).items] == ["très", "café", "naïve"]
