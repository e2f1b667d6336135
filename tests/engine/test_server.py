"""The engine process's hand-over file: written where there is room, read once, then gone."""

from __future__ import annotations

import errno
import os

import numpy as np

from engine import pipeline, server, store


def test_a_full_ram_folder_hands_over_through_the_cache_and_the_reader_deletes_the_file(
    tmp_path, monkeypatch
):
    folder = tmp_path / "in"
    folder.mkdir()
    rows = np.random.default_rng(0).normal(size=(60, 3)) + 5.0 * (np.arange(60) % 2)[:, None]
    np.savetxt(folder / "t.csv", rows, delimiter=",", header="a,b,c", comments="", fmt="%.3f")
    result = pipeline.run(pipeline.Spec(paths=(str(folder),), k=2, use_cache=False))
    ram, disk = tmp_path / "shm", tmp_path / "cache"
    monkeypatch.setattr(server, "handover_dirs", lambda: [ram, disk])
    save = store.save

    def full_ram(result, path, view_state=None):
        if path.parent == ram:
            raise OSError(errno.ENOSPC, "No space left on device")
        save(result, path, view_state)

    monkeypatch.setattr(store, "save", full_ram)
    path = server.write_handover(result)
    assert path.parent == disk and list(ram.iterdir()) == []
    back = server.read_handover(path)
    assert not path.exists()
    assert np.array_equal(back.labels, result.labels) and np.array_equal(back.embeddings, result.embeddings)


def _handover_file(folder, pid: int):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{server.HANDOVER_PREFIX}{pid}-abc123.dm6"
    path.write_bytes(b"result")
    return path


def test_result_files_of_gone_or_killed_processes_are_swept_and_live_ones_kept(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setattr(server, "handover_dirs", lambda: [tmp_path / "shm", tmp_path / "cache"])
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(ended.stdout)
    dead = _handover_file(tmp_path / "shm", dead_pid)
    mine = _handover_file(tmp_path / "cache", os.getpid())
    named = _handover_file(tmp_path / "shm", os.getppid())  # alive, but named as just killed
    unrelated = tmp_path / "shm" / "someone-else.dm6"
    unrelated.write_bytes(b"x")
    assert server.sweep_handovers({os.getppid()}) == 2
    assert not dead.exists() and not named.exists()
    assert mine.exists() and unrelated.exists()


def test_killing_the_engine_deletes_the_result_it_wrote_but_nobody_read(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "handover_dirs", lambda: [tmp_path])
    engine = server.EngineProcess()
    engine.start()
    left = _handover_file(tmp_path, engine.pid)
    engine.kill()
    assert not left.exists() and not engine.alive
