"""Test-wide settings: never touch the network, never need a screen, never touch the user's folders."""

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The vector cache and the models.json config go to a throw-away folder for the whole session.
_scratch = tempfile.mkdtemp(prefix="dm6-tests-")
os.environ.setdefault("DATAMINING6_CACHE_DIR", os.path.join(_scratch, "cache"))
os.environ.setdefault("DATAMINING6_CONFIG_DIR", os.path.join(_scratch, "config"))
