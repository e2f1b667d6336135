"""The settings panel: widgets bound by name to the fields of the one ``Spec`` the window runs.

The panel holds the Spec itself (a frozen dataclass, replaced on each edit); widgets never keep
their own copy of a setting. ``spec_changed`` tells the window to re-run with the new Spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from engine.pipeline import Spec

if TYPE_CHECKING:
    from engine.pipeline import Result

AUTO = "(auto)"
NONE = "(none)"
DEFAULT = "(default)"
DEVICES = ("auto", "cpu", "cuda", "mps")
CSV_KINDS = ("auto", "table", "timeseries")
K_LIMIT = 500


def _label_text(value: str | None) -> str:
    return AUTO if value is None else NONE if value == "" else value


def _label_value(text: str) -> str | None:
    text = text.strip()
    return None if text in ("", AUTO) else "" if text == NONE else text


def _label_candidates(info: dict[str, Any], limit: int = 50) -> list[str]:
    """Columns of the CSV files read that could hold classes: detected labels first, then the rest."""
    files = [f for f in (info.get("csv") or {}).values() if isinstance(f, dict)]
    names: list[str] = []
    for keys in (("label_column",), ("categorical_columns", "name_column", "columns")):
        for file_info in files:
            for key in keys:
                value = file_info.get(key)
                for name in value if isinstance(value, list | tuple) else [value]:
                    if name and str(name) not in names:
                        names.append(str(name))
    return names[:limit]


class SettingsPanel(QWidget):
    """Edits ``spec``; emits ``spec_changed(Spec)`` after every change a user makes."""

    spec_changed = Signal(object)

    def __init__(self, spec: Spec | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = spec or Spec()
        form = QFormLayout(self)

        self.modality = QComboBox()
        self.modality.setToolTip("Which kind of item to analyse when the input holds several.")
        self.modality.addItem(AUTO, None)
        form.addRow("Modality", self.modality)

        self.csv_kind = QComboBox()
        self.csv_kind.setToolTip("auto guesses per file: a table (one item per row) or time series.")
        for kind in CSV_KINDS:
            self.csv_kind.addItem(kind, kind)
        form.addRow("CSV files", self.csv_kind)

        self.label_column = QComboBox()
        self.label_column.setEditable(True)
        self.label_column.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.label_column.setToolTip(
            "Column with known classes, used only to score the clustering (ARI, NMI).\n"
            f"{AUTO} looks for class/label/target; {NONE} uses no column."
        )
        self.label_column.addItems([AUTO, NONE])
        form.addRow("Label column", self.label_column)

        self.embedder = QComboBox()
        self.embedder.setToolTip(
            "How items become vectors. (default) takes the recommended one for the modality;\n"
            "Tools > Models shows where each model comes from."
        )
        self.embedder.addItem(DEFAULT, None)
        form.addRow("Embedder", self.embedder)

        self.device = QComboBox()
        self.device.setToolTip("Where models run: auto takes a CUDA or Apple GPU when there is one.")
        for device in DEVICES:
            self.device.addItem(device, device)
        form.addRow("Device", self.device)

        self.k_auto = QCheckBox("auto")
        self.k_auto.setToolTip("Try every k in the range and keep the best silhouette.")
        self.k = QSpinBox()
        self.k.setRange(1, K_LIMIT)
        k_row = QHBoxLayout()
        k_row.addWidget(self.k_auto)
        k_row.addWidget(self.k, 1)
        form.addRow("Clusters (k)", k_row)

        self.k_min = QSpinBox()
        self.k_max = QSpinBox()
        for box in (self.k_min, self.k_max):
            box.setRange(2, K_LIMIT)
        range_row = QHBoxLayout()
        range_row.addWidget(self.k_min, 1)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.k_max, 1)
        form.addRow("k range (auto)", range_row)

        self.random_state = QSpinBox()
        self.random_state.setRange(0, 2**31 - 1)
        self.random_state.setToolTip("Same seed, same input: same clusters and map.")
        form.addRow("Random seed", self.random_state)

        self._show_spec()
        # Embedders are made for one modality: another modality starts from its default embedder.
        self.modality.currentIndexChanged.connect(
            lambda _: self._edit(modality=self.modality.currentData(), embedder=None)
        )
        self.embedder.currentIndexChanged.connect(lambda _: self._edit(embedder=self.embedder.currentData()))
        self.device.currentIndexChanged.connect(lambda _: self._edit(device=self.device.currentData()))
        self.csv_kind.currentIndexChanged.connect(lambda _: self._edit(csv_kind=self.csv_kind.currentData()))
        # Typed names count when the user presses Enter or leaves the box, not at every keystroke.
        self.label_column.activated.connect(self._on_label_column)
        self.label_column.lineEdit().editingFinished.connect(self._on_label_column)
        self.k_auto.toggled.connect(self._on_k_auto)
        self.k.valueChanged.connect(lambda v: self._edit(k=int(v)))
        self.k_min.valueChanged.connect(self._on_k_min)
        self.k_max.valueChanged.connect(self._on_k_max)
        self.random_state.valueChanged.connect(lambda v: self._edit(random_state=int(v)))

    @property
    def spec(self) -> Spec:
        """The Spec the window runs; the single place where the settings live."""
        return self._spec

    def set_spec(self, spec: Spec) -> None:
        """Replace the Spec (a new input, a loaded project) and show it; emits nothing."""
        self._spec = spec
        self._show_spec()

    def set_result(self, result: Result) -> None:
        """Offer the choices a result reveals: its modalities and the columns that could hold labels."""
        collection = result.collection
        counts: dict[str, int] = {}
        for item in collection.items:
            counts[item.modality] = counts.get(item.modality, 0) + 1
        self.set_modalities(counts)
        self.set_label_choices(_label_candidates(getattr(collection, "info", {}) or {}))
        self.set_embedders(result.modality, result.embedder)

    def set_embedders(self, modality: str, used: str | None = None) -> None:
        """Offer the embedders of ``modality``, each marked when its model is missing."""
        from engine.embed import default_embedder, list_embedders

        default = default_embedder(modality)
        with QSignalBlocker(self.embedder):
            self.embedder.clear()
            self.embedder.addItem(f"{DEFAULT}: {default}", None)
            for embedder in list_embedders(modality):
                ready = embedder.readiness().ready
                self.embedder.addItem(embedder.name + ("" if ready else " (model missing)"), embedder.name)
        if used is not None and used != (self._spec.embedder or default):
            self.embedder.setToolTip(f"{self._spec.embedder} could not run; {used} was used instead.")
        self._show_spec()

    def set_modalities(self, counts: dict[str, int]) -> None:
        """Fill the modality list with those found (most common first), keeping ``auto``."""
        with QSignalBlocker(self.modality):
            self.modality.clear()
            self.modality.addItem(AUTO, None)
            for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
                self.modality.addItem(f"{name} ({count})", name)
        self._show_spec()

    def set_label_choices(self, names: Iterable[str]) -> None:
        """Suggest column names in the label-column box (the user may still type any name)."""
        with QSignalBlocker(self.label_column):
            self.label_column.clear()
            self.label_column.addItems([AUTO, NONE, *names])
        self._show_spec()

    def _edit(self, **changes: Any) -> None:
        new = self._spec.replace(**changes)
        if new != self._spec:
            self._spec = new
            self.spec_changed.emit(new)

    def _on_label_column(self, *_: object) -> None:
        self._edit(label_column=_label_value(self.label_column.currentText()))

    def _on_k_auto(self, auto: bool) -> None:
        self._enable_k_widgets(auto)
        self._edit(k=None if auto else int(self.k.value()))

    def _on_k_min(self, value: int) -> None:
        if value > self.k_max.value():
            self.k_max.setValue(value)  # its own signal records k_max
        self._edit(k_min=int(value))

    def _on_k_max(self, value: int) -> None:
        if value < self.k_min.value():
            self.k_min.setValue(value)
        self._edit(k_max=int(value))

    def _enable_k_widgets(self, auto: bool) -> None:
        self.k.setEnabled(not auto)
        self.k_min.setEnabled(auto)
        self.k_max.setEnabled(auto)

    def _show_spec(self) -> None:
        """Make every widget show the Spec, without echoing the change back as an edit."""
        spec = self._spec
        widgets = (
            self.modality,
            self.csv_kind,
            self.label_column,
            self.embedder,
            self.device,
            self.k_auto,
            self.k,
            self.k_min,
            self.k_max,
            self.random_state,
        )
        blockers = [QSignalBlocker(w) for w in widgets]
        try:
            index = self.modality.findData(spec.modality)
            if index < 0:  # a modality not (yet) seen: offer it so the Spec stays visible
                self.modality.addItem(str(spec.modality), spec.modality)
                index = self.modality.count() - 1
            self.modality.setCurrentIndex(index)
            self.csv_kind.setCurrentIndex(max(0, self.csv_kind.findData(spec.csv_kind)))
            self.label_column.setCurrentText(_label_text(spec.label_column))
            index = self.embedder.findData(spec.embedder)
            if index < 0:
                self.embedder.addItem(str(spec.embedder), spec.embedder)
                index = self.embedder.count() - 1
            self.embedder.setCurrentIndex(index)
            self.device.setCurrentIndex(max(0, self.device.findData(spec.device)))
            self.k_auto.setChecked(spec.k is None)
            if spec.k is not None:
                self.k.setValue(spec.k)
            elif self.k.value() < 2:
                self.k.setValue(3)
            self.k_min.setValue(spec.k_min)
            self.k_max.setValue(spec.k_max)
            self.random_state.setValue(spec.random_state)
            self._enable_k_widgets(spec.k is None)
        finally:
            for blocker in blockers:
                blocker.unblock()
