"""The Tools menu: comparing embedders or methods, the Models dialog and clearing the cache (the window
only adds the menu)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from gui.compare_dialog import CompareDialog
from gui.models_dialog import ModelsDialog

if TYPE_CHECKING:
    from gui.main_window import MainWindow


class ToolActions(QObject):
    """Compare embedders…, Compare methods… and Models… (choosing there re-runs the analysis), Clear
    cache (vectors and thumbnails)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.models_action = QAction("&Models…", window)
        self.models_action.triggered.connect(self.show_models)
        self.clear_cache_action = QAction("&Clear cache", window)
        self.clear_cache_action.setToolTip("Forget cached vectors and thumbnails; the next run embeds again.")
        self.clear_cache_action.triggered.connect(self.clear_cache)
        self.compare_action = QAction("Compare &embedders…", window)
        self.compare_action.setToolTip("Score every embedder of the shown items' kind side by side.")
        self.compare_action.triggered.connect(lambda: self.compare())
        self.compare_methods_action = QAction("Compare &methods…", window)
        self.compare_methods_action.setToolTip(
            "Score every clustering method on the shown items' vectors side by side."
        )
        self.compare_methods_action.triggered.connect(lambda: self.compare(field="algorithm"))

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions([self.compare_action, self.compare_methods_action])
        menu.addSeparator()
        menu.addActions([self.models_action, self.clear_cache_action])
        menu.aboutToShow.connect(self.update_compare)

    def update_compare(self) -> None:
        """Compare embedders… is offered when the shown kind has two embedders or more; tables have
        one, and a comparison of one row only repeated the Summary's scores: the entry says so.
        Compare methods… is offered whenever a result is shown."""
        from engine.embed import list_embedders

        result = self.window.result
        self.compare_methods_action.setEnabled(result is not None)
        count = len(list_embedders(result.modality)) if result is not None else 0
        self.compare_action.setEnabled(count > 1)
        only = f" ({result.modality} items have one embedder)" if count == 1 else ""
        self.compare_action.setText(f"Compare &embedders…{only}")

    def compare(self, names: list[str] | None = None, field: str = "embedder") -> CompareDialog | None:
        """Open the comparison of embedders (or methods, ``field="algorithm"``) for the shown result;
        choosing a row there re-runs with its embedder or method (and its k)."""
        if self.window.result is None:
            return None
        dialog = CompareDialog(self.window.result, self.window, names, field)
        dialog.settings_chosen.connect(lambda changes: self.window.settings_panel.edit(**changes))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_models(self) -> ModelsDialog:
        """Open the Models dialog; choosing a model there re-runs the analysis with it."""
        dialog = ModelsDialog(self.window)
        dialog.models_changed.connect(self.window.rerun_soon)
        dialog.show()
        return dialog

    def clear_cache(self) -> None:
        """Forget every cached vector and thumbnail; the next run embeds again."""
        import sqlite3

        from engine.embed.cache import clear_cache
        from engine.thumbnails import ThumbnailCache

        try:
            vectors = clear_cache()
        except (OSError, sqlite3.Error) as error:
            QMessageBox.critical(self.window, "Clear cache", f"The vector cache cannot be cleared: {error}")
            return
        pictures = ThumbnailCache().trim(0)
        self.window.stage_label.setText(
            f"Cache cleared ({vectors / 1e6:.1f} MB of vectors, {pictures / 1e6:.1f} MB of thumbnails freed)"
        )
