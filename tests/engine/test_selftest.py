"""``--self-test`` and the one resource helper behave the same from source as in the packaged app."""

import hashlib
import sys
from pathlib import Path

import numpy as np

import engine.embed.onnx_runtime as ort
from engine import embed, resources, selftest
from engine.cli import main as cli_main
from engine.embed import Readiness


def _tiny_demo(folder: Path) -> Path:
    """A table of two well-separated groups: analysed in well under a second, no model needed."""
    rng = np.random.default_rng(0)
    rows = ["x,y,z"] + [
        ",".join(f"{v:.3f}" for v in rng.normal(c, 0.1, 3)) for c in (0, 5) for _ in range(15)
    ]
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "points.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_self_test_analyses_the_demo_and_says_so_in_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(selftest, "MODEL_SAMPLES", {})  # the models have their own tests
    passed, summary = selftest.self_test(_tiny_demo(tmp_path / "demo"), require_onnx=False)
    assert passed, summary
    assert summary.startswith("self-test ok (source") and "\n" not in summary
    assert "table 30 items/2 clusters" in summary


def test_self_test_fails_clearly_without_its_demo(tmp_path: Path) -> None:
    passed, summary = selftest.self_test(tmp_path / "nowhere", require_onnx=False)
    assert not passed and "FAILED" in summary and "nowhere" in summary


def test_self_test_fails_when_a_model_falls_back(tmp_path: Path, monkeypatch) -> None:
    """A bundle missing its ONNX files must not pass: the torch path there means something is lost."""

    class TorchOnly:
        runtime_note = "image-efficientnet ran on PyTorch: ONNX Runtime is not usable: no file."

        def readiness(self) -> Readiness:
            return Readiness(True, "test")

        def embed_batch(self, payloads: list) -> np.ndarray:
            return np.ones((len(payloads), 4), np.float32)

    monkeypatch.setattr(selftest, "MODEL_SAMPLES", {"image": lambda: [np.zeros((8, 8, 3), np.uint8)]})
    real = embed.get_embedder

    def fake(name: str, *more: object, **options: object) -> object:
        return TorchOnly() if name == "image-efficientnet" else real(name, *more, **options)

    monkeypatch.setattr(embed, "get_embedder", fake)
    passed, summary = selftest.self_test(_tiny_demo(tmp_path / "demo"), require_onnx=True)
    assert not passed and "did not use its packaged ONNX model" in summary
    passed, summary = selftest.self_test(_tiny_demo(tmp_path / "demo2"), require_onnx=False)
    assert passed and "image-efficientnet 4-d on torch" in summary


def test_main_routes_self_test_and_exits_with_its_status(monkeypatch, capsys) -> None:
    monkeypatch.setattr(selftest, "self_test", lambda: (False, "self-test FAILED: because"))
    assert cli_main(["--self-test"]) == 1
    assert capsys.readouterr().out.strip() == "self-test FAILED: because"


def test_resources_come_from_the_bundle_when_frozen(tmp_path: Path, monkeypatch) -> None:
    assert resources.resource_path("style.qss").is_file() and not resources.is_bundled()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert resources.resource_path("demo") == tmp_path / "resources" / "demo" and resources.is_bundled()
    assert resources.bundled_models("onnx") == tmp_path / "models" / "onnx"


def test_a_shipped_onnx_file_is_used_read_only_and_a_damaged_one_ignored(tmp_path: Path, monkeypatch) -> None:
    data = b"pretend onnx"
    shipped = tmp_path / "bundle" / "models" / "onnx"
    shipped.mkdir(parents=True)
    good = shipped / f"tiny-k1-{hashlib.blake2b(data, digest_size=16).hexdigest()}.onnx"
    good.write_bytes(data)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    user = tmp_path / "cache"
    monkeypatch.setenv("DATAMINING6_CACHE_DIR", str(user))
    exports: list[int] = []

    def export() -> bytes:
        exports.append(1)
        return data

    assert ort.exported_model("tiny", "k1", export) == good and not exports
    good.write_bytes(b"cut short")  # damaged: left alone (read-only), exported into the user cache
    found = ort.exported_model("tiny", "k1", export)
    assert found.parent == user / "onnx" and exports == [1] and good.read_bytes() == b"cut short"
