"""Audio embedders compared: clips per second, first-call time in a fresh process, and ARI.

Two labelled sets are made here, nothing is downloaded:
- ``words``: spoken words from espeak-ng (Debian package ``espeak-ng``), each said by several
  voices at different pitches and speeds; skipped with a note when espeak-ng is missing;
- ``sounds``: synthesised tones, rising chirps, falling chirps and noise bursts of varied length,
  level, sample rate and channel count.

Run: ``.venv/bin/python tests/benchmarks/bench_audio.py [--embedders a,b] [--first-call]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(tempfile.gettempdir()) / "datamining6_bench_audio"
"""Where the clips are written once and reused by later runs."""
EMBEDDERS = ("audio-mfcc", "audio-dtw", "audio-mel-image")
WORDS = ("apple", "river", "seven", "yellow", "morning", "basket")
VOICES = (  # (voice, pitch 0-99, words per minute)
    ("en-us", 50, 160),
    ("en-gb", 30, 140),
    ("en-us+f3", 70, 180),
    ("en-gb-scotland", 40, 150),
    ("en-029", 60, 170),
    ("en-us+m3", 20, 130),
    ("en-gb-x-rp+f2", 80, 190),
    ("en-us-nyc", 45, 200),
)


def make_words(folder: Path) -> Path | None:
    """One sub-folder per word, one wav per voice; None when espeak-ng is not installed."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    for word in WORDS:
        (folder / word).mkdir(parents=True, exist_ok=True)
        for i, (voice, pitch, speed) in enumerate(VOICES):
            out = folder / word / f"{word}_{i}.wav"
            if not out.exists():
                cmd = [espeak, "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(out), word]
                subprocess.run(cmd, check=True, capture_output=True)
    return folder


def make_sounds(folder: Path, per_class: int = 12, seed: int = 0) -> Path:
    """Tones, rising and falling chirps (2-4x in frequency) and noise bursts, 0.4-2 s long, at
    16-48 kHz, some stereo, at random levels."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    for kind in ("tone", "chirp_up", "chirp_down", "noise"):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            sr = int(rng.choice([16000, 22050, 44100, 48000]))
            t = np.arange(int(rng.uniform(0.4, 2.0) * sr)) / sr
            if kind == "tone":
                f = rng.uniform(200, 2000)
                x = np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)
            elif kind.startswith("chirp"):
                f0 = rng.uniform(200, 1000)
                f0, f1 = (f0, f0 * rng.uniform(2, 4)) if kind == "chirp_up" else (f0 * rng.uniform(2, 4), f0)
                x = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * t[-1])))
            else:
                x = rng.normal(size=len(t)) * np.exp(-t * rng.uniform(1, 6))
            x = x / np.abs(x).max() * rng.uniform(0.05, 0.9) * np.minimum(1, np.minimum(t, t[-1] - t) * 50)
            x = x + rng.normal(scale=0.002, size=len(x))
            if rng.random() < 0.3:
                x = np.column_stack([x, 0.8 * x])
            sf.write(folder / kind / f"{kind}_{i}.{'flac' if i % 2 else 'wav'}", x.astype(np.float32), sr)
    return folder


def evaluate(folder: Path, name: str, **options: object) -> dict:
    """Embed every clip of ``folder``, cluster with k-means at the true k, and score against folders."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from engine.embed import get_embedder
    from engine.ingest import scan

    collection = scan([folder]).only("audio")
    embedder = get_embedder(name, "audio", **options)
    start = time.perf_counter()
    vectors = embedder.embed(collection)
    seconds = time.perf_counter() - start
    labels = [it.label for it in collection.items]
    k = len(set(labels))
    found = KMeans(k, n_init=10, random_state=0).fit_predict(vectors)
    return {
        "set": folder.name,
        "embedder": name + "".join(f" {k}={v}" for k, v in options.items()),
        "n": len(labels),
        "ari": round(float(adjusted_rand_score(labels, found)), 3),
        "seconds": round(seconds, 2),
        "clips_per_s": round(len(labels) / seconds, 1),
    }


FIRST_CALL = """
import time, sys
start = time.perf_counter()
from engine.embed import get_embedder
from engine.items import Collection, Item
from pathlib import Path
e = get_embedder({name!r})
c = Collection(items=[Item(0, Path({clip!r}), "audio"), Item(1, Path({clip!r}), "audio")])
v = e.embed(c)
print(round(time.perf_counter() - start, 2), v.shape)
"""


def first_call_seconds(name: str, clip: Path) -> float:
    """Seconds from a fresh interpreter to the first vectors, with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
        code = FIRST_CALL.format(name=name, clip=str(clip))
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(done.stderr[-2000:])
        return float(done.stdout.split()[0])


def quality_rows(embedders: tuple[str, ...] = EMBEDDERS, variants: bool = False) -> list[dict]:
    """One row per (data set, embedder): ARI and speed; the combined benchmark calls this."""
    sets = [make_words(BENCH_DIR / "words"), make_sounds(BENCH_DIR / "sounds")]
    rows = []
    for folder in (s for s in sets if s is not None):
        for name in embedders:
            rows.append(evaluate(folder, name))
        if variants:
            rows.append(evaluate(folder, "audio-mfcc", scale="none"))
            rows.append(evaluate(folder, "audio-mfcc", segments=1))
            rows.append(evaluate(folder, "audio-mel-image", colour=False))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    parser.add_argument("--variants", action="store_true", help="also the options' variants")
    parser.add_argument("--first-call", action="store_true", help="time a fresh process per embedder")
    args = parser.parse_args()
    embedders = tuple(args.embedders.split(","))
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed (apt-get install espeak-ng): the spoken-words set is skipped.")
    rows = quality_rows(embedders, args.variants)
    if args.first_call:
        clip = next((BENCH_DIR / "sounds" / "tone").glob("*.wav"))
        for name in embedders:
            seconds = first_call_seconds(name, clip)
            for row in rows:
                if row["embedder"] == name:
                    row["first_call_s"] = seconds
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))


if __name__ == "__main__":
    main()
