"""Words that keep the window honest about what it shows: the title, and the settings not run yet.

Plain functions of two Specs (the shown result's and the settings panel's), so they are tested
without a window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

from engine.pipeline import Spec


def window_title(shown: Spec | None, current: Spec, running: bool) -> str:
    """Names the input on screen; while another input is analysed, says so after it."""
    names = (shown.paths if shown is not None else current.paths) or ()
    title = "DataMining6" + (f" — {_path_names(names)}" if names else "")
    if running and current.paths and (shown is None or current.paths != shown.paths):
        title += f" (analysing {_path_names(current.paths)}…)" if shown is not None else " (analysing…)"
    return title


def _path_names(paths: Iterable[str]) -> str:
    """The folder or file names of ``paths``, comma-separated."""
    return ", ".join(Path(p).name or p for p in paths)


def spec_changes(shown: Spec, current: Spec) -> list[str]:
    """What differs between the shown result's settings and the current ones, in words."""
    changes = []
    for field in fields(Spec):
        old, new = getattr(shown, field.name), getattr(current, field.name)
        if new == old:
            continue
        if field.name == "paths":
            changes.append(f"input {_path_names(new)}")
        elif field.name == "edits":
            changes.append(f"hand edits {len(old)} → {len(new)}")
        else:
            changes.append(f"{field.name.replace('_', ' ')} {_setting_text(old)} → {_setting_text(new)}")
    return changes


def _setting_text(value: object) -> str:
    return "auto" if value is None else str(value)
