"""Problems table, summary, k curve and settings panel, fed by hand-made results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.items import Problem
from engine.pipeline import Spec, run
from gui.settings_panel import SettingsPanel
from gui.views.k_curve import KCurveView
from gui.views.metrics import MetricsView, summary_html
from gui.views.problems import ProblemsView


def test_problems_view_lists_every_problem(qtbot):
    view = ProblemsView()
    qtbot.addWidget(view)
    problems = [
        Problem(Path("/in/bad.csv"), "ingest", "No numeric columns; nothing to cluster.", "error"),
        Problem(Path("/in/odd.csv"), "ingest", "3 cells were not numbers and were left empty.", "warning"),
    ]
    with qtbot.waitSignal(view.count_changed) as blocker:
        view.set_problems(problems)
    assert blocker.args == [2]
    assert view.problem_count() == 2
    rows = sorted(view.row_texts())
    assert rows[0] == ("bad.csv", "ingest", "error", "No numeric columns; nothing to cluster.")
    assert rows[1][0] == "odd.csv" and rows[1][2] == "warning"
    view.set_problems([])
    assert view.rowCount() == 0


def test_problems_view_lists_the_worst_first_until_a_header_is_clicked(qtbot):
    view = ProblemsView()
    qtbot.addWidget(view)
    skipped = [
        Problem(Path(f"/in/{name}"), "ingest", "Unsupported file type, skipped.", "skipped") for name in "ab"
    ]
    cut = Problem(Path("/in/z.csv"), "ingest", "1 row(s) had the wrong number of fields.", "warning")
    lost = Problem(Path("/in/y.png"), "embed", "Not a picture.", "error")
    view.set_problems([*skipped, cut, lost])
    assert [row[0] for row in view.row_texts()] == ["y.png", "z.csv", "a", "b"]
    assert view.problem_count() == 2 and view.title() == "Problems (2, 2 files skipped)"
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [row[0] for row in view.row_texts()] == ["a", "b", "y.png", "z.csv"]


def test_summary_shows_notes_scores_and_timings(qtbot, make_result):
    result = make_result()
    text = summary_html(result)
    for expected in (
        "blobs.csv: read as a table",
        "Silhouette",
        "0.810",
        "ARI",
        "1.000",
        "cluster",
        "standardize",
    ):
        assert expected in text
    assert "NMI" not in text  # absent scores are not shown
    view = MetricsView()
    qtbot.addWidget(view)
    view.set_result(result)
    assert "Silhouette" in view.toPlainText()


def test_k_curve_marks_the_chosen_k(qtbot, fake_k_curve):
    view = KCurveView()
    qtbot.addWidget(view)
    view.set_curve(fake_k_curve)
    assert view.chosen_k == 3
    curves = view.silhouette_plot.listDataItems()
    assert len(curves) == 1 and list(curves[0].getData()[0]) == [2, 3, 4]  # None silhouette skipped
    view.set_curve(None)
    assert view.chosen_k is None and not view.silhouette_plot.listDataItems()


def test_k_curve_shows_the_stability_that_chose_k(qtbot):
    import pyqtgraph as pg

    from engine.cluster import cluster
    from engine.cluster.choose_k import STABLE
    from gui.views import k_curve

    assert k_curve.STABLE == STABLE
    demo = Path(__file__).resolve().parents[2] / "resources" / "demo" / "timeseries"
    curve = run(Spec(paths=(str(demo),), use_cache=False)).k_curve  # silhouette 2, stability 3
    view = KCurveView()
    qtbot.addWidget(view)
    view.set_curve(curve)
    assert view.chosen_k == 3 and view.stability_plot.isVisible()
    (drawn,) = view.stability_plot.listDataItems()
    assert list(drawn.getData()[1]) == pytest.approx(curve.stability)
    lines = [i for i in view.stability_plot.items if isinstance(i, pg.InfiniteLine) and i.angle == 0]
    assert [line.value() for line in lines] == [STABLE]
    assert "most clusters above the dotted line" in view.silhouette_plot.titleLabel.text
    # A curve without measured stability (too few items to halve) hides the plot.
    few = cluster(np.random.default_rng(0).normal(size=(12, 3)), "kmeans", k=None).curve
    view.set_curve(few)
    assert not view.stability_plot.isVisible() and "dotted" not in view.silhouette_plot.titleLabel.text


def test_activating_a_problem_opens_the_folder_that_holds_its_file(qtbot, tmp_path, monkeypatch):
    from gui.views import problems as module

    opened: list[str] = []
    monkeypatch.setattr(
        module.QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()))
    )
    (tmp_path / "in" / "sub").mkdir(parents=True)
    view = ProblemsView()
    qtbot.addWidget(view)
    view.set_problems(
        [
            Problem(tmp_path / "in" / "sub" / "bad.csv", "ingest", "Not a CSV file.", "error"),
            Problem(tmp_path / "in", "ingest", "The folder holds no supported files.", "warning"),
            Problem(tmp_path / "gone" / "away" / "x.png", "ingest", "It does not exist.", "warning"),
        ]
    )
    for row in range(3):
        view.itemActivated.emit(view.item(row, 3))
    assert opened == [str(tmp_path / "in" / "sub"), str(tmp_path / "in"), str(tmp_path)]


def test_the_k_curves_reasons_fit_the_narrow_dock_a_line_each(qtbot, fake_k_curve):
    # On one line, "most clusters above the dotted line; elbow at k = 4, dashed" made the plots 441
    # pixels wide at least: a 300-pixel dock showed them cut off on the right, k = 8 to 10 unseen.
    fake_k_curve.ks = list(range(2, 11))
    fake_k_curve.inertia = [116, 108, 104, 101, 98, 96, 94, 93, 92]
    fake_k_curve.silhouette = [0.079, 0.086, 0.085, 0.077, 0.078, 0.091, 0.08, 0.07, 0.06]
    fake_k_curve.stability = [0.5, 0.83, 0.57, 0.45, 0.35, 0.2, 0.2, 0.1, 0.1]
    fake_k_curve.best_k, fake_k_curve.elbow_k = 3, 4
    view = KCurveView()
    qtbot.addWidget(view)
    view.set_curve(fake_k_curve)
    title = view.silhouette_plot.titleLabel.text
    reasons = ["most clusters above the dotted line", "elbow at k = 4, dashed"]
    assert title.split("<br>") == ["chosen k = 3", *reasons]
    assert view.graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() <= 300


def test_settings_panel_edits_its_one_spec(qtbot, make_result):
    panel = SettingsPanel(Spec(paths=("/in",), k=None, k_min=2, k_max=8))
    qtbot.addWidget(panel)
    assert panel.k_auto.isChecked() and not panel.k.isEnabled()

    with qtbot.waitSignal(panel.spec_changed) as blocker:
        panel.k_auto.setChecked(False)
    assert blocker.args[0] is panel.spec and panel.spec.k == panel.k.value()
    with qtbot.waitSignal(panel.spec_changed):
        panel.k.setValue(5)
    with qtbot.waitSignal(panel.spec_changed):
        panel.random_state.setValue(7)
    with qtbot.waitSignal(panel.spec_changed):
        panel.csv_kind.setCurrentIndex(panel.csv_kind.findData("timeseries"))
    with qtbot.assertNotEmitted(panel.spec_changed):
        panel.label_column.lineEdit().selectAll()
        qtbot.keyClicks(panel.label_column.lineEdit(), "species")  # no re-run per keystroke
    with qtbot.waitSignal(panel.spec_changed):
        qtbot.keyClick(panel.label_column.lineEdit(), Qt.Key.Key_Return)
    assert panel.spec == Spec(
        paths=("/in",), k=5, k_min=2, k_max=8, random_state=7, csv_kind="timeseries", label_column="species"
    )
    with qtbot.waitSignal(panel.spec_changed):
        panel.label_column.setCurrentIndex(1)
        panel.label_column.activated.emit(1)  # what choosing it with the mouse sends
    assert panel.spec.label_column == ""

    panel.set_result(make_result())
    assert panel.modality.itemData(1) == "table"
    with qtbot.waitSignal(panel.spec_changed):
        panel.modality.setCurrentIndex(1)
    assert panel.spec.modality == "table"

    with qtbot.assertNotEmitted(panel.spec_changed):
        panel.set_spec(Spec(paths=("/other",), k_min=4, k_max=6))
    assert panel.k_auto.isChecked() and panel.k_min.value() == 4 and panel.modality.currentIndex() == 0


def test_k_range_stays_ordered(qtbot):
    panel = SettingsPanel(Spec(k_min=2, k_max=5))
    qtbot.addWidget(panel)
    panel.k_min.setValue(9)
    assert panel.spec.k_min == 9 and panel.spec.k_max == 9
