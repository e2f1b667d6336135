"""The status bar has words for every stage the engine reports, and keeps a stage's detail."""

from engine import progress
from gui.main_window import MainWindow
from gui.run_status import STAGE_NAMES


def test_every_engine_stage_has_a_label_and_no_label_names_an_unknown_stage():
    assert set(STAGE_NAMES) == set(progress.STAGES)


def test_the_label_keeps_the_detail_of_a_stage(qtbot):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window._on_progress(f"{progress.EMBED} (text-minilm)", 3, 10)
    assert window.stage_label.text() == "Embedding (text-minilm) 3/10"
    window._on_progress(progress.CHOOSE_K, 1, 9)
    assert window.stage_label.text() == "Choosing k 1/9"
    window._on_progress(f"{progress.LOAD_MODEL} (text-minilm)", 0, 1)
    assert window.stage_label.text() == "Loading model (text-minilm)"


def test_the_label_shows_rate_and_time_left():
    meter = progress.Meter()
    assert meter.describe("embed", 0, 1000, now=10.0) == "0/1000"
    assert meter.describe("embed", 20, 1000, now=10.3) == "20/1000"  # too early to promise anything
    assert meter.describe("embed", 320, 1000, now=17.0) == "320/1000 · 46/s · 15 s left"
    assert meter.describe("k-means", 1, 10, now=17.1) == "1/10"  # a new stage starts its own clock
    assert meter.describe("k-means", 3, 10, now=18.1) == "3/10 · 2.0/s · 4 s left"
