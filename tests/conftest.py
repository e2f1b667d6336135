"""Test-wide settings: never touch the network, never need a screen, never touch the user's folders."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The vector cache and the models.json config go to a throw-away folder for the whole session.
_scratch = tempfile.mkdtemp(prefix="dm6-tests-")
os.environ.setdefault("DATAMINING6_CACHE_DIR", os.path.join(_scratch, "cache"))
os.environ.setdefault("DATAMINING6_CONFIG_DIR", os.path.join(_scratch, "config"))
# numba's compiled code (aeon's catch22, MiniRocket) is kept between local runs: compiling takes ~60 s.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".pytest_cache" / "numba"))
