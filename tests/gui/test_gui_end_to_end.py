"""The window driving the real engine: drop a folder, see the map and the problems, cancel, re-run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.main_window import MainWindow


def write_blobs(path: Path, n: int, n_features: int = 4, seed: int = 0) -> None:
    """Three well separated blobs with a ``label`` column naming the blob."""
    rng = np.random.default_rng(seed)
    blob = np.arange(n) % 3
    centres = rng.normal(scale=10.0, size=(3, n_features))
    values = centres[blob] + rng.normal(size=(n, n_features))
    header = ",".join([f"f{i}" for i in range(n_features)] + ["label"])
    lines = [header] + [
        ",".join(f"{v:.4f}" for v in row) + f",blob{b}" for row, b in zip(values, blob, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def window(qtbot):
    win = MainWindow(settings=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_dropped_folder_is_analysed_and_bad_files_listed(qtbot, window, tmp_path, drop):
    folder = tmp_path / "input"
    folder.mkdir()
    write_blobs(folder / "blobs.csv", 150)
    (folder / "broken.csv").write_bytes(b"\x00\x01\x02 not a csv \xff\xfe" * 10)
    with qtbot.waitSignal(window.result_shown, timeout=60_000, raising=True) as blocker:
        drop(window, folder)
    result = blocker.args[0]
    assert window.scatter.point_count() == 150
    assert result.metrics.get("n_clusters") == 3
    assert len(window.scatter.legend_entries()) == 3
    assert any(row[0] == "broken.csv" for row in window.problems.row_texts())
    assert window.problems_dock.windowTitle() == f"Problems ({window.problems.problem_count()})"
    assert window.k_curve_dock.isVisible() and window.k_curve.chosen_k == 3
    assert "ARI" in window.metrics.toPlainText()
    # the label box offers the CSV file's columns, the detected label column first
    choices = window.settings_panel.label_column
    assert [choices.itemText(i) for i in range(2, choices.count())] == ["label", "f0", "f1", "f2", "f3"]

    # Another k re-clusters the kept embeddings: ingest and embedding are not run again.
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as blocker:
        window.settings_panel.k_auto.setChecked(False)
        window.settings_panel.k.setValue(4)
    again = blocker.args[0]
    assert again.spec.k == 4 and again.n_clusters == 4
    assert "cluster" in again.timings and "ingest" not in again.timings and "embed" not in again.timings
    assert len(window.scatter.legend_entries()) == 4 and not window.k_curve_dock.isVisible()


def test_cancel_mid_run_then_run_again(qtbot, window, tmp_path, drop):
    big = tmp_path / "big"
    big.mkdir()
    write_blobs(big / "many.csv", 150_000, n_features=8, seed=1)
    with qtbot.waitSignal(window.worker.progress, timeout=30_000):
        window.open_paths([big])
    with qtbot.waitSignal(window.worker.cancelled, timeout=3000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert window.stage_label.text() == "Cancelled"

    small = tmp_path / "small"
    small.mkdir()
    write_blobs(small / "blobs.csv", 150, seed=2)
    with qtbot.waitSignal(window.result_shown, timeout=60_000):
        drop(window, small)
    assert window.scatter.point_count() == 150


def test_a_folder_of_only_bad_files_still_lists_each_problem(qtbot, window, tmp_path, drop):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.csv").write_bytes(b"")
    (folder / "junk.csv").write_bytes(b"\x00\xff" * 50)
    with qtbot.waitSignal(window.worker.failed, timeout=60_000):
        drop(window, folder)
    files = sorted(row[0] for row in window.problems.row_texts())
    assert files == ["empty.csv", "junk.csv"]
    assert "No usable items" in window.stage_label.text()


def test_method_views_follow_the_settings_and_share_the_selection(qtbot, window, tmp_path, drop):
    folder = tmp_path / "blobs"
    folder.mkdir()
    write_blobs(folder / "blobs.csv", 120)
    with qtbot.waitSignal(window.result_shown, timeout=60_000):
        drop(window, folder)
    docks = window.analysis
    assert docks.dendrogram.tree is None  # K-Means draws no tree

    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        window.settings_panel.edit(algorithm="agglomerative", k=3, detector="iforest")
    result = shown.args[0]
    assert result.clustering.tree is not None and docks.dendrogram.tree is result.clustering.tree
    assert window.scatter.ringed()[0] == int(result.anomaly.flags.sum()) > 0  # outliers ringed
    assert docks.silhouette.mean == pytest.approx(result.metrics["silhouette"])

    # The user's outlier threshold is what the map rings, and it outlives a re-run.
    lower = float(np.quantile(result.anomaly.scores, 0.8))
    docks.anomaly.set_threshold(lower)
    assert window.scatter.ringed()[0] == int((result.anomaly.scores > lower).sum()) == 24

    # Moving the cut recolours the map at once and makes k the setting, which re-clusters.
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        docks.dendrogram.set_k(2)
        assert len(window.scatter.legend_entries()) == 2
    assert shown.args[0].spec.k == 2 and shown.args[0].n_clusters == 2
    assert window.view_state.threshold == docks.anomaly.threshold == lower
    assert window.scatter.ringed()[0] == 24

    # One selection everywhere: a branch of the tree selects its items in the map.
    docks.dendrogram.select_node(len(shown.args[0].clustering.tree.Z) + 120 - 1)  # the root
    assert window.scatter.selected == list(range(120))

    # Another detector scores on another scale: its own threshold, and the selection stays.
    with qtbot.waitSignal(window.result_shown, timeout=60_000) as shown:
        window.settings_panel.edit(detector="ecod")
    assert window.view_state.threshold == pytest.approx(shown.args[0].anomaly.threshold)
    assert window.scatter.selected == list(range(120))
