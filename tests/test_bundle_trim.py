"""The full bundle leaves transformers' model code out but for sentence models' families (bundle_trim)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "build_scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_trim = _script("bundle_trim")


def test_model_code_of_other_families_is_dropped_their_configs_kept() -> None:
    dropped = bundle_trim.dropped_module
    assert not dropped("transformers.models.bert.modeling_bert")
    assert not dropped("transformers.models.auto.modeling_auto")
    assert dropped("transformers.models.whisper.modeling_whisper")
    assert dropped("transformers.models.deprecated.mega.modeling_mega")
    assert dropped("transformers.models.bert.modular_bert")  # generator sources, never imported
    assert dropped("transformers.models.qwen3.modular_qwen3")
    for kept in (
        "whisper",
        "whisper.configuration_whisper",
        "whisper.tokenization_whisper",
        "deprecated.mega",
    ):
        assert not dropped(f"transformers.models.{kept}")
    assert not dropped("transformers.modeling_utils") and not dropped("torch.nn")
    assert bundle_trim.dropped_file("transformers/models/whisper/modeling_whisper.py")
    assert not bundle_trim.dropped_file("transformers/models/whisper/configuration_whisper.py")


# Run with the dropped modules unimportable: a user's sentence model (BERT) loads and exports to ONNX,
# every kept family's model code imports, and a family left out says to use the source install.
_WITHOUT_DROPPED = """
import importlib, sys
from pathlib import Path
sys.path[:0] = [{root!r}, {scripts!r}]
from bundle_trim import TEXT_FAMILIES, dropped_module

class LeftOut:
    def find_spec(self, name, path=None, target=None):
        if dropped_module(name):
            raise ModuleNotFoundError(f"left out of the bundle: {{name}}", name=name)
        return None

bert, roformer = Path({bert!r}), Path({roformer!r})
sys.meta_path.insert(0, LeftOut())
from engine.embed import get_embedder
vectors = get_embedder("text-minilm", model=str(bert), device="cpu").embed_batch(["one text", "another"])
assert vectors.shape == (2, 32), vectors.shape
for family in TEXT_FAMILIES:
    importlib.import_module(f"transformers.models.{{family}}.modeling_{{family}}")
sys.frozen = True
try:
    get_embedder("text-minilm", model=str(roformer), device="cpu", runtime="torch").embed_batch(["x"])
except ValueError as error:
    print("refused:", error)
"""


@pytest.mark.slow
def test_sentence_models_load_without_the_dropped_model_code(tmp_path: Path) -> None:
    make = _script("check_bundle_torch").make_text_model  # here: the child must not import their code
    bert, roformer = str(make(tmp_path, "bert")), str(make(tmp_path, "roformer"))
    code = _WITHOUT_DROPPED.format(
        root=str(ROOT), scripts=str(ROOT / "build_scripts"), bert=bert, roformer=roformer
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", DATAMINING6_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "refused:" in done.stdout and "not 'roformer'; run DataMining6 from source" in done.stdout
    assert (tmp_path / "cache" / "onnx").is_dir()  # the user's model went through the ONNX export
