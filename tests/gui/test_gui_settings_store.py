"""Settings that persist: method, k, detector, map and embedders per modality survive a restart."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from engine.pipeline import Spec
from gui.main_window import MainWindow
from gui.settings_store import EMBEDDERS_KEY, SPEC_KEY, RememberedSettings


class TextEngine:
    """A stand-in engine whose results are text items embedded by the Spec's embedder (or the default)."""

    def __init__(self, make_result) -> None:
        self.make_result = make_result
        self.calls: list = []

    def __call__(self, spec, progress, cancel, previous=None):
        self.calls.append(spec)
        result = self.make_result(n=60, k=3)
        result.spec, result.modality, result.embedder = spec, "text", spec.embedder or "text-minilm"
        return result


def _settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _window(qtbot, tmp_path, run_fn=None) -> MainWindow:
    window = MainWindow(settings=_settings(tmp_path), run_fn=run_fn)
    qtbot.addWidget(window)
    return window


def test_method_settings_survive_a_restart_and_restore_defaults(qtbot, tmp_path):
    first = _window(qtbot, tmp_path)
    first.settings_panel.edit(algorithm="gmm", covariance_type="diag", k=4, detector="iforest")
    first.settings_panel.layout_method.setCurrentIndex(first.settings_panel.layout_method.findData("tsne"))
    first.settings_panel.contamination.setValue(0.1)
    first.close()

    second = _window(qtbot, tmp_path)
    spec = second.settings_panel.spec
    assert (spec.algorithm, spec.covariance_type, spec.k, spec.detector, spec.layout) == (
        "gmm",
        "diag",
        4,
        "iforest",
        "tsne",
    )
    assert spec.contamination == 0.1 and spec.paths == ()
    assert second.settings_panel.algorithm.currentData() == "gmm" and second.settings_panel.k.value() == 4

    second.restore_default_settings()
    assert second.settings_panel.spec == Spec()
    panel = second.settings_panel
    assert panel.algorithm.currentData() == "kmeans" and panel.k_auto.isChecked()
    second.close()
    assert _window(qtbot, tmp_path).settings_panel.spec == Spec()


def test_unusable_stored_settings_fall_back_to_the_defaults(tmp_path):
    settings = _settings(tmp_path)
    for stored in ('{"algorithm": "no-such-method"}', "not json", '["a list"]', '{"k": -3}'):
        settings.setValue(SPEC_KEY, stored)
        assert RememberedSettings(settings).spec() == Spec()
    settings.setValue(SPEC_KEY, '{"k": 5, "paths": ["/elsewhere"], "label_column": "x", "unknown": 1}')
    assert RememberedSettings(settings).spec() == Spec(k=5)  # input fields are never carried over


def test_the_embedder_chosen_for_a_modality_is_used_for_the_next_input_of_it(qtbot, tmp_path, make_result):
    engine = TextEngine(make_result)
    first = _window(qtbot, tmp_path, engine)
    with qtbot.waitSignal(first.result_shown, timeout=5000):
        first.open_paths([tmp_path / "docs"])
    with qtbot.waitSignal(first.result_shown, timeout=5000):
        first.settings_panel.edit(embedder="text-tfidf")
    assert RememberedSettings(first.settings).embedders() == {"text": "text-tfidf"}
    first.close()

    engine.calls.clear()
    second = _window(qtbot, tmp_path, engine)
    with qtbot.waitSignal(second.result_shown, timeout=5000):
        second.open_paths([tmp_path / "more docs"])
    assert engine.calls[0].embedder is None  # the modality is not known before the first run
    with qtbot.waitSignal(second.result_shown, timeout=5000) as rerun:
        pass
    assert rerun.args[0].embedder == "text-tfidf" and second.settings_panel.spec.embedder == "text-tfidf"

    second.settings_panel.edit(modality="image", embedder=None)  # another modality: text's choice stays
    assert RememberedSettings(second.settings).embedders() == {"text": "text-tfidf"}
    second.restore_default_settings()
    assert second.settings.value(EMBEDDERS_KEY) is None
