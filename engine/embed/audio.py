"""Audio embedders: MFCC statistics (no weights, the default), DTW-aligned MFCC sequences, and mel
spectrograms seen by an image model.

The spectral front end (:func:`engine.ingest.audio.log_mel`, the DCT for MFCCs here) is plain
numpy rather than librosa: librosa's first call compiles numba code for about ten seconds on a
fresh install, while this starts at once and gives the same numbers (Slaney mel scale,
orthonormal DCT-II, zero-padded centred frames).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.embed import Embedder, register
from engine.embed.pictures import PictureEmbedder
from engine.ingest.audio import MAX_SECONDS, SAMPLE_RATE, TOP_DB, frame_signal, load_audio, log_mel
from engine.items import Collection, Item
from engine.progress import ALIGN, NEVER_CANCELLED, CancelToken, Progress, no_progress


def _dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Orthonormal DCT-II as a matrix (what librosa's mfcc applies to the log-mel bands)."""
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis.astype(np.float32)


def _sounding(signal: np.ndarray, sr: int, n_mfcc: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MFCCs, power spectra and frames of the clip's sounding stretch (from the first to the last
    frame within 40 dB of the loudest), after scaling it to peak 1: leading and trailing silence
    and the recording level do not count."""
    signal = signal / max(float(np.abs(signal).max()), 1e-12)
    frames = frame_signal(signal)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mfcc = log_mel(signal, sr, 64, power) @ _dct_matrix(n_mfcc, 64).T / 10.0  # tenths: c0 near the rest
    level = 10 * np.log10(np.maximum(np.mean(frames**2, axis=1) / 0.375, 1e-12))  # 0.375: mean of hann^2
    loud = np.flatnonzero(level >= level.max() - 40.0)
    keep = slice(loud[0], loud[-1] + 1)
    return mfcc[keep], power[keep], frames[keep]


def _spectral_shape(power: np.ndarray, frames: np.ndarray, sr: int) -> np.ndarray:
    """Per frame: centroid, bandwidth and 85 % roll-off (fractions of Nyquist), flatness, ZCR, level."""
    freqs = np.linspace(0.0, 1.0, power.shape[1])
    total = power.sum(axis=1) + 1e-12
    centroid = power @ freqs / total
    spread = (power * (freqs[None, :] - centroid[:, None]) ** 2).sum(axis=1) / total
    bandwidth = np.sqrt(np.maximum(spread, 0.0))
    rolloff = freqs[(np.cumsum(power, axis=1) >= 0.85 * total[:, None]).argmax(axis=1)]
    flatness = np.exp(np.mean(np.log(power + 1e-10), axis=1)) / (np.mean(power, axis=1) + 1e-10)
    zcr = np.mean(np.abs(np.diff(np.signbit(frames), axis=1)), axis=1)
    level = 10 * np.log10(np.maximum(np.mean(frames**2, axis=1) / 0.375, 1e-12))
    return np.column_stack([centroid, bandwidth, rolloff, flatness, zcr, (level + 60.0) / 60.0])


N_SPECTRAL = 6


def feature_blocks(n_mfcc: int = 20, segments: int = 3) -> list[int]:
    """Sizes of the groups of :func:`audio_features`, in order (each is weighted alike after scaling)."""
    n, s = n_mfcc, N_SPECTRAL
    return [n, n, n, s, s, n * segments, s * segments, s]


def audio_features(signal: np.ndarray, sr: int, n_mfcc: int = 20, segments: int = 3) -> np.ndarray:
    """One clip as a fixed-length vector of MFCC and spectral-shape statistics.

    Per frame of the sounding stretch: ``n_mfcc`` MFCCs, their deltas, and the spectral shape
    (centroid, bandwidth, roll-off, flatness, zero-crossing rate, level). Groups, in the order of
    :func:`feature_blocks`: MFCC mean, MFCC spread, delta spread, shape mean, shape spread, the
    MFCC and shape means over ``segments`` equal parts (the order of events: the syllables of a
    word), and the change of shape from the first part to the last (a rising or falling pitch).
    """
    mfcc, power, frames = _sounding(signal, sr, n_mfcc)
    shape = _spectral_shape(power, frames, sr)
    delta = np.gradient(mfcc, axis=0) if len(mfcc) > 1 else np.zeros_like(mfcc)
    parts = np.array_split(np.arange(len(mfcc)), segments)
    parts = [p if len(p) else np.arange(len(mfcc)) for p in parts]
    groups = [
        mfcc.mean(axis=0),
        mfcc.std(axis=0),
        delta.std(axis=0),
        shape.mean(axis=0),
        shape.std(axis=0),
        *(mfcc[p].mean(axis=0) for p in parts),
        *(shape[p].mean(axis=0) for p in parts),
        shape[parts[-1]].mean(axis=0) - shape[parts[0]].mean(axis=0),
    ]
    return np.concatenate(groups).astype(np.float32)


def standardise_blocks(vectors: np.ndarray, blocks: list[int] | None = None) -> np.ndarray:
    """Columns scaled to mean 0 and variance 1 over the finite rows, then each block of columns divided
    by the square root of its size, so that every block weighs the same in Euclidean distances
    (sixty segment means would otherwise drown six spectral-shape numbers). NaN rows stay NaN."""
    ok = np.isfinite(vectors).all(axis=1)
    if ok.sum() < 2:
        return vectors
    good = vectors[ok].astype(np.float64)
    std = good.std(axis=0)
    std[std < 1e-9] = 1.0
    scaled = (good - good.mean(axis=0)) / std
    if blocks:
        weights = np.concatenate([np.full(size, 1.0 / np.sqrt(size)) for size in blocks])
        scaled *= weights[None, :]
    out = vectors.astype(np.float32, copy=True)
    out[ok] = scaled
    return out


class _AudioEmbedder(Embedder):
    """Shared options (sample rate, seconds used per file) and the loader's notes turned into warnings."""

    modality = "audio"

    @property
    def sample_rate(self) -> int:
        return int(self.options.get("sr", SAMPLE_RATE))

    @property
    def max_seconds(self) -> float:
        return float(self.options.get("max_seconds", MAX_SECONDS))

    def _signal(self, item: Item) -> np.ndarray:
        """The clip; a file that was cut or partly damaged adds a warning to the run's problems (only
        when it is read, not when its vector comes from the cache)."""
        signal, _, notes = load_audio(item.path, sr=self.sample_rate, max_seconds=self.max_seconds)
        for note in notes:
            self.warn(item, note)
        return signal


class MfccStatistics(_AudioEmbedder):
    """Timbre and its change over time, summarised: no weights, instant start, good for sound kinds."""

    name = "audio-mfcc"
    description = (
        "MFCCs, their deltas and spectral shape (centroid, bandwidth, roll-off, flatness, ZCR, level) "
        f"summarised per clip and standardised over the collection; first {MAX_SECONDS:g} s of a file "
        "(no weights)"
    )
    batch_size = 32
    fallback: str | None = None
    # The cache holds each clip's raw statistics (they depend on that clip only); the scaling over
    # the collection, which makes every statistic count alike in the distances, comes after.
    cacheable = True

    def params(self) -> dict[str, Any]:
        return {
            "sr": self.sample_rate,
            "max_seconds": self.max_seconds,
            "n_mfcc": int(self.options.get("n_mfcc", 20)),
            "segments": int(self.options.get("segments", 3)),
            "version": 1,
        }

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        return self._signal(item)

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        p = self.params()
        return np.stack([audio_features(s, p["sr"], p["n_mfcc"], p["segments"]) for s in payloads])

    def finish(self, vectors: np.ndarray, progress: Progress, cancel: CancelToken) -> np.ndarray:
        if self.options.get("scale") == "none":
            return vectors
        p = self.params()
        return standardise_blocks(vectors, feature_blocks(p["n_mfcc"], p["segments"]))


MAX_FRAMES = 64
"""Longer frame sequences are averaged down to this many frames before alignment (about 1.5 s)."""
FULL_MDS_LIMIT = 300
"""Up to this many clips every pair is aligned; beyond it, each clip only to this many landmarks."""
_SEQ_DIMS = 19  # MFCCs 1..19: c0 (loudness) is left out


def mfcc_sequence(signal: np.ndarray, sr: int) -> np.ndarray:
    """The sounding stretch's MFCCs without c0 (loudness), mean removed (the channel and the voice's
    average colour), averaged down to at most ``MAX_FRAMES`` frames."""
    mfcc = _sounding(signal, sr, _SEQ_DIMS + 1)[0][:, 1:]
    mfcc = mfcc - mfcc.mean(axis=0)
    if len(mfcc) > MAX_FRAMES:
        edges = np.linspace(0, len(mfcc), MAX_FRAMES + 1).astype(int)
        mfcc = np.add.reduceat(mfcc, edges[:-1], axis=0) / np.diff(edges)[:, None]
    return mfcc.astype(np.float32)


def dtw_distances(
    a: np.ndarray,
    len_a: np.ndarray,
    b: np.ndarray,
    len_b: np.ndarray,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    chunk: int = 2048,
) -> np.ndarray:
    """Dynamic-time-warping distance of each pair (a[p], b[p]) of zero-padded frame sequences.

    Euclidean frame costs, steps right, down and diagonal, the total divided by the two lengths
    so long and short clips compare fairly. Vectorised over pairs, row by row.
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    out = np.empty(len(a))
    for start in range(0, len(a), chunk):
        cancel.raise_if_cancelled()
        progress(f"{ALIGN} (audio-dtw)", start, len(a))
        part = slice(start, start + chunk)
        x, y, lx, ly = a[part], b[part], len_a[part], len_b[part]
        prev = np.full((len(x), y.shape[1] + 1), np.inf)
        prev[:, 0] = 0.0
        for i in range(int(lx.max())):
            cost = np.sqrt(((x[:, i, None, :] - y) ** 2).sum(axis=2))
            best_above = np.minimum(prev[:, :-1], prev[:, 1:]) + cost
            row = np.full_like(prev, np.inf)
            for j in range(y.shape[1]):
                row[:, j + 1] = np.minimum(best_above[:, j], row[:, j] + cost[:, j])
            ends = lx == i + 1
            out[start + np.flatnonzero(ends)] = row[ends, ly[ends]]
            prev = row
    progress(f"{ALIGN} (audio-dtw)", len(a), len(a))
    return out / (len_a + len_b)


def classical_mds(squared: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates whose distances best match a squared-distance matrix; also the eigen-pairs used."""
    n = len(squared)
    centred = squared - squared.mean(axis=0) - squared.mean(axis=1)[:, None] + squared.mean()
    values, vectors = np.linalg.eigh(-0.5 * centred)
    order = np.argsort(values)[::-1][: min(dims, n - 1)]
    values, vectors = values[order], vectors[:, order]
    keep = values > 1e-9 * max(values.max(), 1e-12)
    values, vectors = values[keep], vectors[:, keep]
    return vectors * np.sqrt(values), values, vectors


def dtw_embedding(
    sequences: list[np.ndarray],
    dims: int = 32,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Points whose Euclidean distances approximate the clips' DTW distances (classical MDS).

    Past ``FULL_MDS_LIMIT`` clips, landmark MDS: the landmarks are placed by MDS and every other
    clip by its distances to them, so the cost grows linearly with the collection.
    """
    n = len(sequences)
    lengths = np.array([len(s) for s in sequences])
    padded = np.zeros((n, int(lengths.max()), sequences[0].shape[1]), dtype=np.float32)
    for k, seq in enumerate(sequences):
        padded[k, : len(seq)] = seq
    if n <= FULL_MDS_LIMIT:
        rows, cols = np.triu_indices(n, 1)
        dist = np.zeros((n, n))
        pairs = dtw_distances(padded[rows], lengths[rows], padded[cols], lengths[cols], progress, cancel)
        dist[rows, cols] = pairs
        return classical_mds((dist + dist.T) ** 2, dims)[0].astype(np.float32)
    marks = np.sort(np.random.default_rng(seed).choice(n, FULL_MDS_LIMIT, replace=False))
    rows, cols = np.repeat(np.arange(n), len(marks)), np.tile(marks, n)
    to_marks = dtw_distances(padded[rows], lengths[rows], padded[cols], lengths[cols], progress, cancel)
    squared = to_marks.reshape(n, len(marks)) ** 2
    coords, values, vectors = classical_mds(squared[marks], dims)
    pseudo_inverse = vectors / np.sqrt(values)  # (landmarks, dims)
    return (-0.5 * (squared - squared[marks].mean(axis=0)) @ pseudo_inverse).astype(np.float32)


class DtwMfcc(_AudioEmbedder):
    """Short clips compared frame by frame after aligning their timing: spoken words, calls, effects."""

    name = "audio-dtw"
    description = (
        "MFCC frame sequences aligned by dynamic time warping, the distances turned into coordinates "
        "by MDS; for short clips such as words or calls (no weights; slower past a few hundred clips)"
    )
    batch_size = 32
    fallback: str | None = None
    # Each clip's frame sequence depends on that clip only and is what the cache keeps; the
    # alignment of every pair and the MDS happen after, in embed().
    cacheable = True

    def params(self) -> dict[str, Any]:
        return {"sr": self.sample_rate, "max_seconds": self.max_seconds, "frames": MAX_FRAMES, "version": 1}

    def load(self, item: Item, collection: Collection) -> np.ndarray:
        return self._signal(item)

    def embed_batch(self, payloads: list[np.ndarray]) -> np.ndarray:
        """Each sequence flattened into a fixed-size row: its length, then MAX_FRAMES x 19 values."""
        rows = np.zeros((len(payloads), 1 + MAX_FRAMES * _SEQ_DIMS), dtype=np.float32)
        for k, signal in enumerate(payloads):
            seq = mfcc_sequence(signal, self.sample_rate)
            rows[k, 0] = len(seq)
            rows[k, 1 : 1 + seq.size] = seq.ravel()
        return rows

    def finish(self, vectors: np.ndarray, progress: Progress, cancel: CancelToken) -> np.ndarray:
        """Align every pair of sequences and place the clips by MDS of those distances."""
        if len(vectors) < 2:  # nothing to compare: the pipeline reports too few items
            return np.zeros((len(vectors), 1), dtype=np.float32)
        sequences = [row[1:].reshape(MAX_FRAMES, _SEQ_DIMS)[: int(row[0])] for row in vectors]
        return dtw_embedding(sequences, int(self.options.get("dims", 16)), progress, cancel)


_VIRIDIS = np.array(
    [
        [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
        [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
    ],
    dtype=np.float32,
)  # fmt: skip


def spectrogram_image(signal: np.ndarray, sr: int, size: int = 224, n_mels: int = 128, colour: bool = True):
    """The clip's log-mel spectrogram as a ``size`` x ``size`` RGB PIL image (low notes at the bottom).

    Levels run from 80 dB under the loudest cell (dark) to the loudest (bright), so the picture does
    not depend on the recording level; ``colour`` maps them through viridis, else grey.
    """
    from PIL import Image

    db = log_mel(signal, sr, n_mels)
    scaled = (db - db.max() + TOP_DB) / TOP_DB  # 0..1, frames x mels
    picture = Image.fromarray(np.flipud(scaled.T).astype(np.float32), mode="F")
    level = np.asarray(picture.resize((size, size), Image.Resampling.BILINEAR), dtype=np.float32)
    level = np.clip(level, 0.0, 1.0)
    if not colour:
        grey = (level * 255).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2), mode="RGB")
    position = level * (len(_VIRIDIS) - 1)
    low = np.floor(position).astype(int).clip(0, len(_VIRIDIS) - 2)
    frac = (position - low)[:, :, None]
    rgb = _VIRIDIS[low] * (1 - frac) + _VIRIDIS[low + 1] * frac
    return Image.fromarray(rgb.astype(np.uint8), mode="RGB")


class MelSpectrogramImage(PictureEmbedder, _AudioEmbedder):
    """The spectrogram as a picture for an image model: a generic view, weaker than MFCCs on speech."""

    name = "audio-mel-image"
    description = (
        "log-mel spectrogram drawn as a 224x224 image and embedded by the image model "
        "(OpenCLIP when configured, else EfficientNet-Lite0)"
    )
    needs_weights = True
    batch_size = 16
    fallback: str | None = "audio-mfcc"

    def params(self) -> dict[str, Any]:
        image = self.image_embedder()
        return {
            "sr": self.sample_rate,
            "max_seconds": self.max_seconds,
            "colour": bool(self.options.get("colour", True)),
            "image_embedder": image.name,
            "image_params": image.params(),
        }

    def load(self, item: Item, collection: Collection) -> Any:
        signal = self._signal(item)
        return spectrogram_image(signal, self.sample_rate, colour=bool(self.options.get("colour", True)))

    def embed_batch(self, payloads: list[Any]) -> np.ndarray:
        return self.image_embedder().embed_batch(payloads)


register(MfccStatistics, default=True)
register(MelSpectrogramImage)
register(DtwMfcc)
