"""Hand edits from the window: merge clusters, move the selected items, undo.

The window does not change labels itself: each action adds an edit (:mod:`engine.edits`) to the
settings, and the run that follows re-scores and re-names the edited clusters in the engine, as
for any other setting. So the metrics, names, exports and a saved project all describe the
clusters on screen, and the view state carries the user's names and colours to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from engine import edits
from engine.items import plural

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from gui.view_state import ViewState

Apply = Callable[[tuple], None]
"""Sets the settings' edits (and so starts the run that applies them)."""


def shown_edits(state: ViewState) -> tuple:
    """The edits behind the clusters on screen (those of the shown result that applied)."""
    result = state.result
    return () if result is None else tuple(result.spec.edits[: result.edits_applied])


def fill_menu(menu: QMenu, state: ViewState, chosen: list[int], under: int | None, apply: Apply) -> None:
    """Add the edits that make sense for the ``chosen`` clusters, the one ``under`` the mouse and the
    selection on the map; each calls ``apply`` with the shown edits plus the new one."""
    if state.result is None:
        return
    labels, done = state.labels, shown_edits(state)

    def add(text: str, edit: Callable[[], tuple]) -> None:
        menu.addAction(text, lambda: apply((*done, edit())))

    if len(chosen) >= 2 and min(chosen) >= 0:  # noise is no cluster to merge
        add(f"Merge the {len(chosen)} chosen clusters", lambda: edits.merge(labels, chosen))
    selected = state.selected
    if len(selected):
        count = plural(len(selected), "selected item")
        if under is not None and under >= 0 and not np.all(labels[selected] == under):
            name = state.name_of(under)
            add(f"Move the {count} to “{name}”", lambda: edits.move(labels, selected, under))
        add(f"Make the {count} a new cluster", lambda: edits.move(labels, selected))
    if done:
        menu.addSeparator()
        menu.addAction("Undo the last hand edit", lambda: apply(done[:-1]))
        if len(done) > 1:
            menu.addAction(f"Undo all {len(done)} hand edits", lambda: apply(()))
