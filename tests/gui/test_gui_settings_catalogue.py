"""The settings panel offers what the catalogue lists and refuses what the catalogue refuses."""

from engine import catalogue
from engine.pipeline import Spec
from gui.settings_panel import SettingsPanel


def test_combo_boxes_hold_the_catalogue_choices(qtbot):
    panel = SettingsPanel(Spec())
    qtbot.addWidget(panel)
    for field, choices in [
        ("algorithm", catalogue.ALGORITHMS),
        ("linkage", catalogue.LINKAGES),
        ("covariance_type", catalogue.COVARIANCE_TYPES),
        ("dbscan_backend", catalogue.DBSCAN_BACKENDS),
    ]:
        box = panel._combos[field]
        assert [box.itemData(i) for i in range(box.count())] == list(catalogue.names(choices))
    detectors = panel._combos["detector"]
    assert [detectors.itemData(i) for i in range(detectors.count())] == [
        None,
        *catalogue.names(catalogue.DETECTORS),
    ]


def test_a_value_the_catalogue_refuses_is_not_run(qtbot):
    panel = SettingsPanel(Spec(paths=("/in",)))
    qtbot.addWidget(panel)
    emitted = []
    panel.spec_changed.connect(emitted.append)
    panel.edit(embedder="text-minilm", modality="table")
    assert emitted == [] and panel.spec.embedder is None
    assert "text-minilm embeds text items, not table" in panel.toolTip()
    panel.edit(algorithm="gmm")
    assert emitted[-1].algorithm == "gmm" and panel.toolTip() == ""


def test_the_embedder_box_says_which_embedder_a_run_used_and_why(qtbot):
    panel = SettingsPanel(Spec(paths=("/in",)))
    qtbot.addWidget(panel)
    box = panel.embedder
    # The default for images swapped for raw pixels (small line drawings): the box shows the one used.
    panel.set_embedders("image", used="image-pixels")
    assert box.itemText(0) == "(default): image-pixels" and box.currentData() is None
    assert "The default for image is image-efficientnet; this collection got image-pixels" in box.toolTip()
    panel.set_embedders("image", used="image-efficientnet")
    assert box.itemText(0) == "(default): image-efficientnet" and "this collection got" not in box.toolTip()
    # A chosen embedder that could not run.
    panel.set_spec(Spec(paths=("/in",), embedder="image-openclip"))
    panel.set_embedders("image", used="image-efficientnet")
    assert box.itemText(0) == "(default): image-efficientnet"
    assert "image-openclip could not run; image-efficientnet was used instead." in box.toolTip()
