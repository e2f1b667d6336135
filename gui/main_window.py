"""The main window: drop zone and scatter in the middle, docks for settings, problems, summary, k.

It wires views to the worker and nothing more: every number comes from an engine ``Result``.
Only light modules are imported here (Qt, pyqtgraph, numpy, the engine's dataclasses), so the
window opens fast; the engine process (see gui.worker) imports the heavy engine stages.
"""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from engine.pipeline import Spec
from gui.analysis_docks import AnalysisDocks
from gui.exports import ExportActions
from gui.help_dialogs import show_about, show_guide, show_shortcuts
from gui.item_dock import ItemDock
from gui.opening import OpeningInput
from gui.project import ProjectController
from gui.recent import RecentInputs
from gui.recovery import Recovery, recovery_folder
from gui.run_status import RunStatus, finished_text
from gui.settings_panel import SettingsPanel
from gui.settings_store import RememberedSettings, default_values
from gui.shown_state import spec_changes, window_title
from gui.tools_menu import ToolActions
from gui.view_state import ViewState
from gui.views.cluster_panel import ClusterPanel
from gui.views.k_curve import KCurveView
from gui.views.metrics import MetricsView
from gui.views.problems import ProblemsView
from gui.views.scatter import ScatterView
from gui.worker import PipelineWorker, RunFn

if TYPE_CHECKING:
    from engine.pipeline import Result

RERUN_DELAY_MS = 300
"""A burst of setting edits (typing a number, spinning a box) causes one re-run, not many."""


class MainWindow(OpeningInput, QMainWindow):
    """One analysis at a time: the input paths and settings live in the settings panel's Spec."""

    result_shown = Signal(object)
    """Emitted after a new Result has been put into every view."""

    def __init__(self, settings: QSettings | None = None, run_fn: RunFn | None = None) -> None:
        super().__init__()
        self.setWindowTitle("DataMining6")
        self.setAcceptDrops(True)
        self._fit_to_screen()
        self.settings = settings
        self.result: Result | None = None
        self.worker = PipelineWorker(run_fn, self)

        self.drop_hint = QLabel()
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.drop_hint.linkActivated.connect(self.open_start_link)
        self.recent_inputs = RecentInputs(settings)
        self.view_state = ViewState(self)
        """What every view shows: selection, hover, hidden clusters, names, the outlier threshold."""
        self.scatter = ScatterView(self.view_state)
        self.scatter.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.central = QStackedWidget()
        self.central.addWidget(self.drop_hint)
        self.central.addWidget(self.scatter)
        self.setCentralWidget(self.central)

        self.remembered = RememberedSettings(settings)
        """Method settings and embedders per modality, kept between launches."""
        self.settings_panel = SettingsPanel(self.remembered.spec())
        self.problems = ProblemsView()
        self.metrics = MetricsView()
        self.k_curve = KCurveView()
        self.settings_dock = self._dock("Settings", self.settings_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.summary_dock = self._dock("Summary", self.metrics, Qt.DockWidgetArea.RightDockWidgetArea)
        self.cluster_panel = ClusterPanel(self.view_state, edit=lambda e: self.settings_panel.edit(edits=e))
        self.scatter.edit = self.cluster_panel.edit  # the map's right-click offers the same hand edits
        self.clusters_dock = self._dock("Clusters", self.cluster_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.k_curve_dock = self._dock("Choosing k", self.k_curve, Qt.DockWidgetArea.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.analysis = AnalysisDocks(self, self.view_state, self.settings_panel, self.problems_dock)
        # One right column of tabs, the cluster panel first: it needs the height for its members.
        # The DBSCAN radius is that method's "Choosing k"; both show only for results that have them.
        side = (self.summary_dock, self.k_curve_dock, self.analysis.k_distance_dock)
        for dock in (*side, *self.analysis.docks[:3]):
            self.tabifyDockWidget(self.clusters_dock if dock in side else self.problems_dock, dock)
        self.clusters_dock.raise_()
        self.problems_dock.raise_()
        self.k_curve_dock.hide()
        self.analysis.k_distance_dock.hide()
        self.cluster_panel.item_activated.connect(self.analysis.open_item)
        self.item = ItemDock(self, self.view_state, self.scatter)
        self.tabifyDockWidget(self.problems_dock, self.item.dock)
        self.cluster_panel.playing = self.item  # the clips a playing cluster reaches keep it chosen
        self.cluster_panel.play_requested.connect(self.item.play_row)
        # Give the map most of the room; docks start narrow and the user can widen them.
        self.resizeDocks([self.settings_dock, self.clusters_dock], [260, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [170], Qt.Orientation.Vertical)
        self._build_status_bar()
        self._build_menus()

        self._view_steps: deque[Callable[[], None]] = deque()
        """What is left of showing a result (see :meth:`_show_result`); a newer result clears it."""
        self._step_timer = QTimer(self, singleShot=True, interval=0)
        self._step_timer.timeout.connect(self._next_view_step)
        self._rerun_timer = QTimer(self)
        self._rerun_timer.setSingleShot(True)
        self._rerun_timer.setInterval(RERUN_DELAY_MS)
        self._rerun_timer.timeout.connect(self.run_now)
        self.settings_panel.spec_changed.connect(self._on_spec_changed)
        for changed in (
            self.view_state.selection_changed,
            self.view_state.focus_changed,
            self.view_state.reset,
        ):
            changed.connect(self._show_selected)
        self.problems.count_changed.connect(self._on_problem_count)
        self.worker.started.connect(self._on_started)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self._on_problem_count(0)
        self._restore_layout()
        self.show_start_page()

    # ---- building -------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "") + "Dock")  # for saveState / restoreState
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _fit_to_screen(self) -> None:
        """Start large enough for the map and both side docks: most of the screen, at most 1600 x 1000."""
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        if room is None or room.width() < 800:
            self.resize(1200, 800)
            return
        self.resize(min(1600, int(room.width() * 0.94)), min(1000, int(room.height() * 0.92)))

    def _build_status_bar(self) -> None:
        self.status = status = RunStatus(self.statusBar())
        # The widgets by their old names: tests and the flow below read them.
        self.stage_label, self.progress_bar = status.stage_label, status.progress_bar
        self.cancel_button, self.run_button = status.cancel_button, status.run_button
        self.selection_label, self.pending_label = status.selection_label, status.pending_label
        self.cancel_button.clicked.connect(self.cancel)
        self.run_button.clicked.connect(self.run_now)
        self.pending_label.linkActivated.connect(self._on_pending_link)
        # One Esc for the window: stop a run, else let go of the selection, then of the chosen clusters.
        self.escape_action = QAction("Cancel or clear selection", self, shortcut=QKeySequence("Esc"))
        self.escape_action.triggered.connect(self._escape)
        self.addAction(self.escape_action)

    def _build_menus(self) -> None:
        self.project = ProjectController(self, self.settings)
        """The project file: open, save, recent, unsaved changes and the title."""
        self.project.changed.connect(self._show_honest_state)
        self.recovery = Recovery(self, recovery_folder(self.settings))  # unsaved work kept for a crash
        self.exports = ExportActions(self)
        file_menu = self.menuBar().addMenu("&File")
        self.open_folder_action = QAction("Open &folder…", self, shortcut=QKeySequence("Ctrl+Shift+O"))
        self.open_folder_action.triggered.connect(self._ask_folder)
        self.open_files_action = QAction("Open f&iles…", self, shortcut=QKeySequence("Ctrl+Alt+O"))
        self.open_files_action.triggered.connect(self._ask_files)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.project.open_action)
        file_menu.addMenu(self.project.recent_menu)
        file_menu.addActions([self.project.save_action, self.project.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.open_folder_action, self.open_files_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.exports.fill_menu(self.menuBar().addMenu("&Export"))
        view_menu = self.menuBar().addMenu("&View")
        docks = [self.settings_dock, self.summary_dock, self.clusters_dock, self.k_curve_dock]
        docks.append(self.problems_dock)
        for dock in docks + self.analysis.docks + [self.item.dock]:
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        self.restore_defaults_action = QAction("Restore &default settings", self)
        self.restore_defaults_action.setToolTip(
            "Method, k, outliers, map and embedders back to their defaults."
        )
        self.restore_defaults_action.triggered.connect(self.restore_default_settings)
        view_menu.addAction(self.restore_defaults_action)
        self.tools = ToolActions(self)
        self.tools.fill_menu(self.menuBar().addMenu("&Tools"))
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self, shortcut=QKeySequence("Ctrl+/"))
        self.shortcuts_action.triggered.connect(lambda: show_shortcuts(self))
        self.about_action = QAction("&About DataMining6", self)
        self.about_action.triggered.connect(lambda: show_about(self, self.settings))
        guide = QAction("&Quick guide", self, shortcut=QKeySequence.StandardKey.HelpContents)
        guide.triggered.connect(lambda: show_guide(self))
        help_menu.addActions([guide, self.shortcuts_action, self.about_action])

    def restore_default_settings(self) -> None:
        """Method, k, detector, map and embedders back to the catalogue's defaults (re-runs if needed)."""
        self.remembered.forget()
        self.settings_panel.edit(**default_values(), embedder=None)

    def rerun_soon(self) -> None:
        """Re-run after the settings have been quiet a moment (models or settings changed)."""
        self._rerun_timer.start()

    # ---- running ----------------------------------------------------------------------------
    def run_now(self) -> None:
        """Run the panel's Spec now, reusing the stages of the last result that did not change."""
        self._rerun_timer.stop()
        spec = self.settings_panel.spec
        if spec.paths:
            self.worker.start(spec, previous=self.result)

    def cancel(self) -> None:
        """Stop the running analysis; the last result stays on screen."""
        self._rerun_timer.stop()
        if self.worker.running:
            self.worker.cancel()
            self.status.cancelling()
        self._show_honest_state()

    def _escape(self) -> None:
        if self.worker.running or self._rerun_timer.isActive():
            self.cancel()
        elif len(self.view_state.selected):
            self.view_state.select([], source=self)
        else:
            self.view_state.set_focused((), self)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        # Enter reaches the window only when the focused widget (a spin box, the map) ignores it.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.run_now()
            return
        super().keyPressEvent(event)

    def _on_spec_changed(self, spec: Spec) -> None:
        shown = self.result.modality if self.result is not None else None
        # The embedder is remembered for the modality it embeds: not while another one is chosen.
        self.remembered.remember(spec, shown if (spec.modality or shown) == shown else None)
        if spec.paths:
            self._rerun_timer.start()
        self._show_honest_state()

    def _on_started(self) -> None:
        self.status.started()
        self._show_honest_state()

    def _show_honest_state(self) -> None:
        """Make the title, the map and the status bar say what is on screen and what is not run yet.

        While a run goes on, the previous map is dimmed; when idle, settings that differ from the
        shown result's are listed as not run (with Run and Revert), so that nothing pretends.
        """
        shown, spec, running = self.result, self.settings_panel.spec, self.worker.running
        title = window_title(shown.spec if shown is not None else None, spec, running)
        self.setWindowTitle(self.project.title(title))
        self.scatter.set_stale(running and shown is not None)
        idle = not running and not self._rerun_timer.isActive()
        changes = spec_changes(shown.spec, spec) if idle and shown is not None else []
        self.status.show_pending(
            f"Not run yet: {html.escape('; '.join(changes))} — "
            "<a href='run'>Run</a> (Enter) · <a href='revert'>Revert</a>"
            if changes
            else None
        )

    def _on_pending_link(self, link: str) -> None:
        if link == "run":
            self.run_now()
        elif self.result is not None:
            self.settings_panel.set_spec(self.result.spec)
            self._show_honest_state()

    def _show_selected(self, *_changed: object) -> None:
        state = self.view_state
        self.status.show_selected(len(state.selected), [state.name_of(c) for c in sorted(state.focused)])

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self.status.progressed(stage, done, total)

    def _on_finished(self, result: Result) -> None:
        self.remember_input(result)
        self.show_result(result, finished_text(result))
        self._use_remembered_embedder(result)

    def show_result(self, result: Result, status: str, at_once: bool = False) -> None:
        """Show a result (from a run or a project file) in every view; ``status`` for the status bar.

        The map comes first and the other views follow one per turn of the event loop, so that a
        large result never holds the window in one piece; ``result_shown`` says when all have it.
        ``at_once`` fills every view before returning (a project applies its saved view state next).
        """
        self._idle(status)

        def shown() -> None:
            self._show_honest_state()
            self.result_shown.emit(result)

        if at_once:
            self._show_result(result)
            shown()
        else:
            self._show_result(result, then=shown)

    def _use_remembered_embedder(self, result: Result) -> None:
        """A new input's modality is known only now: re-embed with the embedder chosen for it last."""
        wanted = self.remembered.embedder_for(result.modality)
        if self.settings_panel.spec.embedder is None and wanted not in (None, result.embedder):
            self.settings_panel.edit(embedder=wanted)

    def _show_result(self, result: Result | None, then: Callable[[], None] | None = None) -> None:
        """Put a result into every view; None empties them and shows the drop hint.

        With ``then``, the views after the map are filled one per turn of the event loop and
        ``then`` runs after the last; without it, all at once (as tests that look straight away need).
        """
        self._view_steps.clear()
        self.result = result
        self.view_state.reset_for(result)
        self.metrics.set_result(result)
        if result is None:
            self.scatter.clear()
            self.problems.set_problems([])
            self.k_curve.set_curve(None)
            self.k_curve_dock.hide()
            self.analysis.set_result(None)
            self.item.set_result(None)
            self.show_start_page()
            self.central.setCurrentWidget(self.drop_hint)
            return
        self.scatter.set_result(result)
        self.central.setCurrentWidget(self.scatter)
        steps = [
            lambda: self.problems.set_problems(result.problems),
            lambda: self.settings_panel.set_result(result),
            lambda: self.k_curve.set_curve(result.k_curve),
            lambda: self.k_curve_dock.setVisible(result.k_curve is not None),
            lambda: self.analysis.set_result(result),
            lambda: self.item.set_result(result),
        ]
        if then is None:
            for step in steps:
                step()
            return
        self._view_steps.extend([*steps, then])
        self._step_timer.start()

    def _next_view_step(self) -> None:
        if self._view_steps:
            self._view_steps.popleft()()
        if self._view_steps:
            self._step_timer.start()

    def _on_failed(self, message: str, problems: list) -> None:
        self._idle(message)
        self.stage_label.setToolTip(message)
        if self.result is None or self.result.spec.paths != self.settings_panel.spec.paths:
            # The input itself failed: do not leave the previous input's map on screen.
            self._show_result(None)
            self.show_start_page(message)
        self.problems.set_problems(problems)
        self._show_honest_state()

    def _on_cancelled(self) -> None:
        self._idle("Cancelled")
        self._show_honest_state()

    def _idle(self, text: str) -> None:
        self.status.idle(text)

    def _on_problem_count(self, _count: int) -> None:
        self.problems_dock.setWindowTitle(self.problems.title())

    # ---- lifetime ---------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        if self.settings is None:
            return
        for key, restore in (("window/geometry", self.restoreGeometry), ("window/state", self.restoreState)):
            if self.settings.value(key) is not None:
                restore(self.settings.value(key))
        self.k_curve_dock.hide()  # shown again only when a result has a k curve

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self.project.maybe_save():
            event.ignore()
            return
        self.recovery.close()
        self._rerun_timer.stop()
        self._step_timer.stop()
        self._view_steps.clear()
        self.worker.shutdown(timeout_ms=5000)
        self.item.shutdown()
        if self.settings is not None:
            self.settings.setValue("window/geometry", self.saveGeometry())
            self.settings.setValue("window/state", self.saveState())
        super().closeEvent(event)
