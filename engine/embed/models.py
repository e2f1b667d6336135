"""Where model weights come from, offline only: packages, files the user points to, local caches.

Nothing here downloads. A user adds a model by picking a file or folder (the Models dialog, or
``main.py models --set NAME PATH``); that choice is kept in ``models.json`` in the user's config
folder. ``DATAMINING6_CONFIG_DIR`` moves that folder (tests use it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.store import atomic_write


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
    try:
        data = json.loads(_config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


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
