"""Where the app's read-only files are: beside the code, or inside a PyInstaller bundle.

One helper for both, so that nothing else needs to know whether the app runs from source. The
bundle is read-only: anything written (caches, settings, exported models) goes to user folders.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def bundle_root() -> Path:
    """The folder holding ``resources/`` and ``models/``: the bundle's, or the source checkout."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) if bundle else Path(__file__).resolve().parents[1]


def is_bundled() -> bool:
    """True inside the packaged app (PyInstaller sets ``sys.frozen``)."""
    return bool(getattr(sys, "frozen", False))


def resource_path(*parts: str) -> Path:
    """A path under ``resources/`` (which may not exist: callers check)."""
    return bundle_root().joinpath("resources", *parts)


def bundled_models(*parts: str) -> Path:
    """A path under the bundle's read-only ``models/`` folder (exported at build time; absent from source)."""
    return bundle_root().joinpath("models", *parts)


def has_torch() -> bool:
    """Whether PyTorch can be imported here (the lean packaged app leaves it out)."""
    return importlib.util.find_spec("torch") is not None


def install_hint(pip_names: str) -> str:
    """What a missing library needs, to follow "needs": pip from source, the full app when packaged."""
    if is_bundled():
        return "the full DataMining6 app (this lean build leaves PyTorch and what is built on it out)"
    return f"pip install {pip_names}"
