"""Reading one audio file into a mono float32 signal at a fixed sample rate, and its mel spectrogram.

Everything goes through soundfile (libsndfile), which decodes wav, flac, ogg/vorbis, opus, mp3
and aiff by itself; nothing here needs ffmpeg. Resampling uses soxr, which librosa already
depends on and which starts in a tenth of a second (librosa's own first call compiles numba code
for seconds). Long recordings are cut to their first ``max_seconds``: clustering compares clips,
and decoding an hour of audio to summarise it would only make the run slow.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from engine.items import ItemError

SAMPLE_RATE = 22050
MAX_SECONDS = 60.0
"""Only this many seconds from the start of a file are used; a note says when a file was cut."""
MIN_SECONDS = 0.1
SILENCE_PEAK = 1e-4
"""Peak level (full scale = 1) under which a clip counts as silent."""

NEEDS_FFMPEG = frozenset({".m4a", ".aac", ".mp4", ".wma"})
_BLOCK = 1 << 16


def load_audio(
    path: Path | str, sr: int | None = SAMPLE_RATE, max_seconds: float | None = MAX_SECONDS
) -> tuple[np.ndarray, int, list[str]]:
    """The file's first ``max_seconds`` as a mono float32 signal at ``sr`` Hz, plus notes for the user.

    ``sr=None`` keeps the file's own rate (playback wants every harmonic the file holds).

    Channels are averaged. A note (a sentence naming what was changed) is returned when the file
    was cut to ``max_seconds`` or only partly readable; the caller may show it as a warning.
    Raises :class:`ItemError` with a message for the user when the file is empty, damaged, not
    audio, in a format that needs ffmpeg, silent, or shorter than ``MIN_SECONDS``.
    """
    import soundfile as sf

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in NEEDS_FFMPEG:
        raise ItemError(
            f"{suffix} audio needs ffmpeg, which DataMining6 does not use; convert the file to "
            f".wav, .flac or .ogg first (e.g. `ffmpeg -i {path.name} {path.stem}.wav`)."
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ItemError(f"cannot be read: {error.strerror or error}") from error
    if size == 0:
        raise ItemError("is empty (0 bytes).")

    notes: list[str] = []
    with _decoder_messages() as decoder:
        try:
            handle = sf.SoundFile(str(path))
        except (sf.SoundFileError, RuntimeError, ValueError) as error:
            kind = suffix.lstrip(".").upper() or "audio"
            raise ItemError(
                f"cannot be decoded as {kind} audio: the file is damaged or is not audio ({_short(error)})."
            ) from error
        with handle:
            rate_in = int(handle.samplerate)
            limit = None if max_seconds is None else int(max_seconds * rate_in)
            blocks, frames = [], 0
            try:
                while limit is None or frames < limit:
                    want = _BLOCK if limit is None else min(_BLOCK, limit - frames)
                    block = handle.read(want, dtype="float32", always_2d=True)
                    if not len(block):
                        break
                    blocks.append(block)
                    frames += len(block)
            except (sf.SoundFileError, RuntimeError) as error:
                if frames < MIN_SECONDS * rate_in:
                    raise ItemError(f"is damaged or truncated: {_short(error)}.") from error
                notes.append(f"is damaged after {frames / rate_in:.1f} s; the readable part was used.")
            total = handle.frames / rate_in if handle.frames > 0 else None
    if any("Illegal Audio-MPEG-Header" in line for line in decoder):  # not the end-of-file chatter
        notes.append("has damaged frames; the decoder skipped them.")
    if limit is not None and frames >= limit and (total is None or total > max_seconds + 0.01):
        length = f" of {total:.0f} s" if total else ""
        notes.append(f"only the first {max_seconds:g} s{length} were used.")

    if frames == 0:
        raise ItemError("holds no audio samples (the file is truncated or empty).")
    signal = np.concatenate(blocks).mean(axis=1) if len(blocks) > 1 else blocks[0].mean(axis=1)
    if not np.isfinite(signal).all():
        signal = np.nan_to_num(signal, nan=0.0, posinf=0.0, neginf=0.0)
        notes.append("holds invalid (NaN or infinite) samples; they were set to silence.")
    seconds = len(signal) / rate_in
    if seconds < MIN_SECONDS:
        raise ItemError(f"is too short ({seconds * 1000:.0f} ms); at least {MIN_SECONDS:g} s is needed.")
    peak = float(np.abs(signal).max())
    if peak < SILENCE_PEAK:
        raise ItemError(f"is silent (peak level {peak:.1e}); there is nothing to compare.")
    sr = sr or rate_in
    if rate_in != sr:
        signal = resample(signal, rate_in, sr)
    return np.ascontiguousarray(signal, dtype=np.float32), sr, notes


N_FFT = 2048
HOP = 512
TOP_DB = 80.0


def frame_signal(signal: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Hann-windowed frames centred on every ``hop`` samples (zero-padded at the ends, as librosa 0.11)."""
    padded = np.pad(signal.astype(np.float32, copy=False), n_fft // 2)
    if len(padded) < n_fft:
        padded = np.pad(padded, (0, n_fft - len(padded)))
    view = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    return view * np.hanning(n_fft + 1)[:-1].astype(np.float32)


def power_spectrogram(signal: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """|STFT|^2 as (frames, n_fft // 2 + 1)."""
    return np.abs(np.fft.rfft(frame_signal(signal, n_fft, hop), axis=1)) ** 2


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * 200.0 / 3)


def mel_edges(sr: int, n_mels: int = 64, fmin: float = 0.0) -> np.ndarray:
    """The ``n_mels + 2`` corner frequencies (Hz) of the mel filters; band ``i`` peaks at ``[i + 1]``."""
    return _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(sr / 2), n_mels + 2))


def mel_filterbank(sr: int, n_fft: int = N_FFT, n_mels: int = 64, fmin: float = 0.0) -> np.ndarray:
    """Triangular, area-normalised mel filters as (n_mels, n_fft // 2 + 1)."""
    bins = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    edges = mel_edges(sr, n_mels, fmin)
    lower = (bins[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - bins[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def log_mel(signal: np.ndarray, sr: int, n_mels: int = 64, power: np.ndarray | None = None) -> np.ndarray:
    """Mel spectrogram in dB as (frames, n_mels), floored at 80 dB below its loudest cell."""
    power = power_spectrogram(signal) if power is None else power
    mel = power @ mel_filterbank(sr, N_FFT, n_mels).T
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    return np.maximum(db, db.max() - TOP_DB)


def resample(signal: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """High-quality resampling of a mono signal (soxr; scipy's polyphase filter if soxr is missing)."""
    try:
        import soxr
    except ImportError:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(rate_in, rate_out)
        return resample_poly(signal, rate_out // g, rate_in // g).astype(np.float32)
    return soxr.resample(signal, rate_in, rate_out, quality="HQ").astype(np.float32, copy=False)


_DECODER_LINE = re.compile(r"^(Note: |Warning: |\[src/libmpg123|.*MPEG|.*resync)", re.IGNORECASE)


@contextmanager
def _decoder_messages() -> Iterator[list[str]]:
    """Collect what libsndfile's mp3 decoder (mpg123) prints on damaged frames.

    mpg123 writes "Illegal Audio-MPEG-Header" lines straight to file descriptor 2, past Python, so
    the descriptor is pointed at a temporary file while decoding; lines that are not mpg123's (from
    another thread, say) are written back to stderr afterwards.
    """
    messages: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 (a windowed Windows app): the decoder's lines go nowhere
        yield messages
        return
    try:
        with tempfile.TemporaryFile() as sink:
            _flush_stderr()
            os.dup2(sink.fileno(), 2)
            try:
                yield messages
            finally:
                _flush_stderr()
                os.dup2(saved, 2)
                sink.seek(0)
                for line in sink.read().decode("utf-8", "replace").splitlines():
                    if _DECODER_LINE.match(line):
                        messages.append(line)
                    elif sys.stderr is not None:
                        print(line, file=sys.stderr)
    finally:
        os.close(saved)


def _flush_stderr() -> None:
    """Flush Python's stderr, which is None in a windowed app (PyInstaller's, like pythonw's)."""
    if sys.stderr is not None:
        sys.stderr.flush()


def _short(error: Exception) -> str:
    """libsndfile's message without its 'Error opening <path>:' prefix, which repeats the path."""
    text = str(error).strip()
    if text.startswith("Error opening") and "': " in text:
        text = text.split("': ", 1)[1]
    text = text.removeprefix("Error : ").strip().rstrip(".")
    if "does not exist or is not a regular file" in text:
        text = "no audio stream was recognised"
    return text or type(error).__name__
