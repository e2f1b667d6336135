"""How to analyse, remembered between launches: the Spec's method settings and an embedder per modality.

Only the fields that say *how* are kept (method and its parameters, k, detector, map, device,
seed); what depends on the input (paths, modality, label column, a model file) is not. Values are
stored as JSON text, so an INI file and the platform's registry read back the same types, and
anything unreadable or no longer valid (a removed method) falls back to the catalogue's defaults.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from PySide6.QtCore import QSettings

from engine import catalogue
from engine.pipeline import Spec

SPEC_KEY = "analysis/spec"
EMBEDDERS_KEY = "analysis/embedders"
INPUT_FIELDS = frozenset({"paths", "modality", "label_column", "embedder", "model", "use_cache", "edits"})
"""Spec fields that belong to one input, never carried to the next launch."""
REMEMBERED = tuple(f.name for f in fields(Spec) if f.name not in INPUT_FIELDS)


def _read_json(settings: QSettings, key: str) -> dict[str, Any]:
    try:
        value = json.loads(str(settings.value(key, "") or "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class RememberedSettings:
    """Reads and writes the remembered settings in one QSettings (None: remember nothing)."""

    def __init__(self, settings: QSettings | None) -> None:
        self.settings = settings

    def spec(self) -> Spec:
        """The Spec to start with: the remembered settings that still pass the catalogue's check."""
        if self.settings is None:
            return Spec()
        stored = _read_json(self.settings, SPEC_KEY)
        values = {name: stored[name] for name in REMEMBERED if name in stored}
        try:
            catalogue.check_options(values)
            spec = Spec().replace(**values)
        except (ValueError, TypeError):  # OptionError is a ValueError: an old or hand-edited file
            return Spec()
        return spec

    def remember(self, spec: Spec, modality: str | None = None) -> None:
        """Keep ``spec``'s method settings, and its embedder as the choice for ``modality``."""
        if self.settings is None:
            return
        values = spec.to_dict()
        self.settings.setValue(SPEC_KEY, json.dumps({name: values[name] for name in REMEMBERED}))
        if modality is not None:
            chosen = self.embedders()
            if spec.embedder:
                chosen[modality] = spec.embedder
            else:
                chosen.pop(modality, None)
            self.settings.setValue(EMBEDDERS_KEY, json.dumps(chosen, sort_keys=True))

    def embedders(self) -> dict[str, str]:
        """Modality -> the embedder the user chose for it last."""
        if self.settings is None:
            return {}
        return {str(k): str(v) for k, v in _read_json(self.settings, EMBEDDERS_KEY).items() if v}

    def embedder_for(self, modality: str) -> str | None:
        """The remembered embedder of ``modality`` if it still exists for it, else None (the default)."""
        name = self.embedders().get(modality)
        if name is None:
            return None
        try:
            catalogue.check_embedder(name, modality)
        except catalogue.OptionError:
            return None
        return name

    def forget(self) -> None:
        """Back to the catalogue's defaults at the next launch."""
        if self.settings is not None:
            self.settings.remove(SPEC_KEY)
            self.settings.remove(EMBEDDERS_KEY)


def default_values() -> dict[str, Any]:
    """The remembered fields at their catalogue defaults (what *Restore default settings* sets)."""
    values = Spec().to_dict()
    return {name: values[name] for name in REMEMBERED}
