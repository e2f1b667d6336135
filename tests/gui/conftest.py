"""GUI tests run offscreen; results are built by hand so views are tested without the engine."""

from __future__ import annotations

import dataclasses
import gc
import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt

from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from engine.cluster import Clustering  # noqa: E402
from engine.items import Collection, Item, Problem  # noqa: E402
from engine.metrics import silhouettes  # noqa: E402
from engine.pipeline import Result, Spec  # noqa: E402
from engine.thumbnails import ThumbnailCache  # noqa: E402
from gui.view_state import ViewState  # noqa: E402
from gui.views.cluster_panel import ClusterPanel  # noqa: E402


class FakeKCurve:
    """Stands in for the engine's k-curve object (only the attributes the view reads)."""

    def __init__(self) -> None:
        self.ks = [2, 3, 4, 5]
        self.inertia = [90.0, 30.0, 25.0, 22.0]
        self.silhouette = [0.5, 0.8, 0.6, None]
        self.best_k = 3
        self.elbow_k = 3


def build_result(
    n: int = 90,
    k: int = 3,
    noise: int = 0,
    with_labels: bool = True,
    problems: list[Problem] | None = None,
    k_curve: object | None = None,
    seed: int = 0,
    silhouette: bool = True,
) -> Result:
    """A Result of ``n`` table rows in ``k`` well separated blobs, plus ``noise`` noise points."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % k
    labels[:noise] = -1
    centres = np.array(
        [[10.0 * np.cos(a), 10.0 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, k, endpoint=False)]
    )
    coords = (centres[np.maximum(labels, 0)] + rng.normal(scale=0.5, size=(n, 2))).astype(np.float32)
    path = Path("/data/blobs.csv")
    items = [
        Item(id=i, path=path, modality="table", label=f"class{labels[i]}" if with_labels else None, row=i)
        for i in range(n)
    ]
    collection = Collection(items=items, problems=list(problems or []), notes=["blobs.csv: read as a table"])
    return Result(
        spec=Spec(paths=(str(path.parent),)),
        collection=collection,
        analysed=collection,
        modality="table",
        embedder="standardize",
        embeddings=coords.copy(),
        clustering=Clustering(labels=labels, curve=k_curve),
        coords=coords,
        metrics={"n_items": float(n), "n_clusters": float(k), "silhouette": 0.81, "ari": 1.0},
        silhouettes=silhouettes(coords, labels) if silhouette else None,
        timings={"cluster": 0.01},
    )


@pytest.fixture(scope="session", autouse=True)
def gui_thread_garbage_collection(qapp):
    """As in the app: cycles are collected on the GUI thread only, never on a worker thread."""
    from gui.app import collect_garbage_on_gui_thread

    collect_garbage_on_gui_thread()
    yield
    gc.collect()


@pytest.fixture(scope="module")
def blobs_result(tmp_path_factory) -> Result:
    """A real result: 60 table rows in three blobs, K-Means k=3, Isolation Forest outliers."""
    from engine.pipeline import run

    folder = tmp_path_factory.mktemp("input")
    rng = np.random.default_rng(0)
    centres = np.repeat([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]], 20, axis=0)
    values = centres + rng.normal(scale=0.5, size=centres.shape)
    lines = ["a,b,class"] + [f"{x:.4f},{y:.4f},c{i // 20}" for i, (x, y) in enumerate(values)]
    (folder / "blobs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run(Spec(paths=(str(folder),), k=3, detector="iforest"))


@pytest.fixture
def make_result() -> Callable[..., Result]:
    return build_result


def settle_map(view) -> None:
    """Let a map finish laying out (its axes resize after a range change) before points are mapped
    to the screen or clicked."""
    last = None
    for _ in range(50):
        QApplication.processEvents()
        now = view.scene_pos_of(0).toPoint()
        if now == last:
            return
        last = now
        QTest.qWait(10)


@pytest.fixture
def settle() -> Callable[..., None]:
    """``settle(map_view)``: see :func:`settle_map`."""
    return settle_map


@pytest.fixture
def laptop_window(qtbot):
    """A window on screen at 1400 x 880, a laptop's size, so that docks share real room."""
    from gui.main_window import MainWindow

    window = MainWindow(settings=None)
    qtbot.addWidget(window)
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def fake_k_curve() -> FakeKCurve:
    return FakeKCurve()


def drop_paths(target: QWidget, paths: list[Path]) -> None:
    """Drag file URLs onto ``target`` and drop them, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(QPointF(60, 60), *args)  # PySide6 6.12 deprecates the QPoint form
    except TypeError:
        enter = QDragEnterEvent(QPoint(60, 60), *args)  # older PySide6 only has this one
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the window refused the drag"
    QApplication.sendEvent(target, QDropEvent(QPointF(60, 60), *args))


@pytest.fixture
def drop() -> Callable[..., None]:
    """``drop(window, *paths)``: a drag-and-drop of files or folders onto a widget."""
    return lambda target, *paths: drop_paths(target, list(paths))


@pytest.fixture(autouse=True)
def unsaved_question(monkeypatch) -> list[str]:
    """Windows closed at a test's end never block on the modal unsaved-changes question.

    It answers Discard and records the project names it was asked about; a test that wants
    another answer patches ``gui.project.ask_unsaved`` itself.
    """
    from PySide6.QtWidgets import QMessageBox

    from gui import project

    asked: list[str] = []

    def discard(_window: object, name: str) -> QMessageBox.StandardButton:
        asked.append(name)
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(project, "ask_unsaved", discard)
    return asked


# ---- the cluster panel (test_gui_cluster_panel.py, test_gui_members_table.py) ----------------
def with_items(result, items: list[Item], modality: str, **payload):
    """The blob result re-dressed as another modality (same labels, embeddings and map)."""
    collection = Collection(items=items, **payload)
    return dataclasses.replace(result, collection=collection, analysed=collection, modality=modality)


@pytest.fixture
def panel(qtbot, tmp_path):
    state = ViewState()
    widget = ClusterPanel(state, cache=ThumbnailCache(tmp_path / "thumbs"))
    qtbot.addWidget(widget)
    widget.resize(520, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield state, widget
    widget.members.loader.wait()


def show(state: ViewState, result) -> None:
    state.reset_for(result)


def table_result(make_result, table: np.ndarray | None = None, n: int = 30):
    """The blob result as table rows with two feature columns."""
    result = make_result(n=n, k=3)
    table = np.tile(np.array([[1.0, 10.0]]), (n, 1)) if table is None else table
    items = [dataclasses.replace(it, name=f"row{i}") for i, it in enumerate(result.analysed.items)]
    return with_items(result, items, "table", table_features=table, feature_names=["size", "flat"])
