"""The torchvision repair must make the model libraries importable beside CPU torch."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_model_libraries_import_after_repair():
    script = (
        "from engine.torch_compat import ensure_torchvision\n"
        "ensure_torchvision(); ensure_torchvision()\n"
        "import torchvision, open_clip, sentence_transformers\n"
        "print('ok', torchvision.__version__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")


def test_repair_is_a_no_op_without_the_known_error(monkeypatch):
    import engine.torch_compat as compat

    monkeypatch.setattr(compat, "_checked", False)
    monkeypatch.setattr(compat, "_fragment", None)
    monkeypatch.setitem(sys.modules, "torchvision", sys.modules.get("math"))
    compat.ensure_torchvision()
    assert compat._checked and compat._fragment is None
