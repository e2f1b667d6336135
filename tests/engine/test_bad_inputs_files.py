"""Hostile files, names and output folders (issue 9): nothing lost, nothing hidden, the run goes on."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine import cli, export
from engine.embed import Embedder
from engine.ingest import scan
from engine.ingest.documents import MAX_CHARS, read_document
from engine.pipeline import Spec, run

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo"


def _table(path: Path, seed: int, extra_rows: list[str] = ()) -> Path:
    rng = np.random.default_rng(seed)
    rows = ["name,a,b", *(f"r{seed}_{i},{rng.normal(seed):.3f},{rng.normal():.3f}" for i in range(12))]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join([*rows, *extra_rows]) + "\n")
    return path


def _read_utf8(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # strict: any surrogate that slipped through fails here


# ---- odd file names ------------------------------------------------------------------------


def test_names_that_are_not_utf8_are_written_escaped_in_every_output(tmp_path, capsys):
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    _table(Path(os.fsdecode(os.path.join(folder, b"caf\xe9.csv"))), 0)
    _table(Path(os.fsdecode(os.path.join(folder, b"good.csv"))), 1)
    with open(os.path.join(folder, b"bro\xffken.csv"), "wb") as handle:
        handle.write(b"\x00\x01binary\xff")
    out = tmp_path / "out"

    assert cli.main(["analyze", str(tmp_path / "in"), "--out", str(out), "--k", "2", "--no-cache"]) == 0
    assignments = _read_utf8(out / "assignments.csv")
    assert assignments.count("caf\\xe9.csv,") == 12
    assert "bro\\xffken.csv" in _read_utf8(out / "problems.csv")
    document = json.loads(_read_utf8(out / "metrics.json"))
    assert any("caf\\xe9.csv" in note for note in document["notes"])
    assert "caf\\xe9.csv" in capsys.readouterr().err  # the printed report uses the same escape


def test_the_escape_is_lossless_and_leaves_good_names_alone():
    name = os.fsdecode(b"/data/caf\xe9 \xff.csv")
    escaped = export.escape_text(name)
    assert escaped == "/data/caf\\xe9 \\xff.csv"
    assert escaped.encode("utf-8").decode("unicode_escape").encode("latin-1") == b"/data/caf\xe9 \xff.csv"
    assert export.escape_text("café ✓.csv") == "café ✓.csv"


# ---- CSV injection -------------------------------------------------------------------------


FORMULAS = ['=HYPERLINK("http://x.example")', "+cmd|' /C calc'!A1", "-2+3+cmd", "@SUM(A1)", "\tTAB", "\rCR"]


def test_cells_that_a_spreadsheet_would_run_are_neutralised_and_numbers_stay_numbers(tmp_path):
    lines = io.StringIO()
    csv.writer(lines, lineterminator="\n").writerows([f, i, -i] for i, f in enumerate(FORMULAS[:4]))
    path = _table(tmp_path / "t.csv", 0, lines.getvalue().splitlines())
    result = run(Spec(paths=(str(path),), k=2, use_cache=False))
    export.write_assignments(result, tmp_path / "assignments.csv")
    with open(tmp_path / "assignments.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items = {r["item"] for r in rows}
    assert {"'" + f for f in FORMULAS[:4]} <= items
    assert not [r for r in rows if r["item"][:1] in "=+-@\t\r"]
    negative = [r["x"] for r in rows if r["x"].startswith("-")]
    assert negative and all(float(x) < 0 for x in negative)  # no quote on numbers


def test_problems_csv_neutralises_a_formula_in_a_file_name(tmp_path):
    export.write_problems([scan([tmp_path / "=cmd().csv"]).problems[0]], tmp_path / "problems.csv")
    with open(tmp_path / "problems.csv", encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["path"].startswith("/")  # a full path never starts like a formula
    assert export.csv_cell("=cmd().csv") == "'=cmd().csv" and export.csv_cell(-1.5) == -1.5
    assert export.csv_cell("-1.5") == "-1.5"
    assert [export.csv_cell(f)[0] for f in FORMULAS] == ["'"] * len(FORMULAS)


def test_results_are_written_with_the_umask_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        export.write_problems([], tmp_path / "problems.csv")
    finally:
        os.umask(old)
    assert (tmp_path / "problems.csv").stat().st_mode & 0o777 == 0o644


# ---- zip-based documents and long texts ----------------------------------------------------


def _docx(path: Path, padding: int = 0) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("A short report about rivers.")
    document.save(str(path))
    if padding:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("customXml/padding.xml", b" " * padding)
    return path


def test_a_docx_that_unpacks_to_too_much_xml_is_refused_with_a_message(tmp_path):
    from engine.items import ItemError

    bomb = _docx(tmp_path / "bomb.docx", padding=45 * 1024**2)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(ItemError, match=r"unpacks to 4\d MB"):
        read_document(bomb)
    assert "rivers" in read_document(_docx(tmp_path / "fine.docx"))


class _Lengths(Embedder):
    name = "lengths"
    modality = "text"

    def load(self, item, collection):
        return read_document(item.path)

    def embed_batch(self, payloads):
        return np.array([[len(p), 1.0] for p in payloads])


def test_a_text_cut_at_the_limit_gets_a_note(tmp_path):
    (tmp_path / "long.txt").write_text("word " * (MAX_CHARS // 4))
    (tmp_path / "short.txt").write_text("a few words")
    problems = []
    vectors = _Lengths().embed(scan([tmp_path]), problems=problems)
    assert sorted(vectors[:, 0]) == [11, MAX_CHARS]
    (note,) = problems
    assert note.path.name == "long.txt" and note.severity == "warning" and "2,000,000" in note.message


# ---- the command line: why nothing was analysed, and --out -------------------------------


def test_when_nothing_can_be_analysed_the_problems_are_printed_and_written(tmp_path, capsys):
    (tmp_path / "header.csv").write_text("a,b,c\n")
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02\xff" * 50)
    out = tmp_path / "out"
    code = cli.main(["analyze", str(tmp_path), str(tmp_path / "missing"), "--out", str(out)])
    assert code == cli.EXIT_FAILED
    stderr = capsys.readouterr().err
    for name in ("header.csv", "binary.csv", "missing"):
        assert f"{name}: " in stderr
    with open(out / "problems.csv", encoding="utf-8-sig", newline="") as handle:
        paths = {Path(r["path"]).name for r in csv.DictReader(handle)}
    assert {"header.csv", "binary.csv", "missing"} <= paths


def test_a_missing_label_column_is_listed_too(tmp_path, capsys):
    path = _table(tmp_path / "t.csv", 0)
    code = cli.main(["analyze", str(path), "--label-column", "nope", "--out", str(tmp_path / "out")])
    assert code == cli.EXIT_FAILED
    assert "'nope'" in capsys.readouterr().err and (tmp_path / "out" / "problems.csv").exists()


@pytest.mark.parametrize("where", ["a file", "inside a file"])
def test_an_unusable_out_is_refused_before_any_work(tmp_path, capsys, where):
    blocker = tmp_path / "results.txt"
    blocker.write_text("keep me")
    out = blocker if where == "a file" else blocker / "out"
    code = cli.main(["analyze", str(DEMO / "tables"), "--out", str(out)])
    assert code == cli.EXIT_USAGE
    stderr = capsys.readouterr().err
    assert "error: --out" in stderr and "embed" not in stderr and "ingest" not in stderr
    assert blocker.read_text() == "keep me"


# ---- small ones: links, model settings, mp3 decoder chatter --------------------------------


def test_a_link_to_itself_is_reported_as_a_loop(tmp_path):
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    (tmp_path / "gone.csv").symlink_to("nowhere.csv")
    messages = {p.path.name: p.message for p in scan([tmp_path]).problems}
    assert "loop" in messages["loop.csv"] and "does not exist" in messages["gone.csv"]
    (direct,) = scan([tmp_path / "loop.csv"]).problems
    assert "loop" in direct.message


def test_null_and_broken_model_settings(tmp_path, monkeypatch):
    from engine.embed import models

    monkeypatch.setenv("DATAMINING6_CONFIG_DIR", str(tmp_path))
    (tmp_path / "models.json").write_text('{"image-clip": null, "text-minilm": "/m"}')
    assert models.configured_models() == {"text-minilm": "/m"} and models.models_file_note() is None
    (tmp_path / "models.json").write_text('{"image-clip": "/m",')
    assert models.configured_models() == {}
    assert "cannot be read" in models.models_file_note()


def test_a_damaged_mp3_says_so_in_a_note_and_nothing_leaks_to_stderr(tmp_path):
    import soundfile as sf

    t = np.arange(22050 * 3) / 22050
    sf.write(tmp_path / "ok.mp3", 0.3 * np.sin(2 * np.pi * 440 * t), 22050, format="MP3")
    data = bytearray((tmp_path / "ok.mp3").read_bytes())
    for start in range(1000, len(data) - 1000, 1500):
        data[start : start + 400] = np.random.default_rng(start).bytes(400)
    (tmp_path / "bad.mp3").write_bytes(bytes(data))
    code = (
        "import sys; from engine.ingest.audio import load_audio;"
        f"print(load_audio({str(tmp_path / 'bad.mp3')!r})[2]); print('other', file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "damaged frames" in done.stdout
    assert "MPEG" not in done.stderr and "libmpg123" not in done.stderr and "other" in done.stderr


@pytest.mark.parametrize("descriptor", ["closed", "open"])
def test_audio_loads_in_a_windowed_app_where_stderr_is_none(tmp_path, descriptor):
    # A windowed Windows bundle (PyInstaller, like pythonw) has sys.stderr None and often no
    # descriptor 2: flushing it raised AttributeError, so every audio file failed in the window.
    import soundfile as sf

    t = np.arange(22050) / 22050
    sf.write(tmp_path / "a.mp3", 0.3 * np.sin(2 * np.pi * 440 * t), 22050, format="MP3")
    close = "os.close(2);" if descriptor == "closed" else ""
    code = (
        f"import os, sys; {close} sys.stderr = None; from engine.ingest.audio import load_audio;"
        f"signal, rate, notes = load_audio({str(tmp_path / 'a.mp3')!r}); print(len(signal), rate, notes)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    frames, rate, notes = done.stdout.split(maxsplit=2)
    assert abs(int(frames) - int(rate)) < 0.1 * int(rate) and notes.strip() == "[]"
