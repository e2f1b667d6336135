"""The settings panel: widgets bound by name to the fields of the one ``Spec`` the window runs.

The panel holds the Spec itself (a frozen dataclass, replaced on each edit); widgets never keep
their own copy of a setting. ``spec_changed`` tells the window to re-run with the new Spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from engine import catalogue
from engine.layout import available_layouts
from engine.spec import Spec, stage_key

if TYPE_CHECKING:
    from engine.items import CsvFile, CsvGroup
    from engine.pipeline import Result

AUTO = "(auto)"
NONE = "(none)"
DEFAULT = "(default)"
EMBEDDER_HELP = (
    "How items become vectors. (default) takes the recommended one for the modality;\n"
    "Tools > Models shows where each model comes from."
)
K_LIMIT = 500
MIN_COMBO_CHARACTERS = 22
"""A settings box is at least this many characters wide; longer entries are cut, shown whole in its list."""

Choices = list[tuple[str, Any, str]]
"""(text shown, value stored in the Spec, tooltip) for each entry of a combo box."""


def _choices(choices: tuple[catalogue.Choice, ...]) -> Choices:
    return [(c.label, c.value, c.help) for c in choices]


DETECTORS: Choices = [(NONE, None, "No outlier scoring."), *_choices(catalogue.DETECTORS)]
ROWS_FOR: dict[str, set[str]] = {
    p.name: set(p.methods)
    for p in catalogue.PARAMETERS.values()
    if p.methods and p.name not in ("random_state", "k_min", "k_max")
}
ROWS_FOR["k_range"] = set(catalogue.PARAMETERS["k_min"].methods)
"""Which algorithms each method-specific row belongs to (from the catalogue); the others hide it."""


def _label_text(value: str | None) -> str:
    return AUTO if value is None else NONE if value == "" else value


def _label_value(text: str) -> str | None:
    text = text.strip()
    return None if text in ("", AUTO) else "" if text == NONE else text


def _label_candidates(files: Iterable[CsvFile], limit: int = 50) -> list[str]:
    """Columns of the CSV files read that could hold classes: detected labels first, then the rest."""
    files = list(files)
    names: list[str] = []
    for keys in (("label_column",), ("categorical_columns", "name_column", "columns")):
        for file in files:
            for key in keys:
                value = getattr(file, key)
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

        self._form = form
        self._combos: dict[str, QComboBox] = {}
        self._rows: dict[str, QWidget | QHBoxLayout] = {}
        self.csv_kind = self._combo(
            "CSV files",
            "csv_kind",
            _choices(catalogue.CSV_KINDS),
            "CSV files and spreadsheets: auto guesses per file, a table (a row per item) or time series.",
        )

        # Shown only when the CSV files hold several kinds of table (different columns).
        self.csv_group = QComboBox()
        self.csv_group.setToolTip(
            "CSV files with different columns are never merged: each kind is its own input.\n"
            "The largest is analysed unless you choose another here."
        )
        form.addRow("CSV input", self.csv_group)
        form.setRowVisible(self.csv_group, False)
        # Shown only when a spreadsheet read has two or more sheets with data.
        self.sheet = QComboBox()
        self.sheet.setToolTip(
            "The sheet read in spreadsheets (the first that holds a table unless you choose)."
        )
        form.addRow("Sheet", self.sheet)
        form.setRowVisible(self.sheet, False)

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
        self.embedder.setToolTip(EMBEDDER_HELP)
        self.embedder.addItem(DEFAULT, None)
        form.addRow("Embedder", self.embedder)

        self.device = self._combo(
            "Device",
            "device",
            _choices(catalogue.DEVICES),
            "Where models run: auto takes a CUDA or Apple GPU when there is one.",
        )
        self.algorithm = self._combo(
            "Method", "algorithm", _choices(catalogue.ALGORITHMS), "How items are grouped."
        )
        self.linkage = self._combo(
            "Linkage",
            "linkage",
            _choices(catalogue.LINKAGES),
            "How the distance between clusters is measured.",
        )
        self.split_rule = self._combo(
            "Split next", "split_rule", _choices(catalogue.SPLIT_RULES), "Which cluster is split next."
        )
        self.covariance_type = self._combo(
            "Covariance",
            "covariance_type",
            _choices(catalogue.COVARIANCE_TYPES),
            "Shape of each component: full ellipses to spheres.",
        )
        self.criterion = self._combo(
            "Choose k by", "criterion", _choices(catalogue.CRITERIA), "Lower is better for both."
        )

        self.eps_auto = QCheckBox("auto")
        self.eps_auto.setToolTip("Take the knee of the k-distance curve (drag it in the DBSCAN radius view).")
        self.eps = QDoubleSpinBox()
        self.eps.setDecimals(4)
        self.eps.setRange(1e-4, 1e6)
        self.eps.setToolTip("Neighbourhood radius: items closer than this are neighbours.")
        eps_row = QHBoxLayout()
        eps_row.addWidget(self.eps_auto)
        eps_row.addWidget(self.eps, 1)
        form.addRow("Radius (eps)", eps_row)
        self._rows["eps"] = eps_row

        self.min_samples = QSpinBox()
        self.min_samples.setRange(1, 10_000)
        self.min_samples.setSpecialValueText("auto")  # 1 stands for None: chosen by the engine
        self.min_samples.setToolTip("DBSCAN: neighbours a core item needs. HDBSCAN: smallest cluster size.")
        form.addRow("Min samples", self.min_samples)
        self._rows["min_samples"] = self.min_samples
        self.dbscan_backend = self._combo(
            "Run with", "dbscan_backend", _choices(catalogue.DBSCAN_BACKENDS), "Which library runs DBSCAN."
        )

        self.k_auto = QCheckBox("auto")
        self.k_auto.setToolTip("Try every k in the range and keep the best silhouette.")
        self.k = QSpinBox()
        self.k.setRange(1, K_LIMIT)
        k_row = QHBoxLayout()
        k_row.addWidget(self.k_auto)
        k_row.addWidget(self.k, 1)
        form.addRow("Clusters (k)", k_row)
        self._rows["k"] = k_row

        self.k_min = QSpinBox()
        self.k_max = QSpinBox()
        for box in (self.k_min, self.k_max):
            box.setRange(2, K_LIMIT)
        range_row = QHBoxLayout()
        range_row.addWidget(self.k_min, 1)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.k_max, 1)
        form.addRow("k range (auto)", range_row)
        self._rows["k_range"] = range_row

        self.detector = self._combo("Outliers", "detector", DETECTORS, "Outlier detector (PyOD).")
        self.contamination = QDoubleSpinBox()
        self.contamination.setRange(0.001, catalogue.PARAMETERS["contamination"].maximum)
        self.contamination.setDecimals(3)
        self.contamination.setSingleStep(0.01)
        self.contamination.setToolTip(
            "Expected share of outliers; sets the threshold (drag it in the Outliers view)."
        )
        form.addRow("Contamination", self.contamination)
        usable = available_layouts()
        layouts = [
            (c.label if c.value in usable else f"{c.label} (pip install umap-learn)", c.value, c.help)
            for c in catalogue.LAYOUTS
        ]
        self.layout_method = self._combo("Map", "layout", layouts, "How the items are laid out in 2-D.")
        for i, (_, name, _) in enumerate(layouts):
            self.layout_method.model().item(i).setEnabled(name in usable)

        self.random_state = QSpinBox()
        self.random_state.setRange(0, catalogue.MAX_SEED)
        self.random_state.setToolTip("Same seed, same input: same clusters and map.")
        form.addRow("Random seed", self.random_state)

        for box in self.findChildren(QComboBox):
            # Sized by a few characters, not by the longest entry: a long CSV-group label or column
            # name would otherwise widen the whole dock and squeeze the map (the list shows it all).
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(MIN_COMBO_CHARACTERS)
        self._show_spec()
        # Embedders are made for one modality: another modality starts from its default embedder.
        self.modality.currentIndexChanged.connect(
            lambda _: self._edit(modality=self.modality.currentData(), embedder=None)
        )
        self.embedder.currentIndexChanged.connect(lambda _: self._edit(embedder=self.embedder.currentData()))
        self.eps_auto.toggled.connect(self._on_eps_auto)
        self.eps.valueChanged.connect(lambda v: self._edit(eps=float(v)))
        self.min_samples.valueChanged.connect(lambda v: self._edit(min_samples=int(v) if v > 1 else None))
        self.contamination.valueChanged.connect(lambda v: self._edit(contamination=float(v)))
        # Typed names count when the user presses Enter or leaves the box, not at every keystroke.
        self.csv_group.activated.connect(lambda _: self._edit(csv_group=self.csv_group.currentData()))
        self.sheet.activated.connect(lambda _: self._edit(sheet=self.sheet.currentData()))
        self.label_column.activated.connect(self._on_label_column)
        self.label_column.lineEdit().editingFinished.connect(self._on_label_column)
        self.k_auto.toggled.connect(self._on_k_auto)
        self.k.valueChanged.connect(lambda v: self._edit(k=int(v)))
        self.k_min.valueChanged.connect(self._on_k_min)
        self.k_max.valueChanged.connect(self._on_k_max)
        self.random_state.valueChanged.connect(lambda v: self._edit(random_state=int(v)))

    def _combo(self, label: str, field: str, choices: Choices, tooltip: str) -> QComboBox:
        """A combo box bound by name to one Spec field: choosing an entry edits that field."""
        box = QComboBox()
        box.setToolTip(tooltip)
        for i, (text, value, tip) in enumerate(choices):
            box.addItem(text, value)
            if tip:
                box.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self._form.addRow(label, box)
        self._combos[field] = box
        self._rows[field] = box
        box.currentIndexChanged.connect(lambda _: self._edit(**{field: box.currentData()}))
        return box

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
        self.set_modalities(collection.kinds())
        self.set_label_choices(_label_candidates(collection.csv_files.values()))
        self.set_csv_groups([g for g in collection.groups if g.modality == result.modality])
        self.set_sheets(list(collection.csv_files.values()))
        self.set_embedders(result.modality, result.embedder)
        if self._spec.k is None:
            with QSignalBlocker(self.k):
                self.k.setValue(max(self.k.minimum(), result.n_clusters))  # greyed out: the k auto chose
        eps_used = result.clustering.info.get("eps")
        if self._spec.eps is None and isinstance(eps_used, float):
            with QSignalBlocker(self.eps):
                self.eps.setValue(eps_used)  # greyed out, but shows the radius the knee gave

    def set_embedders(self, modality: str, used: str | None = None) -> None:
        """Offer the embedders of ``modality``, each marked when its model is missing."""
        from engine.embed import default_embedder, list_embedders

        default, chosen = default_embedder(modality), self._spec.embedder
        shown, why = default, ""
        if used is not None and chosen is None and used != default:  # the collection's own default
            shown = used
            why = f"The default for {modality} is {default}; this collection got {used} (see the Summary)."
        elif used is not None and chosen is not None and used != chosen:
            why = f"{chosen} could not run; {used} was used instead."
        with QSignalBlocker(self.embedder):
            self.embedder.clear()
            self.embedder.addItem(f"{DEFAULT}: {shown}", None)
            for embedder in list_embedders(modality):
                ready = embedder.readiness().ready
                self.embedder.addItem(embedder.name + ("" if ready else " (model missing)"), embedder.name)
        self.embedder.setToolTip(f"{EMBEDDER_HELP}\n\n{why}" if why else EMBEDDER_HELP)
        self._show_spec()

    def set_modalities(self, counts: dict[str, int]) -> None:
        """Fill the modality list with those found (most common first), keeping ``auto``, which
        names the kind it takes, the most common ("(auto): table"), as the embedder box names its
        default."""
        ordered = sorted(counts.items(), key=lambda kv: -kv[1])
        with QSignalBlocker(self.modality):
            self.modality.clear()
            self.modality.addItem(f"{AUTO}: {ordered[0][0]}" if ordered else AUTO, None)
            for name, count in ordered:
                self.modality.addItem(f"{name} ({count})", name)
        self._show_spec()

    def set_label_choices(self, names: Iterable[str]) -> None:
        """Suggest column names in the label-column box (the user may still type any name)."""
        with QSignalBlocker(self.label_column):
            self.label_column.clear()
            self.label_column.addItems([AUTO, NONE, *names])
        self._show_spec()

    def set_csv_groups(self, groups: list[CsvGroup]) -> None:
        """Offer the kinds of CSV file found (the row appears only when there are two or more)."""
        with QSignalBlocker(self.csv_group):
            self.csv_group.clear()
            for group in groups:
                self.csv_group.addItem(group.label, group.key)
                self.csv_group.setItemData(
                    self.csv_group.count() - 1, group.label, Qt.ItemDataRole.ToolTipRole
                )
                if group.analysed:
                    self.csv_group.setCurrentIndex(self.csv_group.count() - 1)
        self._form.setRowVisible(self.csv_group, len(groups) > 1)

    def set_sheets(self, files: list[CsvFile]) -> None:
        """Offer the sheets of the spreadsheets read (the row appears only when there are two or more)."""
        names = list(dict.fromkeys(name for file in files for name in file.sheets))
        read = next((file.sheet for file in files if file.sheet), None)
        with QSignalBlocker(self.sheet):
            self.sheet.clear()
            for name in names:
                self.sheet.addItem(name, name)
            if read in names:
                self.sheet.setCurrentIndex(names.index(read))
        self._form.setRowVisible(self.sheet, len(names) > 1)

    def edit(self, **changes: Any) -> None:
        """Change Spec fields from elsewhere (a view), show them, and announce the new Spec."""
        self._edit(**changes)
        self._show_spec()

    def _edit(self, **changes: Any) -> None:
        new = self._spec.replace(**changes)
        if "edits" not in changes and stage_key(new, "cluster") != stage_key(self._spec, "cluster"):
            new = new.replace(edits=())  # new clusters: hand edits made on the old ones mean nothing
        try:  # the catalogue's check, as on the command line; the widgets' ranges rarely let it fail
            catalogue.check_options({name: getattr(new, name) for name in (*changes, "k_min", "k_max")})
        except catalogue.OptionError as error:
            self.setToolTip(str(error))
            self._show_spec()
            return
        self.setToolTip("")
        if new != self._spec:
            self._spec = new
            self.spec_changed.emit(new)

    def _on_label_column(self, *_: object) -> None:
        self._edit(label_column=_label_value(self.label_column.currentText()))

    def _on_k_auto(self, auto: bool) -> None:
        self._enable_k_widgets(auto)
        self._edit(k=None if auto else int(self.k.value()))

    def _on_eps_auto(self, auto: bool) -> None:
        self.eps.setEnabled(not auto)
        self._edit(eps=None if auto else float(self.eps.value()))

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
            self.label_column,
            self.embedder,
            self.k_auto,
            self.k,
            self.k_min,
            self.k_max,
            self.eps_auto,
            self.eps,
            self.min_samples,
            self.contamination,
            self.random_state,
            *self._combos.values(),
        )
        blockers = [QSignalBlocker(w) for w in widgets]
        try:
            index = self.modality.findData(spec.modality)
            if index < 0:  # a modality not (yet) seen: offer it so the Spec stays visible
                self.modality.addItem(str(spec.modality), spec.modality)
                index = self.modality.count() - 1
            self.modality.setCurrentIndex(index)
            for field, box in self._combos.items():
                box.setCurrentIndex(max(0, box.findData(getattr(spec, field))))
            self.label_column.setCurrentText(_label_text(spec.label_column))
            index = self.embedder.findData(spec.embedder)
            if index < 0:
                self.embedder.addItem(str(spec.embedder), spec.embedder)
                index = self.embedder.count() - 1
            self.embedder.setCurrentIndex(index)
            self.k_auto.setChecked(spec.k is None)
            if spec.k is not None:
                self.k.setValue(spec.k)
            elif self.k.value() < 2:
                self.k.setValue(3)
            self.k_min.setValue(spec.k_min)
            self.k_max.setValue(spec.k_max)
            self.random_state.setValue(spec.random_state)
            self._enable_k_widgets(spec.k is None)
            self.eps_auto.setChecked(spec.eps is None)
            if spec.eps is not None:
                self.eps.setValue(spec.eps)
            self.eps.setEnabled(spec.eps is not None)
            self.min_samples.setValue(spec.min_samples or 1)
            self.contamination.setValue(spec.contamination)
            self.contamination.setEnabled(spec.detector is not None)
            self._form.setRowVisible(self.contamination, spec.detector is not None)
            for field, algorithms in ROWS_FOR.items():
                self._form.setRowVisible(self._rows[field], spec.algorithm in algorithms)
        finally:
            for blocker in blockers:
                blocker.unblock()
