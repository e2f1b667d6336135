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
