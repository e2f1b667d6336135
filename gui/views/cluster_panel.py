"""The cluster panel: a list of clusters (colour, name, size, share of outliers, mean silhouette, a
checkbox that shows or hides the cluster on the map) above the member view of the chosen clusters.

Everything goes through the window's :class:`gui.view_state.ViewState`: renaming writes the state's
name, the checkbox its hidden set, and choosing clusters or members selects their items, so the
map, the dendrogram and every other view follow. A selection made elsewhere (a lasso on the map)
shows in the member view.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.members import ClusterSummary, cluster_summaries
from engine.similar import query_words
from engine.thumbnails import ThumbnailCache
from gui import hand_edits
from gui.views.members import MemberView

if TYPE_CHECKING:
    from engine.pipeline import Result
    from gui.view_state import ViewState

KeywordSource = Callable[["Result", int], list[str]]
"""``(result, cluster) -> keywords``: where the panel learns a cluster's keywords."""

COLUMNS = ["Cluster", "Size", "Outliers", "Silhouette"]
_CLUSTER_ROLE = Qt.ItemDataRole.UserRole + 10


def result_keywords(result: Result, cluster: int) -> list[str]:
    """The default keyword source: the words naming found for the cluster (``Result.names``), else
    none (documents are then shown without highlights)."""
    return next((list(entry.keywords) for entry in result.names if entry.cluster == cluster), [])


LIST_ROWS = 8
"""Clusters the list makes room for before it scrolls."""
LIST_SHARE = 0.45
"""The most of the panel's height the list takes, leaving the rest to the members."""


class ClusterPanel(QWidget):
    """Clusters above, members below; both read and write the shared view state."""

    item_activated = Signal(int)
    """A member was double-clicked (row index): the window opens its file."""
    play_requested = Signal(int)
    """An audio member's play button was clicked (row index): the window plays it."""

    def __init__(
        self,
        state: ViewState,
        cache: ThumbnailCache | None = None,
        keywords: KeywordSource = result_keywords,
        edit: hand_edits.Apply | None = None,
    ) -> None:
        """``edit`` sets the settings' hand edits; without it the list offers none."""
        super().__init__()
        self.state = state
        self.edit = edit
        self.result: Result | None = None
        self.keywords_source = keywords
        self.summaries: list[ClusterSummary] = []
        self._filling = False

        self.clusters = QTableWidget(0, len(COLUMNS))
        self.clusters.setHorizontalHeaderLabels(COLUMNS)
        self.clusters.verticalHeader().hide()
        self.clusters.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.clusters.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        header = self.clusters.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.clusters.horizontalHeaderItem(0).setToolTip(
            "Tick to show on the map; double-click the name to rename"
        )
        self.clusters.horizontalHeaderItem(2).setToolTip(
            "Share of the cluster's items above the outlier threshold"
        )
        self.clusters.horizontalHeaderItem(3).setToolTip("Mean silhouette of the cluster's items (1 is best)")
        self.clusters.itemChanged.connect(self._on_item_changed)
        self.clusters.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.clusters.customContextMenuRequested.connect(self._context_menu)
        self.clusters.itemSelectionChanged.connect(self._on_clusters_chosen)

        self.setMinimumWidth(300)  # room for a name beside size, outlier share and silhouette
        self.members = MemberView(state, cache)
        self.members.item_activated.connect(self.item_activated)
        self.members.play_requested.connect(self.play_requested)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.clusters)
        self.splitter.addWidget(self.members)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([140, 460])  # a few clusters above, most of the room for their members
        self._fitted_rows = -1
        self.playing: object = None
        """What selects each clip of a cluster being played (the window's Item dock): the clips of
        the chosen clusters it selects leave the list's choice and the members as they are."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        state.reset.connect(lambda: self.set_result(state.result))
        state.labels_changed.connect(self._on_labels_changed)
        state.clusters_changed.connect(self._on_clusters_changed)
        state.hidden_changed.connect(self._sync_checks)
        state.threshold_changed.connect(lambda *_a: self._fill_clusters())
        state.selection_changed.connect(self._on_selection)
        state.focus_changed.connect(self._on_focus)

    # ---- content ------------------------------------------------------------------------------
    def set_result(self, result: Result | None) -> None:
        """Show a result's clusters; the member view starts with the state's selection, if any."""
        if result is None or self.result is None or not np.array_equal(result.labels, self.result.labels):
            self.clusters.clearSelection()  # cluster ids of other clusters: the choice meant the old ones
        self.result = result
        self.members.set_result(result)
        self._fill_clusters()
        self._fit_list()
        if len(self.state.selected):
            self._on_selection(self.state.selected, None)

    def set_keywords_source(self, source: KeywordSource) -> None:
        """Where keywords come from (a naming module); documents highlight them."""
        self.keywords_source = source
        self._on_clusters_chosen()

    def keywords_for(self, clusters: list[int]) -> list[str]:
        """The chosen clusters' keywords, through the one keyword source."""
        if self.result is None:
            return []
        words: list[str] = []
        for cluster in clusters:
            words += [w for w in self.keywords_source(self.result, cluster) if w not in words]
        return words

    def _fill_clusters(self) -> None:
        chosen = self.chosen_clusters()
        self._filling = True
        self.clusters.clearContents()
        self.summaries = [] if self.result is None else self._summaries()
        self.clusters.setRowCount(len(self.summaries))
        for position, summary in enumerate(self.summaries):
            self._fill_row(position, summary)
        self._filling = False
        self._choose(chosen)

    def _fit_list(self) -> None:
        """Give the list room for up to :data:`LIST_ROWS` clusters, at most :data:`LIST_SHARE` of the panel.

        With a fixed 140 px a laptop showed 4 of 6 clusters above an empty member area. Fitted when
        the number of clusters changes (or the panel first gets a size, when a result came while it
        was hidden), so a splitter the user dragged stays where it was otherwise.
        """
        rows = self.clusters.rowCount()
        total = sum(self.splitter.sizes())
        if rows == self._fitted_rows or total <= 0:
            return
        self._fitted_rows = rows
        shown = sum(self.clusters.rowHeight(r) for r in range(min(rows, LIST_ROWS)))
        frame = 2 * self.clusters.frameWidth() + self.clusters.horizontalHeader().height()
        height = int(min(max(shown + frame, 140), LIST_SHARE * total))
        self.splitter.setSizes([height, total - height])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_list()

    def _summaries(self) -> list[ClusterSummary]:
        labels = self.state.labels
        silhouettes = self.result.silhouettes
        same_labels = np.array_equal(labels, self.result.labels)  # silhouettes belong to the run's labels
        use = silhouettes is not None and same_labels
        return cluster_summaries(
            labels,
            self.state.outlier_flags(),
            silhouettes.rows if use else None,
            silhouettes.values if use else None,
        )

    def _fill_row(self, position: int, summary: ClusterSummary) -> None:
        cluster = summary.cluster
        name = QTableWidgetItem(self.state.name_of(cluster))
        swatch = QPixmap(12, 12)
        swatch.fill(QColor(*self.state.colour_of(cluster)))
        icon = QIcon(swatch)
        icon.addPixmap(swatch, QIcon.Mode.Selected)  # the style would tint it with the highlight
        name.setIcon(icon)
        name.setData(_CLUSTER_ROLE, cluster)
        name.setFlags(name.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
        visible = cluster not in self.state.hidden
        name.setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
        name.setToolTip("Tick to show on the map; double-click to rename")
        cells = [
            name,
            _number(str(summary.size), summary.size),
            _number(
                "–" if summary.outlier_share is None else f"{summary.outlier_share:.0%}",
                summary.outlier_share,
            ),
            _number("–" if summary.silhouette is None else f"{summary.silhouette:.2f}", summary.silhouette),
        ]
        for column, cell in enumerate(cells):
            if column:
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.clusters.setItem(position, column, cell)

    # ---- choosing -----------------------------------------------------------------------------
    def chosen_clusters(self) -> list[int]:
        rows = sorted({index.row() for index in self.clusters.selectionModel().selectedRows()})
        return [self.summaries[r].cluster for r in rows if r < len(self.summaries)]

    def choose(self, clusters: list[int]) -> None:
        """Choose clusters in the list (as a click would): their members show below."""
        self._choose(clusters)
        self._on_clusters_chosen()

    def _choose(self, clusters: list[int]) -> None:
        was = self.clusters.blockSignals(True)
        self.clusters.clearSelection()
        mode = self.clusters.selectionMode()
        self.clusters.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for position, summary in enumerate(self.summaries):
            if summary.cluster in clusters:
                self.clusters.selectRow(position)
        self.clusters.setSelectionMode(mode)
        self.clusters.blockSignals(was)

    def _on_clusters_chosen(self) -> None:
        clusters = self.chosen_clusters()
        self.state.set_focused(clusters, self)  # the other views bring them forward
        if self.result is None or not clusters:
            return
        rows = np.flatnonzero(np.isin(self.state.labels, clusters))
        self.members.set_keywords(self.keywords_for(clusters))
        self.members.show_rows(rows, self._title(clusters, len(rows)))

    def _title(self, clusters: list[int], count: int) -> str:
        return f"<b>{html.escape(', '.join(self.state.name_of(c) for c in clusters))}</b>: {count} items"

    def _on_labels_changed(self, _labels: np.ndarray, _source: object) -> None:
        """A moved dendrogram cut: new clusters under the same ids; show the chosen ids' new members."""
        self._fill_clusters()
        self._on_clusters_chosen()

    def _on_selection(self, indices: np.ndarray, source: object) -> None:
        if source is self.members or self.result is None:
            return
        chosen = self.chosen_clusters()
        if source is self.playing and chosen and np.isin(self.state.labels[indices], chosen).all():
            return  # a clip of the chosen clusters being played: they stay listed
        if len(indices):
            was = self.clusters.blockSignals(True)
            self.clusters.clearSelection()
            self.clusters.blockSignals(was)
            self.state.set_focused((), self)
            clusters = sorted(set(self.state.labels[indices].tolist()))
            typed = query_words(self.state.search)  # a typed query marks its own words
            self.members.set_keywords(typed or self.keywords_for(clusters))
            self.members.show_rows(np.asarray(indices), f"<b>Selection</b>: {len(indices)} items")
        elif not chosen:
            self.members.show_rows(np.zeros(0, dtype=np.intp), "")

    def _on_focus(self, focused: frozenset[int], source: object) -> None:
        """Another view let go of the chosen clusters (a click on the map's empty space, Esc)."""
        if source is self or focused == frozenset(self.chosen_clusters()):
            return
        self._choose(sorted(focused))
        if focused:
            self._on_clusters_chosen()
        elif not len(self.state.selected):
            self.members.show_rows(np.zeros(0, dtype=np.intp), "")

    # ---- editing ------------------------------------------------------------------------------
    def edit_menu(self, position: QPoint) -> QMenu:
        """The list's right-click menu at ``position``: merge the chosen clusters, move the selection."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        row = self.clusters.rowAt(position.y())
        under = self.summaries[row].cluster if 0 <= row < len(self.summaries) else None
        if self.edit is not None:
            hand_edits.fill_menu(menu, self.state, self.chosen_clusters(), under, self.edit)
        return menu

    def _context_menu(self, position: QPoint) -> None:
        menu = self.edit_menu(position)
        if menu.actions():
            menu.popup(self.clusters.viewport().mapToGlobal(position))
        else:
            menu.close()

    def _on_item_changed(self, cell: QTableWidgetItem) -> None:
        if self._filling or cell.column() != 0:
            return
        cluster = int(cell.data(_CLUSTER_ROLE))
        visible = cell.checkState() == Qt.CheckState.Checked
        if visible == (cluster in self.state.hidden):
            self.state.set_cluster_visible(cluster, visible, source=self)
        if cell.text().strip() != self.state.name_of(cluster):
            self.state.rename(cluster, cell.text(), source=self)
            self._filling = True
            cell.setText(self.state.name_of(cluster))  # an empty name goes back to the default
            self._filling = False

    def _sync_checks(self, hidden: frozenset[int], source: object) -> None:
        self._filling = True
        for position, summary in enumerate(self.summaries):
            shown = summary.cluster not in hidden
            self.clusters.item(position, 0).setCheckState(
                Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked
            )
        self._filling = False

    def _on_clusters_changed(self, source: object) -> None:
        if source is not self:
            self._fill_clusters()
        clusters = self.chosen_clusters()
        if clusters:  # a renamed cluster: the member view's title follows, its scroll position stays
            self.members.title.setText(self._title(clusters, len(self.members.rows)))


def _number(text: str, value: float | None) -> QTableWidgetItem:
    """A right-aligned cell that sorts by its value."""
    cell = QTableWidgetItem(text)
    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if value is not None:
        cell.setData(Qt.ItemDataRole.UserRole, float(value))
    return cell
