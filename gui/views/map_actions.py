"""What a user does with the map's points: select by shape, name or similarity, zoom to them.

A mixin of :class:`gui.views.scatter.ScatterView`, kept apart so the view file holds the drawing
and this one the actions; it uses the view's ``state``, ``result``, ``tools``, ``view_box``,
``queries`` and ``message`` and its coordinates, and computes with numpy and :mod:`engine.similar`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu

from engine.similar import more_like
from gui import hand_edits
from gui.views.map_tools import padded_range, points_in_shape

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.view_state import ViewState


class MapActions:
    """Selection, similarity and zoom on top of a scatter view (see the module docstring)."""

    state: ViewState
    result: Result | None
    tools: Any
    view_box: Any
    queries: Any
    message: Any
    _coords: np.ndarray
    _describe: Callable[[int], tuple[str, str | None]] | None
    _names_lower: list[str] | None
    _shape_runner: Any
    """Finds the points inside a shape off the GUI thread (a :class:`gui.views.density.LatestRunner`)."""
    density_above: int
    fit_all: Callable[[], None]
    _visible: Callable[[], np.ndarray]
    """Per item: whether its cluster is shown."""
    edit: hand_edits.Apply | None = None
    """Sets the settings' hand edits (the window gives it); without it the menu offers none."""

    def context_menu(self, index: int) -> QMenu:
        """What a right-click on point ``index`` offers."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        k = self.tools.neighbours.value()
        menu.addAction(f"More like this ({k} closest)", lambda: self.more_like_this(index))
        if self.result is not None:
            path = self.result.analysed.items[index].path
            menu.addAction("Open file", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        if self.edit is not None and 0 <= index < len(self.state.labels):
            menu.addSeparator()
            hand_edits.fill_menu(menu, self.state, [], int(self.state.labels[index]), self.edit)
        return menu

    # ---- selecting by shape, name and similarity ----------------------------------------------
    def set_mode(self, mode: str) -> None:
        """What a plain drag does: ``pan``, ``rect`` or ``lasso``."""
        self.view_box.mode = mode
        self.tools.set_mode(mode)

    def select_in_shape(self, shape: str, polygon: np.ndarray, additive: bool = False) -> None:
        """Select the visible points inside a rectangle or lasso drawn in view coordinates (off the
        GUI thread for a density map, where the points inside can be hundreds of thousands)."""
        coords = self._coords
        if len(coords) > self.density_above:
            self._shape_runner.request(lambda: (shape, additive, points_in_shape(coords, shape, polygon)))
        else:
            self._select_inside(shape, additive, points_in_shape(coords, shape, polygon))

    def _select_inside(self, shape: str, additive: bool, inside: np.ndarray) -> None:
        inside = inside[self._visible()[inside]]
        chosen = np.union1d(self.state.selected, inside) if additive else inside
        self.state.select(chosen, source=self)
        self.message.emit(f"{len(inside)} items inside the {'rectangle' if shape == 'rect' else 'lasso'}")

    def select_by_name(self, text: str) -> None:
        """Select the items whose name contains ``text`` (any case); empty text changes nothing."""
        text = text.strip().lower()
        if not text or self._describe is None:
            return
        if self._names_lower is None:
            self._names_lower = [self._describe(i)[0].lower() for i in range(len(self._coords))]
        found = [i for i, name in enumerate(self._names_lower) if text in name]
        self.state.select(found, source=self)
        self.message.emit(f"{len(found)} names contain “{text}”")

    def more_like_this(self, index: int | None = None) -> np.ndarray:
        """Select an item (default: the one under the mouse, else the selection) and its nearest
        neighbours by cosine in the embedding space; returns the neighbours found, best first."""
        k = self.tools.neighbours.value()
        if self.result is None or not len(self.result.embeddings):
            return np.zeros(0, dtype=np.intp)
        vectors = self.result.embeddings
        if index is None and self.state.hovered >= 0:
            index = self.state.hovered
        seeds = [index] if index is not None else self.state.selected
        if not len(seeds):
            self.message.emit("More like this: point at an item or select some first.")
            return np.zeros(0, dtype=np.intp)
        found = more_like(vectors, seeds, k)
        what = f"the {len(seeds)} selected" if index is None else self._describe(index)[0]
        self.state.select(np.concatenate([seeds, found]), source=self, ranked=True)
        self.message.emit(f"Selected {what} and the {len(found)} most similar items")
        return found

    def ask_query(self, text: str) -> None:
        """Embed typed text off the GUI thread, then select the closest documents."""
        if self.queries.ask(text, self.tools.neighbours.value()):
            self.message.emit(f"Embedding “{text.strip()}”…")

    def _on_query_found(self, rows: np.ndarray, text: str) -> None:
        self.state.select(rows, source=self, ranked=True, search=text)
        if len(rows) and self._describe is not None:
            best = self._describe(int(rows[0]))[0]
            self.message.emit(f"{len(rows)} documents closest to “{text.strip()}” (best: {best})")

    # ---- the view ------------------------------------------------------------------------------
    def zoom_to_selection(self) -> None:
        """Fit the view to the visible selected points, else to the clusters chosen in the list (a
        small margin around them)."""
        singled = self.state.emphasis()
        if singled is None or len(singled) != len(self._coords):
            return
        chosen = np.flatnonzero(singled & self._visible())
        if not len(chosen):
            return
        x_range, y_range = padded_range(self._coords[chosen], self._coords)
        self.view_box.setRange(xRange=tuple(x_range), yRange=tuple(y_range), padding=0)

    def reset_view(self) -> None:
        """Show every point again."""
        if len(self._coords):
            self.fit_all()
