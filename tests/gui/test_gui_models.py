"""The Models dialog and the embedder/device settings."""

from __future__ import annotations

import numpy as np

from engine.embed import default_embedder, list_embedders
from engine.embed.cache import VectorCache
from engine.embed.models import configured_model
from gui.main_window import MainWindow
from gui.models_dialog import ModelsDialog
from gui.settings_panel import SettingsPanel


def test_dialog_lists_every_embedder_with_its_status(qtbot):
    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    names = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert names == [e.name for e in list_embedders()]
    statuses = {dialog.table.item(r, 1).text(): dialog.table.item(r, 2).text() for r in range(len(names))}
    assert statuses["table-standardized"] == "ready"
    dialog.select("table-standardized")
    assert "needs no model weights" in dialog.detail.text()


def test_the_dialog_fits_a_laptop_screen_and_shows_every_column(qtbot):
    # At 1 366 pixels its one-line intro and a model path sized to its text ran off the screen,
    # taking the Close button and the "What it does" column with them.
    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.minimumSizeHint().width() <= 900 and dialog.width() <= 1000
    header = dialog.table.horizontalHeader()
    last = header.count() - 1
    assert header.sectionViewportPosition(last) + 150 <= dialog.table.viewport().width()
    row = next(r for r in range(dialog.table.rowCount()) if "package" in dialog.table.item(r, 3).text())
    source = dialog.table.item(row, 3)
    assert source.toolTip() == source.text()  # the whole source, where the column cuts it


def test_choosing_a_model_is_remembered_and_announced(qtbot, tmp_path):
    weights = tmp_path / "my-model.pt"
    weights.write_bytes(b"not really a model")
    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    name = next(e.name for e in list_embedders() if e.needs_weights)
    with qtbot.waitSignal(dialog.models_changed):
        dialog.set_model(name, weights)
    assert configured_model(name) == weights.resolve()
    assert dialog.selected_name() == name
    with qtbot.waitSignal(dialog.models_changed):
        dialog.set_model(name, None)
    assert configured_model(name) is None


def test_embedder_choice_edits_the_spec(qtbot, make_result):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.set_result(make_result())
    choices = [panel.embedder.itemData(i) for i in range(panel.embedder.count())]
    assert choices[0] is None and default_embedder("table") in choices[1:]
    with qtbot.waitSignal(panel.spec_changed) as blocker:
        panel.embedder.setCurrentIndex(choices.index("table-standardized"))
    assert blocker.args[0].embedder == "table-standardized"
    with qtbot.waitSignal(panel.spec_changed) as blocker:
        panel.device.setCurrentIndex(panel.device.findData("cpu"))
    assert blocker.args[0].device == "cpu" and panel.spec.embedder == "table-standardized"


def test_clear_cache_empties_the_vector_cache_and_the_thumbnails(qtbot):
    from engine.thumbnails import ThumbnailCache

    cache = VectorCache()
    cache.put_many({"a": np.ones(4, np.float32)})
    cache.close()
    ThumbnailCache().put("ab12", np.zeros((8, 8, 3), np.uint8))
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.tools.clear_cache_action.trigger()
    cache = VectorCache()
    assert len(cache) == 0
    cache.close()
    assert ThumbnailCache().get("ab12") is None and ThumbnailCache().size_bytes() == 0
    assert "cleared" in window.stage_label.text() and "thumbnails freed" in window.stage_label.text()


def test_clear_cache_repairs_a_damaged_cache_and_shows_a_failure_in_a_dialog(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "vectors.sqlite").write_bytes(b"not a database, " * 1000)
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[-1]))
    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.tools.clear_cache_action.trigger()
    assert "cleared" in window.stage_label.text() and not shown
    cache = VectorCache()
    assert len(cache) == 0
    cache.close()

    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(tmp_path / "cache" / "vectors.sqlite" / "sub"))
    window.tools.clear_cache_action.trigger()
    assert len(shown) == 1 and "cannot be cleared" in shown[0]
