"""Writing files atomically: an interrupted write leaves the old file and no temporary behind."""

import pytest

from engine.atomic import atomic_write


def test_atomic_write_replaces_on_success_and_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "sub" / "out.csv"
    with atomic_write(target) as handle:
        handle.write("a,b\n1,2\n")
    assert target.read_text(encoding="utf-8") == "a,b\n1,2\n"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]
    with atomic_write(target, "wb") as handle:
        handle.write(b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"


def test_a_save_removes_what_a_killed_save_left_beside_its_file_but_not_a_live_one(tmp_path):
    import os
    import time

    from engine.atomic import STALE_TEMPORARY_S

    target = tmp_path / "work.dm6"
    killed = tmp_path / ".work.dm6.k1ll3d_.tmp"  # what mkstemp named the write that was killed
    live = tmp_path / ".work.dm6.l1v3xx_.tmp"  # another window saving the same file right now
    other = tmp_path / ".notes.txt.zzzzzzzz.tmp"  # another file's
    for path in (killed, live, other):
        path.write_bytes(b"partial")
    old = time.time() - STALE_TEMPORARY_S - 60
    for path in (killed, other):
        os.utime(path, (old, old))
    with atomic_write(target) as handle:
        handle.write("saved")
    assert target.read_text() == "saved"
    assert not killed.exists() and live.exists() and other.exists()


def test_atomic_write_works_without_os_fchmod_as_on_windows(tmp_path, monkeypatch):
    import os

    monkeypatch.delattr(os, "fchmod")  # Windows before Python 3.13: every save raised AttributeError
    with atomic_write(tmp_path / "a.csv") as handle:
        handle.write("x\n")
    assert (tmp_path / "a.csv").read_text() == "x\n"


def test_a_file_open_elsewhere_or_a_closed_folder_is_named_not_our_temporary(tmp_path, monkeypatch):
    # Windows refuses to replace a CSV a spreadsheet has open: the message named ".clusters.csv.x1y2.tmp".
    import errno
    import os
    import tempfile

    target = tmp_path / "clusters.csv"
    target.write_text("old\n")

    def in_use(_src, _dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", in_use)
    with pytest.raises(OSError) as caught, atomic_write(target) as handle:
        handle.write("new\n")
    message = str(caught.value)
    assert message.startswith(f"Cannot replace {target}: Permission denied;")
    assert "program that has it open" in message
    assert ".tmp" not in message and caught.value.errno == errno.EACCES
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["clusters.csv"]

    def read_only(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".report.html.abc.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(OSError, match=r"^Cannot write in .*: Permission denied; choose a folder you can"):
        atomic_write(tmp_path / "report.html").__enter__()
