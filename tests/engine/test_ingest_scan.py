"""Scanning files and folders: modalities, order, labels, hidden files, links, progress, cancel."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine.ingest import MODALITY_BY_EXTENSION, modality_of, scan
from engine.progress import Cancelled, CancelToken


def touch(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def messages(collection, severity: str | None = None) -> list[str]:
    return [p.message for p in collection.problems if severity is None or p.severity == severity]


def test_extension_table_covers_every_listed_type():
    expected = {
        "text": ".txt .md .markdown .html .htm .pdf .docx",
        "image": ".png .jpg .jpeg .bmp .gif .webp .tif .tiff",
        "audio": ".wav .flac .ogg .mp3 .aiff .aif .opus .m4a .aac",
        "csv": ".csv .tsv",
    }
    for modality, extensions in expected.items():
        for ext in extensions.split():
            assert MODALITY_BY_EXTENSION[ext] == modality
            assert modality_of(Path("a" + ext.upper())) == modality
    assert modality_of(Path("a.xyz")) is None


def test_folder_scan_modalities_labels_order_and_hidden_files(tmp_path):
    root = tmp_path / "data"
    touch(root / "cats" / "b.png")
    touch(root / "cats" / "a.jpg")
    touch(root / "dogs" / "c.wav")
    touch(root / "notes" / "d.md", b"# hello")
    touch(root / "notes" / "e.xyz")
    touch(root / ".hidden" / "f.png")
    touch(root / "cats" / ".g.png")
    touch(root / "Thumbs.db")
    touch(root / "notes" / "~$d.docx", b"\x05user" + bytes(157))  # Word's lock file while d.docx is open

    collection = scan([root])

    assert [it.path.name for it in collection.items] == ["a.jpg", "b.png", "c.wav", "d.md"]
    assert [it.id for it in collection.items] == [0, 1, 2, 3]
    assert [it.modality for it in collection.items] == ["image", "image", "audio", "text"]
    assert collection.labels() == ["cats", "cats", "dogs", "notes"]
    skipped = messages(collection, "skipped")
    assert len(skipped) == 1 and "unsupported file type .xyz" in skipped[0].lower()
    assert not messages(collection, "warning")
    assert collection.info["files"]["found"] == 4


def test_missing_path_and_empty_folder_are_problems(tmp_path):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    collection = scan([tmp_path / "nope", empty])
    assert not collection.items
    by_path = {p.path: p for p in collection.problems}
    assert "does not exist" in by_path[tmp_path / "nope"].message
    assert by_path[tmp_path / "nope"].severity == "error"
    assert "no supported files" in by_path[empty].message


def test_folder_of_only_unsupported_files_says_so(tmp_path):
    touch(tmp_path / "x.json")
    collection = scan([tmp_path])
    assert any("no supported files" in m for m in messages(collection))
    assert any(".json" in m for m in messages(collection, "skipped"))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_loop_is_safe_and_files_count_once(tmp_path):
    touch(tmp_path / "a" / "x.txt", b"hello")
    try:
        os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
        os.symlink(tmp_path / "a" / "x.txt", tmp_path / "a" / "y.txt")
        os.symlink(tmp_path / "gone.txt", tmp_path / "a" / "broken.txt")
    except OSError:
        pytest.skip("cannot create symbolic links here")
    collection = scan([tmp_path, tmp_path / "a"])
    assert [it.path.name for it in collection.items] == ["x.txt"]
    assert any("does not exist" in m for m in messages(collection))


def test_explicit_files_and_duplicates(tmp_path):
    a = touch(tmp_path / "k" / "a.txt", b"hi")
    collection = scan([a, tmp_path, a])
    assert len(collection) == 1
    assert collection.items[0].label == "k"


def test_unreadable_file_is_a_problem(tmp_path, monkeypatch):
    secret = touch(tmp_path / "secret.png")
    touch(tmp_path / "fine.png")
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):  # running as root: simulate the refusal
            real_access = os.access
            monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != secret and real_access(p, mode))
        collection = scan([tmp_path])
    finally:
        secret.chmod(0o644)
    assert [it.path.name for it in collection.items] == ["fine.png"]
    assert any("permission" in p.message and p.path == secret for p in collection.problems)


def test_progress_and_cancel(tmp_path):
    for i in range(5):
        touch(tmp_path / f"{i}.txt", b"text")
    calls = []
    scan([tmp_path], progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls[0] == ("ingest", 0, 5) and calls[-1] == ("ingest", 5, 5)
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)

    token = CancelToken()

    def cancel_after_two(stage, done, total):
        if done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        scan([tmp_path], progress=cancel_after_two, cancel=token)


def test_mixed_folder_ids_are_sequential_and_table_rows_follow_item_order(tmp_path):
    touch(tmp_path / "a.txt", b"first")
    touch(tmp_path / "b.csv", b"x,y\n1,2\n3,4\n5,6\n")
    touch(tmp_path / "c.png")
    touch(tmp_path / "d.csv", b"x,y\n7,8\n")
    collection = scan([tmp_path])
    assert [it.id for it in collection.items] == list(range(6))
    tables = [it for it in collection.items if it.modality == "table"]
    assert [(it.path.name, it.row) for it in tables] == [
        ("b.csv", 0),
        ("b.csv", 1),
        ("b.csv", 2),
        ("d.csv", 0),
    ]
    np.testing.assert_array_equal(collection.table_features, [[1, 2], [3, 4], [5, 6], [7, 8]])
    only = collection.only("table")
    np.testing.assert_array_equal(only.table_features[:, 0], [1, 3, 5, 7])


def test_a_numbers_sheet_gets_a_conversion_hint(tmp_path):
    touch(tmp_path / "book.numbers")  # Excel and OpenDocument sheets are read (test_spreadsheet.py)
    problems = scan([tmp_path]).problems
    (warning,) = [p.message for p in problems if p.path.name == "book.numbers"]
    assert ".numbers" in warning and "export the sheet as CSV" in warning


def test_info_and_notes_are_json_ready(tmp_path):
    import json
    from dataclasses import asdict

    touch(tmp_path / "t.csv", b"a;b;class\n1,5;2;x\n3;4;y\n")
    touch(tmp_path / "s" / "v.csv", ("value\n" + "\n".join(str(i) for i in range(30))).encode())
    touch(tmp_path / "p.png")
    collection = scan([tmp_path])
    json.dumps(collection.info)
    json.dumps([asdict(file) for file in collection.csv_files.values()])
    json.dumps(collection.notes)
    assert sorted(it.modality for it in collection.items) == ["image", "table", "table", "timeseries"]


def test_unreadable_folder_is_a_problem(tmp_path, monkeypatch):
    touch(tmp_path / "open" / "a.txt", b"hi")
    locked = tmp_path / "locked"
    touch(locked / "b.txt", b"hi")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    collection = scan([tmp_path])
    assert [it.path.name for it in collection.items] == ["a.txt"]
    (problem,) = collection.problems
    assert (
        problem.path == locked
        and "cannot be read" in problem.message
        and "Permission denied" in problem.message
    )


def test_skipped_files_come_after_the_problems_that_need_a_look(tmp_path):
    """A project folder dropped whole: hundreds of other files must not hide the one cut CSV."""
    from engine.items import skipped_summary, worst_first
    from engine.pipeline import Spec, run

    for i in range(30):
        touch(tmp_path / f"module{i:02}.py")
    for i in range(3):
        touch(tmp_path / f"icon{i}.svg")
    touch(tmp_path / "README")
    rows = [f"{i},{i % 3},{i * 2}" for i in range(40)]
    rows[7] += ",oops"
    (tmp_path / "z.csv").write_text("a,b,c\n" + "\n".join(rows) + "\n")
    problems = run(Spec(paths=(str(tmp_path),), k=2, use_cache=False)).problems
    ordered = worst_first(problems)
    assert ordered[0].path.name == "z.csv" and ordered[0].severity == "warning"
    assert [p.severity for p in ordered[1:]] == ["skipped"] * 34
    assert skipped_summary(problems) == "34 files of kinds not read (.py 30, .svg 3, no extension 1)"
    assert skipped_summary(ordered[:1]) == ""
