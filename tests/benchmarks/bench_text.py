"""Text embedding benchmark: our pipeline's speed against bare sentence-transformers, and quality.

Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_text.py [--n 1000] [--repeats 3] [--skip-quality]

(a) Throughput: ``text-minilm``'s ``embed()`` on a Collection of N short text files (cache off:
files read, chunked, encoded, pooled) against ``SentenceTransformer.encode`` on the same texts
already in memory, same model object, same run; best of ``--repeats``. Target: ratio >= 0.95.

(b) Quality: ARI of each text embedder through ``engine.pipeline.run`` (k = number of classes)
on two labelled sets built offline: 80 short texts over 4 topics written for this benchmark, and
the first paragraphs of docstrings of installed packages, grouped by package (found data, not
written to be separable). :func:`quality_rows` is what a combined benchmark imports.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

WRITTEN = {
    "gardening": [
        "Plant tomato seedlings after the last frost and water them deeply twice a week.",
        "Roses need at least six hours of sun and a good mulch around their roots.",
        "Prune the apple tree in late winter while it is still dormant.",
        "Compost kitchen scraps and dry leaves to feed the vegetable beds next spring.",
        "Slugs love young lettuce; a ring of crushed eggshells keeps some of them away.",
        "Sow carrots thinly in loose, stone-free soil so the roots grow straight.",
        "Divide overgrown perennials in autumn and replant the healthy outer pieces.",
        "A raised bed warms up earlier in the year and drains well after heavy rain.",
        "Tulip bulbs go into the ground in October, pointed end up, about fifteen centimetres deep.",
        "Pinch out the side shoots of cordon tomatoes to get bigger fruit.",
        "Mow the lawn high in summer so the grass shades its own roots.",
        "Climbing beans need tall canes and a sheltered spot away from the wind.",
        "Deadhead the flowers regularly and the plant will keep blooming until September.",
        "Clay soil holds water; dig in grit and organic matter to open it up.",
        "Strawberry runners can be pegged into small pots to make new plants for free.",
        "Hedges are best trimmed after birds have finished nesting.",
        "Water the greenhouse early in the morning so the leaves dry before evening.",
        "Herbs like rosemary and thyme prefer poor, sunny and dry ground.",
        "Cover the brassicas with netting or the pigeons will strip the cabbages.",
        "Leaf mould made from fallen oak leaves is a wonderful soil conditioner.",
    ],
    "music": [
        "The orchestra tuned to the oboe's A before the conductor raised the baton.",
        "She practised scales on the piano every morning for an hour.",
        "The band's new album mixes jazz harmonies with electronic beats.",
        "A string quartet has two violins, a viola and a cello.",
        "The guitarist changed a broken string between songs without missing a cue.",
        "Our choir is rehearsing a Bach cantata for the Easter concert.",
        "The drummer kept a steady groove while the bassist improvised a solo.",
        "Learning to read sheet music made the melody much easier to sight-sing.",
        "The symphony's slow movement opens with a quiet horn theme.",
        "The singer's voice cracked on the high note, but the audience cheered anyway.",
        "A metronome helps you keep tempo when practising difficult passages.",
        "The festival stage hosted folk bands, a brass ensemble and a rock trio.",
        "Minor chords often sound sad, while major chords sound bright.",
        "The composer wrote the opera's overture in just three days.",
        "He recorded the vocals in one take and added harmonies later in the studio.",
        "The violinist's vibrato gave the lullaby a warm, singing tone.",
        "Jazz musicians trade solos over the chord changes of a standard.",
        "The pianist bowed after the encore and the hall erupted in applause.",
        "Tuning a harp takes a long time because it has forty-seven strings.",
        "The song modulates up a key for the final chorus.",
    ],
    "medicine": [
        "The doctor prescribed antibiotics for the bacterial chest infection.",
        "Regular blood pressure checks help catch hypertension early.",
        "The nurse cleaned the wound and changed the dressing every day.",
        "A vaccine trains the immune system to recognise a virus.",
        "The patient was admitted to hospital with severe abdominal pain.",
        "Insulin injections keep blood sugar under control in type 1 diabetes.",
        "An X-ray showed a small fracture in the wrist after the fall.",
        "The surgeon removed the inflamed appendix through keyhole surgery.",
        "Take the tablets with food to avoid an upset stomach.",
        "The pharmacist warned that the two medicines should not be combined.",
        "Symptoms of the flu include fever, aching muscles and a dry cough.",
        "A healthy diet and exercise lower the risk of heart disease.",
        "The clinic offers free screening for skin cancer this month.",
        "After the operation, physiotherapy helped her walk again.",
        "Allergies to penicillin must be written clearly in the medical record.",
        "The paramedics gave oxygen and rushed him to the emergency department.",
        "Chronic migraine can be treated with preventive medication.",
        "The blood test showed low iron, which explains the tiredness.",
        "Wash your hands often to stop infections spreading on the ward.",
        "The GP referred him to a cardiologist for an irregular heartbeat.",
    ],
    "finance": [
        "The central bank raised interest rates to slow inflation.",
        "Diversify your portfolio across shares, bonds and property.",
        "The company's quarterly earnings beat analysts' expectations.",
        "A mortgage is usually repaid in monthly instalments over twenty-five years.",
        "Stock prices fell sharply after the profit warning.",
        "Put part of every salary into a savings account before spending it.",
        "The pension fund invests in index trackers with low fees.",
        "The startup raised ten million in its latest funding round.",
        "Credit card debt grows quickly because of high compound interest.",
        "The auditors found errors in the annual accounts.",
        "Exchange rates moved after the election, and the currency weakened.",
        "Dividends are paid to shareholders out of the company's profits.",
        "The budget shows income, fixed costs and money left for investing.",
        "Bond yields rose as investors expected tighter monetary policy.",
        "The bank approved the small business loan after reviewing the cash flow.",
        "Tax returns must be filed before the end of January.",
        "Inflation erodes the value of cash kept under the mattress.",
        "The merger created the largest insurer in the country.",
        "Hedge funds bet on falling prices by short selling shares.",
        "Compare the annual percentage rate before signing any loan agreement.",
    ],
}

DOCSTRING_GROUPS = {
    "mail": ("email", ["email.message", "email.utils", "email.header", "email.parser", "email.mime.multipart",
                       "email.mime.text", "smtplib", "imaplib", "poplib", "mailbox"]),
    "web": ("http urllib", ["http.client", "http.server", "http.cookies", "http.cookiejar", "urllib.request",
                            "urllib.parse", "urllib.robotparser"]),
    "linear algebra": ("numpy scipy", ["numpy.linalg", "scipy.linalg"]),
    "audio": ("librosa", ["librosa.feature", "librosa.effects", "librosa.onset", "librosa.beat",
                          "librosa.core", "librosa.filters"]),
}  # fmt: skip
"""Class -> (root packages an object must be defined in, modules to read)."""


def docstring_texts(per_class: int = 40, seed: int = 0) -> dict[str, list[str]]:
    """First paragraphs (at least 6 words) of public docstrings, ``per_class`` per package group."""
    rng = np.random.default_rng(seed)
    out = {}
    for group, (roots, modules) in DOCSTRING_GROUPS.items():
        found: set[str] = set()
        for name in modules:
            module = importlib.import_module(name)
            for attr in dir(module):
                obj = getattr(module, attr)
                if attr.startswith("_") or not callable(obj):
                    continue
                if not str(getattr(obj, "__module__", "")).startswith(tuple(roots.split())):
                    continue  # re-exported from elsewhere (io, os...): not this group's text
                doc = inspect.getdoc(obj)
                paragraph = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split()) if doc else ""
                if len(paragraph.split()) >= 6:
                    found.add(paragraph)
        texts = sorted(found)
        picks = rng.choice(len(texts), size=min(per_class, len(texts)), replace=False)
        out[group] = [texts[i] for i in sorted(picks)]
    return out


def write_folder(root: Path, classes: dict[str, list[str]]) -> Path:
    for label, texts in classes.items():
        folder = root / label.replace(" ", "_")
        folder.mkdir(parents=True)
        for i, text in enumerate(texts):
            (folder / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    return root


def quality_rows() -> list[dict]:
    """ARI, items and embedding time of each text embedder on each labelled set (pipeline, no cache)."""
    from engine.pipeline import Spec, run

    sets = {"written 4 topics": WRITTEN, "docstrings 4 packages": docstring_texts()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-text-") as tmp:
        for set_name, classes in sets.items():
            folder = write_folder(Path(tmp) / set_name.replace(" ", "_"), classes)
            for embedder in ("text-minilm", "text-tfidf"):
                spec = Spec(paths=(str(folder),), embedder=embedder, k=len(classes), use_cache=False)
                result = run(spec)
                seconds = result.timings["embed"]
                n = len(result.analysed.items)
                rows.append(
                    {
                        "set": set_name,
                        "embedder": result.embedder,
                        "items": n,
                        "seconds": seconds,
                        "items_per_s": n / seconds,
                        "ari": result.metrics["ari"],
                    }
                )
    return rows


def short_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` texts of one to three sentences drawn from the written set (5 to 60 words each)."""
    rng = np.random.default_rng(seed)
    sentences = [t for texts in WRITTEN.values() for t in texts]
    return [" ".join(rng.choice(sentences, size=rng.integers(1, 4))) for _ in range(n)]


def throughput_rows(n: int = 1000, repeats: int = 3) -> list[dict]:
    """Best-of-``repeats`` seconds for bare encode (memory) and our embed() (files) on ``n`` texts."""
    from engine.embed import get_embedder
    from engine.items import Collection, Item

    texts = short_texts(n)
    embedder = get_embedder("text-minilm")
    model = embedder.model()
    model.encode(texts[:64])  # warm up both paths on the same model object
    embedder.embed_batch(texts[:64])
    best = {"bare": np.inf, "ours": np.inf, "ours_memory": np.inf}
    with tempfile.TemporaryDirectory(prefix="bench-text-") as tmp:
        paths = []
        for i, text in enumerate(texts):
            path = Path(tmp) / f"{i:05d}.txt"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        collection = Collection(items=[Item(id=i, path=p, modality="text") for i, p in enumerate(paths)])
        for _ in range(repeats):  # interleaved, so that load from other work hits both alike
            start = time.perf_counter()
            model.encode(texts)
            best["bare"] = min(best["bare"], time.perf_counter() - start)
            start = time.perf_counter()
            vectors = embedder.embed(collection, cache=None)
            best["ours"] = min(best["ours"], time.perf_counter() - start)
            start = time.perf_counter()
            embedder.embed_batch(texts)
            best["ours_memory"] = min(best["ours_memory"], time.perf_counter() - start)
    assert vectors.shape == (n, 384) and np.isfinite(vectors).all()
    names = {
        "bare": "SentenceTransformer.encode (memory)",
        "ours": "text-minilm embed() (files)",
        "ours_memory": "text-minilm embed_batch (memory)",
    }
    return [
        {"set": f"{n} short texts", "embedder": names[k], "items": n, "seconds": s, "items_per_s": n / s}
        for k, s in best.items()
    ]


def print_table(rows: list[dict]) -> None:
    header = f"{'set':<22} {'embedder':<36} {'items':>6} {'seconds':>8} {'items/s':>8} {'ARI':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ari = f"{r['ari']:.3f}" if "ari" in r else "-"
        print(
            f"{r['set']:<22} {r['embedder']:<36} {r['items']:>6} {r['seconds']:>8.2f} "
            f"{r['items_per_s']:>8.1f} {ari:>6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="short texts for the throughput test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    from engine.embed.device import choose_device

    print(f"device: {choose_device('auto')}, cpu cores: {os.cpu_count()}")
    rows = [] if args.skip_throughput else throughput_rows(args.n, args.repeats)
    rows += [] if args.skip_quality else quality_rows()
    print_table(rows)
    if not args.skip_throughput:
        ratio = rows[0]["seconds"] / rows[1]["seconds"]
        print(f"\nthroughput ratio, our embed() / bare encode: {ratio:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
