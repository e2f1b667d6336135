"""The bundle's ONNX models store weights as float16 (build_scripts/onnx_fp16.py), compute in float32."""

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

import engine.resources
from engine.embed import get_embedder

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("onnx_fp16", ROOT / "build_scripts" / "onnx_fp16.py")
onnx_fp16 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(onnx_fp16)


def _dense_model(path: Path) -> None:
    """y = x @ W + b: W large enough to be stored as float16, b too small to be."""
    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array(rng.normal(size=(64, 32)).astype(np.float32), "W")
    bias = numpy_helper.from_array(rng.normal(size=32).astype(np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "dense",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 32])],
        initializer=[weights, bias],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def test_float16_storage_keeps_the_name_the_app_looks_for_and_float32_outputs(tmp_path: Path) -> None:
    source = tmp_path / "text-model-86bd67743cebf9a6-00000000000000000000000000000000.onnx"
    _dense_model(source)
    (tmp_path / "out").mkdir()
    made = onnx_fp16.to_float16_storage(source, tmp_path / "out")
    assert made.name.startswith("text-model-86bd67743cebf9a6-")
    assert made.stem.rsplit("-", 1)[1] == hashlib.blake2b(made.read_bytes(), digest_size=16).hexdigest()
    stored = {i.name: i.data_type for i in onnx.load(str(made)).graph.initializer}
    assert stored == {"W.fp16": TensorProto.FLOAT16, "b": TensorProto.FLOAT}
    x = np.random.default_rng(1).normal(size=(5, 64)).astype(np.float32)
    before, after = _run(source, x), _run(made, x)
    assert after.dtype == np.float32
    assert 0 < np.abs(after - before).max() < 1e-2 * np.abs(before).max()


def test_vectors_from_a_float16_shipped_file_are_cached_apart(tmp_path: Path, monkeypatch) -> None:
    without = (
        get_embedder("text-minilm").params()["model"],
        get_embedder("image-efficientnet").params()["model"],
    )
    (tmp_path / "onnx").mkdir()
    for name in ("text-model-0-0.onnx", "efficientnet-lite0-0-0.onnx"):
        (tmp_path / "onnx" / name).write_bytes(b"")
    monkeypatch.setattr(engine.resources, "bundled_models", lambda *parts: tmp_path.joinpath(*parts))
    shipped = (
        get_embedder("text-minilm").params()["model"],
        get_embedder("image-efficientnet").params()["model"],
    )
    assert shipped == tuple(f"{model} onnx float16 weights" for model in without)
