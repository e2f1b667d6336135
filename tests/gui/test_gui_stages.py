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


def test_done_names_the_other_kinds_of_items_a_folder_holds(qtbot, tmp_path):
    # A folder of tables, images and texts clusters one kind; the rest must not look forgotten.
    from PIL import Image

    from engine.pipeline import Spec, run

    rows = "\n".join(f"{i % 3 * 5 + i * 0.01},{i % 3 * 2}" for i in range(30))
    (tmp_path / "t.csv").write_text("a,b\n" + rows + "\n")
    Image.new("RGB", (16, 16), (90, 0, 0)).save(tmp_path / "p.png")
    for i in range(2):
        (tmp_path / f"d{i}.txt").write_text(f"note number {i} about the weather")
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window._on_finished(run(Spec(paths=[tmp_path], k=3)))
    text = window.stage_label.text()
    assert text == "Done: 30 table items, 3 clusters; also here: 2 text, 1 image (choose in Modality)"
    box = window.settings_panel.modality
    qtbot.waitUntil(lambda: box.count() == 4)  # the settings follow the map a moment later
    assert [box.itemText(i) for i in range(box.count())] == [
        "(auto): table",
        "table (30)",
        "text (2)",
        "image (1)",
    ]
    texts = run(Spec(paths=[tmp_path], k=2, modality="text", embedder="text-tfidf"))
    window.settings_panel.set_spec(texts.spec)
    window._on_finished(texts)  # auto still means the most common kind, not the one chosen
    qtbot.waitUntil(lambda: window.stage_label.text().startswith("Done: 2 text items"))
    qtbot.waitUntil(lambda: box.itemText(0) == "(auto): table" and box.currentText() == "text (2)")
    window._on_finished(run(Spec(paths=[tmp_path / "t.csv"], k=2)))
    assert window.stage_label.text() == "Done: 30 table items, 2 clusters"
