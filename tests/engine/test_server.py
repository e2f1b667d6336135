"""The engine process's hand-over file: written where there is room, read once, then gone."""

from __future__ import annotations

import errno

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
