"""ONNX Runtime beside PyTorch: same vectors, a damaged cached model re-exported, torch as the fallback."""

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import engine.embed.onnx_runtime as ort
from engine.embed import get_embedder
from engine.pipeline import Spec, run


def photos(n: int, seed: int = 0) -> list[Image.Image]:
    """Smooth colour fields of assorted sizes: the network sees different content in each."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        h, w = rng.integers(120, 400, 2)
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
        base = rng.uniform(0, 255, 3) * np.sin(xx * rng.uniform(2, 12) + yy * rng.uniform(2, 12))[..., None]
        out.append(Image.fromarray(np.clip(np.abs(base), 0, 255).astype(np.uint8)))
    return out


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.slow  # the first export of the model in a session: about 5 s
def test_image_runtimes_give_the_same_vectors_and_say_which_ran() -> None:
    onnx, torch = get_embedder("image-efficientnet", runtime="onnx"), get_embedder("image-efficientnet")
    torch.options["runtime"] = "torch"
    pictures = photos(5)
    a, b = onnx.embed_batch(pictures), torch.embed_batch(pictures)
    assert cosines(a, b).min() >= 0.999
    assert len({tuple(np.round(v, 2)) for v in a}) == 5  # five different vectors, not one constant
    assert onnx.runtime_note == "image-efficientnet ran on ONNX Runtime."
    assert torch.runtime_note == "image-efficientnet ran on PyTorch."


@pytest.mark.slow  # the first export of the model in a session: about 5 s
def test_text_runtimes_give_the_same_vectors_for_short_and_chunked_texts() -> None:
    texts = ["a cat sleeps on the warm mat", "stock prices fell sharply today", "ok", "word " * 600]
    onnx = get_embedder("text-minilm", runtime="onnx")
    torch = get_embedder("text-minilm", runtime="torch")
    assert cosines(onnx.embed_batch(texts), torch.embed_batch(texts)).min() >= 0.999
    assert "ONNX Runtime" in onnx.runtime_note and "PyTorch" in torch.runtime_note


def test_auto_picks_onnx_on_the_cpu_and_torch_elsewhere(monkeypatch) -> None:
    assert ort.resolve_runtime("auto", "cpu") == "onnx"
    assert ort.resolve_runtime("auto", "mps") == "torch"
    assert ort.resolve_runtime("torch", "cpu") == "torch"
    monkeypatch.setattr(ort, "_providers", lambda: ["CPUExecutionProvider"])
    assert ort.resolve_runtime("auto", "cuda") == "torch"
    monkeypatch.setattr(ort, "_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert ort.resolve_runtime("auto", "cuda") == "onnx"
    with pytest.raises(ValueError, match="Unknown runtime 'tensorrt'"):
        ort.resolve_runtime("tensorrt", "cpu")


def _tiny_export() -> bytes:
    import torch

    torch.manual_seed(0)  # the same weights, so the same bytes, every time
    return ort.torch_export(torch.nn.Linear(3, 2), (torch.zeros(1, 3),), ["x"], {"x": {0: "n"}})()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_cached_model_is_detected_and_exported_again(tmp_path: Path, damage: str) -> None:
    exports = []

    def export() -> bytes:
        exports.append(1)
        return _tiny_export()

    first = ort.exported_model("tiny", "k1", export, folder=tmp_path)
    assert ort.exported_model("tiny", "k1", export, folder=tmp_path) == first and len(exports) == 1
    data = bytearray(first.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    first.write_bytes(bytes(data) if damage == "flip" else bytes(data[: len(data) // 2]))
    again = ort.exported_model("tiny", "k1", export, folder=tmp_path)
    assert len(exports) == 2 and again.read_bytes() == _tiny_export()
    assert [p.name for p in tmp_path.iterdir()] == [again.name]  # the damaged file is gone, no temp left
    session = ort.session(again, "cpu")
    assert session.run(None, {"x": np.ones((4, 3), dtype=np.float32)})[0].shape == (4, 2)


def test_a_failing_export_is_a_clear_reason_and_leaves_no_file(tmp_path: Path) -> None:
    def export() -> bytes:
        raise RuntimeError("unsupported operator")

    with pytest.raises(ort.OnnxUnavailable, match="exporting tiny to ONNX failed.*unsupported operator"):
        ort.exported_model("tiny", "k1", export, folder=tmp_path)
    assert not list(tmp_path.iterdir())


def test_without_onnxruntime_the_torch_path_runs_with_a_note(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    image = get_embedder("image-efficientnet")
    vectors = image.embed_batch(photos(2))
    assert vectors.shape == (2, 1280) and np.isfinite(vectors).all()
    assert image.runtime_note == (
        "image-efficientnet ran on PyTorch: ONNX Runtime is not usable: onnxruntime is not installed "
        "(pip install onnxruntime)."
    )
    for i, picture in enumerate(photos(4, seed=1)):
        picture.save(tmp_path / f"{i}.png")
    result = run(Spec(paths=(str(tmp_path),), k=2, use_cache=False))
    assert any("ran on PyTorch: ONNX Runtime is not usable" in note for note in result.notes)


def test_a_failed_export_falls_back_to_torch_and_a_run_notes_onnx(monkeypatch, tmp_path: Path) -> None:
    for i, picture in enumerate(photos(4, seed=2)):
        picture.save(tmp_path / f"{i}.jpg")
    result = run(Spec(paths=(str(tmp_path),), k=2, use_cache=False))
    assert "image-efficientnet ran on ONNX Runtime." in result.notes

    def broken(name: str, key: str, export, folder=None) -> Path:
        raise ort.OnnxUnavailable(f"exporting {name} to ONNX failed (RuntimeError: no)")

    monkeypatch.setattr(ort, "exported_model", broken)
    text = get_embedder("text-minilm")
    assert text.embed_batch(["one short text", "another one"]).shape == (2, 384)
    assert "ran on PyTorch: ONNX Runtime is not usable: exporting" in text.runtime_note


@pytest.mark.slow  # loads the model with PyTorch to save it, then exports it: about 8 s
def test_a_model_saved_by_the_installed_sentence_transformers_runs_on_onnx(tmp_path: Path) -> None:
    """sentence-transformers 6 saves new module names and pooling/length settings: still ONNX."""
    bundled = get_embedder("text-minilm", runtime="torch")
    bundled.model().save(str(tmp_path / "mine"))
    texts = ["a cat sleeps on the warm mat", "stock prices fell sharply today", "word " * 400]
    onnx = get_embedder("text-minilm", model=str(tmp_path / "mine"), runtime="onnx")
    torch = get_embedder("text-minilm", model=str(tmp_path / "mine"), runtime="torch")
    assert cosines(onnx.embed_batch(texts), torch.embed_batch(texts)).min() >= 0.999
    assert onnx.runtime_note == "text-minilm ran on ONNX Runtime."


@pytest.mark.parametrize(
    ("pooling", "sentence_bert", "tokenizer", "expected"),
    [
        (
            {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False},
            {"max_seq_length": 128},
            {},
            128,
        ),
        ({"pooling_mode": "mean", "include_prompt": True}, {}, {"model_max_length": 4096}, 512),
        ({"pooling_mode": ["mean"]}, {"max_seq_length": None}, {"model_max_length": 256}, 256),
    ],
)
def test_both_folder_formats_give_mean_pooling_and_the_length(
    tmp_path, pooling, sentence_bert, tokenizer, expected
):
    import json

    from engine.embed import onnx_text

    for name, content in [
        ("sentence_bert_config.json", sentence_bert),
        ("tokenizer_config.json", tokenizer),
        ("config.json", {"max_position_embeddings": 512}),
    ]:
        (tmp_path / name).write_text(json.dumps(content))
    assert onnx_text._pooling_modes(pooling) == {"mean"}
    assert onnx_text._max_length(tmp_path) == expected


def test_other_pooling_and_a_missing_length_keep_the_torch_path(tmp_path: Path) -> None:
    from engine.embed import onnx_text

    assert onnx_text._pooling_modes({"pooling_mode": "cls"}) == {"cls"}
    assert onnx_text._pooling_modes({"pooling_mode_cls_token": True}) == {"cls_token"}
    (tmp_path / "sentence_bert_config.json").write_text("{}")
    with pytest.raises(ort.OnnxUnavailable, match="maximum length"):
        onnx_text._max_length(tmp_path)
