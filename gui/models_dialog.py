"""The Models dialog: every embedder, whether its model is here, where it loads from, how to add one.

Choosing a file or folder writes the user's ``models.json`` through :mod:`engine.embed.models`, so
the window, the command line and later runs all see the same choice.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Modality", "Embedder", "Status", "Model from", "What it does")
MODEL_FILES = "Model files (*.pt *.pth *.bin *.safetensors *.ckpt);;All files (*)"


class ModelsDialog(QDialog):
    """Lists the embedders (engine registry) and lets the user point one at a model file or folder."""

    models_changed = Signal()
    """A model was chosen or forgotten: the window re-runs if the current embedder is affected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(980, 560)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # Rows as high as their wrapped text.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The model's source and the description share what is left, wrapped: sized to their text,
        # a package's long source pushed the description out of view on a laptop screen.
        for col in (COLUMNS.index("Model from"), COLUMNS.index("What it does")):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(48)

        self.choose_file = QPushButton("Use model file…")
        self.choose_folder = QPushButton("Use model folder…")
        self.forget = QPushButton("Use the default")
        self.forget.setToolTip("Forget the file or folder chosen for this embedder.")
        buttons = QHBoxLayout()
        for button in (self.choose_file, self.choose_folder, self.forget):
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        intro = QLabel(
            "Models load only from this computer: packages, files you choose here, or the local "
            "Hugging Face cache. Nothing is downloaded. An embedder whose model is missing is "
            "replaced by its weight-free fallback, and the summary says so."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        layout.addWidget(close)

        self.table.itemSelectionChanged.connect(self._show_detail)
        self.choose_file.clicked.connect(lambda: self._choose(folder=False))
        self.choose_folder.clicked.connect(lambda: self._choose(folder=True))
        self.forget.clicked.connect(self._forget)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the registry and each embedder's readiness (cheap: no model is loaded)."""
        from engine.embed import list_embedders

        self._embedders = list_embedders()
        self.table.setRowCount(len(self._embedders))
        for row, embedder in enumerate(self._embedders):
            ready = embedder.readiness()
            status = "ready" if ready.ready else "missing"
            cells = (embedder.modality, embedder.name, status, ready.source, embedder.description)
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                if col == 2:
                    cell.setForeground(QColor("#1a7f37" if ready.ready else "#b42318"))
                self.table.setItem(row, col, cell)
        self._show_detail()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self._embedders[rows[0].row()].name if rows else None

    def select(self, name: str) -> None:
        for row, embedder in enumerate(self._embedders):
            if embedder.name == name:
                self.table.selectRow(row)

    def _show_detail(self) -> None:
        name = self.selected_name()
        for button in (self.choose_file, self.choose_folder, self.forget):
            button.setEnabled(name is not None)
        if name is None:
            self.detail.setText("Select an embedder to see where its model comes from or to choose one.")
            return
        embedder = next(e for e in self._embedders if e.name == name)
        ready = embedder.readiness()
        lines = [f"<b>{name}</b>: {'ready' if ready.ready else 'not ready'}; model from {ready.source}."]
        if ready.message:
            lines.append(ready.message)
        if embedder.fallback and not ready.ready:
            lines.append(f"Until then, {embedder.fallback} is used instead.")
        if not embedder.needs_weights:
            lines.append("This embedder needs no model weights.")
        self.detail.setText("<br>".join(lines))

    def set_model(self, name: str, path: Path | None) -> None:
        """Remember (or forget, with None) the model for ``name``, then refresh the list."""
        from engine.embed.models import set_configured_model

        set_configured_model(name, path)
        self.refresh()
        self.select(name)
        self.models_changed.emit()

    def _choose(self, folder: bool) -> None:
        name = self.selected_name()
        if name is None:
            return
        if folder:
            chosen = QFileDialog.getExistingDirectory(self, f"Model folder for {name}")
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, f"Model file for {name}", "", MODEL_FILES)
        if chosen:
            self.set_model(name, Path(chosen))

    def _forget(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.set_model(name, None)
