"""Where model weights come from, offline only: packages, files the user points to, local caches.

Nothing here downloads. A user adds a model by picking a file or folder (the Models dialog, or
``main.py models --set NAME PATH``); that choice is kept in ``models.json`` in the user's config
folder. ``DATAMINING6_CONFIG_DIR`` moves that folder (tests use it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.atomic import atomic_write


def config_dir() -> Path:
    override = os.environ.get("DATAMINING6_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("DataMining6", appauthor=False))


def _config_file() -> Path:
    return config_dir() / "models.json"


def configured_models() -> dict[str, str]:
    """Embedder name -> model path chosen by the user; an unreadable file counts as no choice."""
    return _read_config()[0]


def models_file_note() -> str | None:
    """What the user should know when ``models.json`` is there but cannot be used (it is then ignored)."""
    return _read_config()[1]


def _read_config() -> tuple[dict[str, str], str | None]:
    path = _config_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as error:
        return (
            {},
            f"The model settings file {path} cannot be read ({error}); the models chosen in it are ignored.",
        )
    if not isinstance(data, dict):
        return (
            {},
            f"The model settings file {path} is not a JSON object; the models chosen in it are ignored.",
        )
    # null (or any non-text value) means no choice, never a model called "None"
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v}, None


def configured_model(embedder: str) -> Path | None:
    path = configured_models().get(embedder)
    return Path(path) if path else None


def set_configured_model(embedder: str, path: Path | None) -> None:
    """Remember (or, with ``None``, forget) the model file or folder for an embedder."""
    models = configured_models()
    if path is None:
        models.pop(embedder, None)
    else:
        models[embedder] = str(Path(path).expanduser().resolve())
    with atomic_write(_config_file()) as handle:
        json.dump(models, handle, indent=2)


def hf_cached_snapshot(repo_id: str) -> Path | None:
    """The local folder of a Hugging Face model already in the user's cache, without any network."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not in the cache"; the caller explains
        return None
