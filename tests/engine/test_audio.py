"""Audio: loading every supported format, clear messages for bad files, and the audio embedders."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.embed import get_embedder
from engine.ingest.audio import SAMPLE_RATE, load_audio, log_mel, mel_filterbank, power_spectrogram
from engine.items import Collection, Item, ItemError

sf = pytest.importorskip("soundfile")
ROOT = Path(__file__).resolve().parents[2]


def tone(freq: float = 440.0, seconds: float = 0.5, sr: int = SAMPLE_RATE, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chirp(f0: float, f1: float, seconds: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds)))).astype(np.float32)


def dominant_hz(signal: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal))
    return float(np.fft.rfftfreq(len(signal), 1 / sr)[spectrum.argmax()])


@pytest.mark.parametrize(
    "suffix, options",
    [
        (".wav", {}),
        (".flac", {}),
        (".ogg", {}),
        (".mp3", {}),
        (".aiff", {}),
        (".opus", {"format": "OGG", "subtype": "OPUS"}),
    ],
)
def test_each_format_loads_as_mono_float32_at_the_common_rate(tmp_path, suffix, options):
    path = tmp_path / f"a{suffix}"
    sf.write(path, tone(440, 1.0, 48000), 48000, **options)  # 48 kHz: a rate every format takes
    signal, sr, notes = load_audio(path)
    assert sr == SAMPLE_RATE and signal.dtype == np.float32 and signal.ndim == 1
    assert abs(len(signal) - SAMPLE_RATE) < 0.1 * SAMPLE_RATE  # lossy coders pad a little
    assert abs(dominant_hz(signal, sr) - 440) < 5
    assert notes == []


def test_stereo_48k_flac_is_mixed_to_mono_and_resampled(tmp_path):
    left, right = tone(440, 1.0, 48000, 0.4), tone(1000, 1.0, 48000, 0.4)
    sf.write(tmp_path / "stereo.flac", np.column_stack([left, right]), 48000)
    signal, sr, _ = load_audio(tmp_path / "stereo.flac")
    assert sr == SAMPLE_RATE and signal.shape == (SAMPLE_RATE,)
    spectrum = np.abs(np.fft.rfft(signal))
    freqs = np.fft.rfftfreq(len(signal), 1 / sr)
    for hz in (440, 1000):  # both channels are in the mix, each at half the amplitude
        assert spectrum[np.abs(freqs - hz) < 3].max() > 0.3 * spectrum.max()
    assert 0.15 < np.abs(signal).max() < 0.45


def test_long_files_are_cut_and_say_so(tmp_path):
    sf.write(tmp_path / "long.wav", tone(300, 3.0, 16000), 16000)
    signal, _, notes = load_audio(tmp_path / "long.wav", max_seconds=1.0)
    assert len(signal) == SAMPLE_RATE
    assert notes and "first 1 s of 3 s" in notes[0]


def test_embedders_warn_about_cut_files(tmp_path):
    sf.write(tmp_path / "long.wav", tone(300, 2.5), SAMPLE_RATE)
    sf.write(tmp_path / "short.wav", tone(500, 0.5), SAMPLE_RATE)
    items = [Item(0, tmp_path / "long.wav", "audio"), Item(1, tmp_path / "short.wav", "audio")]
    problems = []
    vectors = get_embedder("audio-mfcc", max_seconds=1.0).embed(Collection(items=items), problems=problems)
    assert np.isfinite(vectors).all()
    assert [(p.path.name, p.severity) for p in problems] == [("long.wav", "warning")]
    assert "first 1 s" in problems[0].message


def _write_bad(tmp_path: Path) -> dict[str, Path]:
    sf.write(tmp_path / "good.wav", tone(), SAMPLE_RATE)
    whole = (tmp_path / "good.wav").read_bytes()
    files = {
        "empty.wav": b"",
        "header_only.wav": whole[:44],
        "truncated.wav": whole[:600],
        "noise.mp3": np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes(),
        "text.ogg": b"this is not audio at all\n" * 20,
        "song.m4a": b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 100,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    sf.write(tmp_path / "silent.wav", np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    sf.write(tmp_path / "blip.wav", tone(seconds=0.03), SAMPLE_RATE)
    return {p.name: p for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("empty.wav", "empty (0 bytes)"),
        ("header_only.wav", "no audio samples"),
        ("truncated.wav", "too short"),
        ("noise.mp3", "cannot be decoded as MP3 audio"),
        ("text.ogg", "cannot be decoded as OGG audio"),
        ("song.m4a", "needs ffmpeg"),
        ("silent.wav", "silent"),
        ("blip.wav", "too short (30 ms)"),
    ],
)
def test_bad_audio_gives_a_clear_item_error(tmp_path, name, expected):
    files = _write_bad(tmp_path)
    with pytest.raises(ItemError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_audio(files[name])


def test_m4a_message_says_how_to_convert(tmp_path):
    (tmp_path / "a.m4a").write_bytes(b"\x00" * 64)
    with pytest.raises(ItemError) as error:
        load_audio(tmp_path / "a.m4a")
    assert ".wav" in str(error.value) and "ffmpeg -i a.m4a a.wav" in str(error.value)


def test_spectral_front_end_matches_librosa_conventions():
    librosa = pytest.importorskip("librosa")
    from scipy.fft import dct

    from engine.embed.audio import _dct_matrix

    np.testing.assert_allclose(
        mel_filterbank(SAMPLE_RATE, 2048, 64),
        librosa.filters.mel(sr=SAMPLE_RATE, n_fft=2048, n_mels=64),
        atol=1e-6,
    )
    x = np.random.default_rng(1).normal(size=SAMPLE_RATE).astype(np.float32)
    reference = np.abs(librosa.stft(x, n_fft=2048, hop_length=512)) ** 2
    np.testing.assert_allclose(power_spectrogram(x), reference.T, rtol=1e-3, atol=1e-3 * reference.max())
    db = log_mel(x, SAMPLE_RATE, 64)
    np.testing.assert_allclose(
        db @ _dct_matrix(20, 64).T, dct(db, type=2, norm="ortho", axis=1)[:, :20], atol=1e-3
    )


def _make_sound_folders(root: Path, per_class: int = 8) -> Path:
    """Tones, rising chirps and noise bursts of varied pitch, length, level, rate and channels."""
    rng = np.random.default_rng(3)
    for kind in ("tones", "chirps", "noise"):
        (root / kind).mkdir(parents=True)
        for i in range(per_class):
            sr = int(rng.choice([16000, 22050, 44100, 48000]))
            seconds = rng.uniform(0.4, 1.2)
            if kind == "tones":
                x = tone(rng.uniform(200, 1500), seconds, sr)
            elif kind == "chirps":
                f0 = rng.uniform(200, 800)
                x = chirp(f0, f0 * rng.uniform(2.5, 4), seconds, sr)
            else:
                x = rng.normal(scale=0.3, size=int(seconds * sr)).astype(np.float32)
            x = x * rng.uniform(0.1, 1.0)
            if i % 3 == 0:
                x = np.column_stack([x, 0.7 * x])
            sf.write(root / kind / f"{kind}_{i}.{'flac' if i % 2 else 'wav'}", x, sr)
    return root


@pytest.fixture(scope="module")
def sound_folder(tmp_path_factory):
    root = _make_sound_folders(tmp_path_factory.mktemp("sounds"))
    (root / "noise" / "broken.wav").write_bytes(b"RIFF\x00\x00")  # found by the scan, unreadable
    return root


def test_pipeline_groups_tones_chirps_and_noise_with_mfcc(sound_folder):
    from engine.pipeline import Spec, run

    result = run(Spec(paths=(str(sound_folder),), embedder="audio-mfcc", k=3))
    assert result.modality == "audio" and len(result.analysed.items) == 24
    assert result.metrics["ari"] > 0.9
    assert [p.path.name for p in result.embed_problems] == ["broken.wav"]
    assert "cannot be decoded" in result.embed_problems[0].message


def test_mfcc_vectors_are_standardised_and_raw_ones_cacheable(sound_folder):
    from engine.ingest import scan

    collection = scan([sound_folder]).only("audio")
    embedder = get_embedder("audio-mfcc")
    assert embedder.cacheable and embedder.readiness().ready
    vectors = embedder.embed(collection)
    ok = np.isfinite(vectors).all(axis=1)
    assert ok.sum() == 24 and vectors.dtype == np.float32
    assert np.allclose(vectors[ok].mean(axis=0), 0, atol=1e-4)
    raw = get_embedder("audio-mfcc", scale="none").embed(collection)
    assert raw.shape == vectors.shape and not np.allclose(raw[ok], vectors[ok])


def test_dtw_separates_rising_from_falling_chirps(tmp_path):
    """Same frequencies, opposite order: only the order of events tells them apart."""
    rng = np.random.default_rng(5)
    items = []
    for i in range(12):
        low, high, seconds = rng.uniform(300, 500), rng.uniform(1500, 2500), rng.uniform(0.3, 0.8)
        up = i % 2 == 0
        sf.write(
            tmp_path / f"c{i}.wav",
            chirp(low, high, seconds) if up else chirp(high, low, seconds),
            SAMPLE_RATE,
        )
        items.append(Item(i, tmp_path / f"c{i}.wav", "audio", label="up" if up else "down"))
    vectors = get_embedder("audio-dtw").embed(Collection(items=items))
    assert vectors.shape[0] == 12 and np.isfinite(vectors).all()
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    found = KMeans(2, n_init=10, random_state=0).fit_predict(vectors)
    assert adjusted_rand_score([it.label for it in items], found) == 1.0


def test_dtw_landmark_mds_matches_the_full_one_in_spirit(monkeypatch):
    from engine.embed import audio

    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(rng.integers(5, 20), 19)).astype(np.float32) + (k % 2) * 3 for k in range(30)]
    full = audio.dtw_embedding(seqs, dims=4)
    monkeypatch.setattr(audio, "FULL_MDS_LIMIT", 10)
    marks = audio.dtw_embedding(seqs, dims=4)
    assert full.shape == marks.shape == (30, 4)
    d_full = np.linalg.norm(full[:, None] - full[None], axis=2)
    d_marks = np.linalg.norm(marks[:, None] - marks[None], axis=2)
    assert np.corrcoef(d_full.ravel(), d_marks.ravel())[0, 1] > 0.95


def test_mel_image_embedder_gives_one_image_vector_per_clip(sound_folder):
    from engine.embed.audio import spectrogram_image

    image = spectrogram_image(tone(), SAMPLE_RATE)
    assert image.size == (224, 224) and image.mode == "RGB"
    embedder = get_embedder("audio-mel-image")
    if not embedder.readiness().ready:
        pytest.skip(embedder.readiness().message)
    assert embedder.fallback == "audio-mfcc" and embedder.params()["image_embedder"] == "image-efficientnet"
    paths = (
        sorted((sound_folder / "tones").glob("*"))[:3] + sorted((sound_folder / "noise").glob("*.flac"))[:2]
    )
    vectors = embedder.embed(Collection(items=[Item(i, p, "audio") for i, p in enumerate(paths)]))
    assert vectors.shape == (5, 1280) and np.isfinite(vectors).all()


def test_audio_embedders_start_without_librosa_or_numba(tmp_path):
    sf.write(tmp_path / "a.wav", tone(), SAMPLE_RATE)
    script = (
        "import sys; from pathlib import Path\n"
        "from engine.embed import get_embedder\nfrom engine.items import Collection, Item\n"
        f"c = Collection(items=[Item(0, Path({str(tmp_path / 'a.wav')!r}), 'audio')])\n"
        "for name in ('audio-mfcc', 'audio-dtw'): get_embedder(name).embed(c)\n"
        "print(sorted(m for m in ('librosa', 'numba', 'torch') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
