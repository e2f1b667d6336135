"""The status bar has words for every stage the engine reports, and keeps a stage's detail."""

from engine import progress
from gui.main_window import STAGE_NAMES, MainWindow


def test_every_engine_stage_has_a_label_and_no_label_names_an_unknown_stage():
    assert set(STAGE_NAMES) == set(progress.STAGES)


def test_the_label_keeps_the_detail_of_a_stage(qtbot):
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window._on_progress(f"{progress.EMBED} (text-minilm)", 3, 10)
    assert window.stage_label.text() == "Embedding (text-minilm) (3/10)"
    window._on_progress(progress.CHOOSE_K, 1, 9)
    assert window.stage_label.text() == "Choosing k (1/9)"
