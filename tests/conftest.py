"""Test-wide settings: never touch the network, never need a screen, never touch the user's folders."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The vector cache and the models.json config go to a throw-away folder for the whole session.
_scratch = tempfile.mkdtemp(prefix="dm6-tests-")
os.environ.setdefault("DATAMINING6_CACHE_DIR", os.path.join(_scratch, "cache"))
os.environ.setdefault("DATAMINING6_CONFIG_DIR", os.path.join(_scratch, "config"))
# Sound goes to ALSA's null device, which plays (as fast as it can) without a sound card. PortAudio
# reads ALSA_CONFIG_PATH once, when sounddevice is first imported: nothing may import it before this.
assert "sounddevice" not in sys.modules, "sounddevice was imported before the test ALSA config was set"
_alsa = Path(_scratch) / "alsa-null.conf"
_alsa.write_text(
    "</usr/share/alsa/alsa.conf>\n"
    'pcm.!default { type null\n  hint { show on description "null sink for tests" } }\n'
    "ctl.!default { type hw card 0 }\n"
)
os.environ["ALSA_CONFIG_PATH"] = str(_alsa)


def _write_tone(path: Path, seconds: float, hz: float, sr: int = 16000) -> Path:
    """A sine of ``hz`` Hz as a sound file (the suffix picks the format); returns the path."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.4 * np.sin(2 * np.pi * hz * t)).astype(np.float32), sr)
    return path


def _write_chirp(path: Path, seconds: float = 3.0, sr: int = 22050):
    """A sine sweeping up from 200 Hz to 6 kHz as 16-bit WAV; returns the samples as read back."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * (200.0 * t + 5800.0 * t**2 / (2 * seconds))
    sf.write(path, (0.5 * np.sin(phase)).astype(np.float32), sr, subtype="PCM_16")
    return sf.read(path, dtype="float32")[0]


@pytest.fixture
def write_tone():
    """``write_tone(path, seconds, hz, sr=16000)``: a sine written as a sound file."""
    return _write_tone


@pytest.fixture
def write_chirp():
    """``write_chirp(path, seconds=3.0, sr=22050)``: a rising sweep (200 Hz to 6 kHz) as WAV."""
    return _write_chirp


@pytest.fixture
def two_topic_texts():
    """``two_topic_texts(folder, per_topic=5)``: short documents about cooking and about football,
    clustered in two with TF-IDF (no model needed); returns the Result."""

    def clustered(folder: Path, per_topic: int = 5):
        from engine.pipeline import Spec, run

        topics = {
            "cooking": "Stir the onions with garlic and butter",
            "football": "The striker scored a late goal",
        }
        for topic, sentence in topics.items():
            for i in range(per_topic):
                (folder / f"{topic}{i}.txt").write_text(
                    f"{sentence}, take {i}.\nSecond line about {topic}.\n"
                )
        return run(Spec(paths=(str(folder),), use_cache=False, embedder="text-tfidf", k=2))

    return clustered
