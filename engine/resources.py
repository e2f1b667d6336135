"""Where the app's read-only files are: beside the code, or inside a PyInstaller bundle.

One helper for both, so that nothing else needs to know whether the app runs from source. The
bundle is read-only: anything written (caches, settings, exported models) goes to user folders.
"""

from __future__ import annotations

import functools
import importlib.util
import json
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


LEFT_OUT = "left_out_weights.json"
"""The bundle's record of the packaged weights files it leaves out: their path and content hash."""


@functools.cache
def _left_out(root: str) -> dict[Path, str]:
    try:
        recorded = json.loads(Path(root, "models", LEFT_OUT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {Path(root, relative).resolve(): str(digest) for relative, digest in recorded.items()}


def left_out_weights() -> dict[Path, str]:
    """Packaged PyTorch weights this bundle leaves out (path where they would be: content hash).

    Their ONNX exports ship instead, named after that hash, so the ONNX path finds them without
    the weights; only the PyTorch runtime needs the file itself. Empty when running from source.
    """
    return _left_out(str(bundle_root()))


def weights_left_out(path: Path | None) -> bool:
    """Whether ``path`` is packaged weights that this bundle leaves out (ONNX only)."""
    return path is not None and not path.is_file() and Path(path).resolve() in left_out_weights()


def has_torch() -> bool:
    """Whether PyTorch can be imported here (the lean packaged app leaves it out)."""
    return importlib.util.find_spec("torch") is not None


def install_hint(pip_names: str) -> str:
    """What a missing library needs, to follow "needs": pip from source, the full app when packaged."""
    if is_bundled():
        return "the full DataMining6 app (this lean build leaves PyTorch and what is built on it out)"
    return f"pip install {pip_names}"


def left_out_model_code(folder: Path) -> str:
    """Why the bundle cannot load the transformers model in ``folder``, or "" when nothing is amiss.

    The full app ships the model code of the architectures sentence models use
    (build_scripts/bundle_trim.py); a model of another one needs the app run from source.
    """
    if not is_bundled():
        return ""
    try:
        model_type = str(json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_type"])
        from transformers.models.auto.configuration_auto import model_type_to_module_name

        module = model_type_to_module_name(model_type)
        if importlib.util.find_spec(f"transformers.models.{module}.modeling_{module.split('.')[-1]}"):
            return ""
    except ImportError:
        pass
    except (OSError, ValueError, KeyError, TypeError):
        return ""  # no readable config: the loader's own error says more
    return (
        f"This app ships the model code of the common sentence-model architectures only, not {model_type!r}; "
        "run DataMining6 from source (see Install in the README) to use this model"
    )
