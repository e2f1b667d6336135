"""One view state for every view: shared selection, threshold that survives a re-run, hidden
clusters, no echoes, and a plain-dict round trip for project files."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from engine.anomaly import Anomalies, threshold_for
from engine.cluster import Clustering
from engine.cluster.agglomerative import agglomerative_tree
from gui.view_state import ViewState, items_digest
from gui.views.anomaly import AnomalyView
from gui.views.dendrogram import DendrogramView
from gui.views.scatter import ScatterView
from gui.views.silhouette import SilhouetteView
from tests.gui.conftest import settle_map


def scored(result, detector: str = "ecod", contamination: float = 0.05):
    """Give a result outlier scores (the first four items score highest) as a detector would."""
    scores = np.random.default_rng(1).normal(size=len(result.labels))
    scores[:4] += 10.0
    threshold = threshold_for(scores, contamination)
    result.anomaly = Anomalies(detector, contamination, scores, threshold, scores > threshold)
    return result


@pytest.fixture
def tree_result(make_result):
    result = scored(make_result(n=90, k=3))
    tree = agglomerative_tree(result.embeddings, "ward")
    return dataclasses.replace(result, clustering=Clustering(labels=tree.cut_k(3), tree=tree))


@pytest.fixture
def views(qtbot):
    """Every item view of the window, sharing one state, shown offscreen."""
    state = ViewState()
    made = [ScatterView(state), SilhouetteView(state), DendrogramView(state), AnomalyView(state)]
    for widget in made:
        qtbot.addWidget(widget)
        widget.resize(700, 500)
        widget.show()
        qtbot.waitExposed(widget)
    return state, *made


def show(state: ViewState, views, result) -> None:
    state.reset_for(result)
    for view in views:
        view.set_result(result)
    settle_map(views[0])  # the plot's axes settle after a range change before points can be clicked


def click_point(qtbot, scatter: ScatterView, index: int) -> None:
    pos = scatter.plot.mapFromScene(scatter.scene_pos_of(index))
    qtbot.mouseClick(scatter.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_selecting_on_the_map_selects_everywhere_and_back(qtbot, views, tree_result):
    state, scatter, silhouette, dendrogram, anomaly = views
    show(state, views[1:], tree_result)
    with qtbot.waitSignal(state.selection_changed, timeout=2000):
        click_point(qtbot, scatter, 2)  # one of the top outliers, so the table lists it
    assert scatter.selected == dendrogram.selected == [2] == anomaly.selected
    assert silhouette.highlighted_rows().tolist() == [2]
    assert dendrogram.highlighted_leaves() == [int(tree_result.clustering.tree.leaf_of_item[2])]

    root = len(tree_result.clustering.tree.Z) + 90 - 1
    dendrogram.select_node(root)  # back: the tree selects every item on the map and in the silhouette
    assert scatter.selected == list(range(90)) and len(scatter._highlight.data) == 90
    assert sorted(silhouette.highlighted_rows().tolist()) == sorted(silhouette.rows.tolist())

    anomaly.table.selectRow(0)  # and from the outlier table
    top = anomaly.top_indices()[0]
    assert scatter.selected == [top] and dendrogram.selected == [top]


def test_a_change_is_announced_once_and_never_echoed(qtbot, views, tree_result):
    state, scatter, _silhouette, _dendrogram, anomaly = views
    show(state, views[1:], tree_result)
    selections, thresholds = [], []
    state.selection_changed.connect(lambda indices, source: selections.append((indices.tolist(), source)))
    state.threshold_changed.connect(lambda value, source: thresholds.append(source))
    click_point(qtbot, scatter, 5)
    qtbot.waitUntil(lambda: bool(selections), timeout=2000)
    QTest.qWait(50)
    assert selections == [([5], scatter)]
    click_point(qtbot, scatter, 5)  # the same selection again: no change, no signal
    QTest.qWait(50)
    assert len(selections) == 1
    with qtbot.waitSignal(state.threshold_changed, timeout=2000):
        anomaly.line.setValue(float(np.median(tree_result.anomaly.scores)))
    QTest.qWait(150)  # longer than the drag throttle: nothing more may follow
    assert thresholds == [anomaly]


def test_the_map_rings_outliers_at_the_state_threshold(qtbot, views, tree_result):
    state, scatter, *_ = views
    show(state, views[1:], tree_result)
    assert scatter.ringed()[0] == int(tree_result.anomaly.flags.sum())
    state.set_threshold(float(np.median(tree_result.anomaly.scores)))
    assert scatter.ringed()[0] == 45 == int(state.outlier_flags().sum())


def test_threshold_survives_a_rerun_with_the_same_detector_only(make_result):
    state = ViewState()
    resets = []
    state.reset.connect(lambda: resets.append(state.result))
    first = scored(make_result(n=90, k=3))
    state.reset_for(first)
    assert resets == [first]  # once, after the state has moved to the new result
    assert state.threshold == pytest.approx(first.anomaly.threshold)
    state.set_threshold(0.5)
    state.select([3, 4])
    state.rename(1, "the middle one")

    other_k = dataclasses.replace(first, clustering=Clustering(labels=np.arange(90) % 4))
    state.reset_for(other_k)  # a new k: same items, same detector
    assert state.threshold == 0.5 and state.selected.tolist() == [3, 4]
    assert state.name_of(1) == "cluster 1"  # new clusters, default names again

    same_clusters = dataclasses.replace(other_k)
    state.rename(1, "kept")
    state.reset_for(same_clusters)
    assert state.name_of(1) == "kept"

    another = scored(dataclasses.replace(first), detector="iforest")
    state.reset_for(another)
    assert state.threshold == pytest.approx(another.anomaly.threshold) != 0.5
    state.set_threshold(0.7)
    state.reset_for(scored(dataclasses.replace(first), detector="iforest", contamination=0.1))
    assert state.threshold != 0.7  # another contamination: its own threshold

    new_items = scored(make_result(n=60, k=3))
    state.set_threshold(0.7)
    state.reset_for(new_items)
    assert state.threshold == pytest.approx(new_items.anomaly.threshold)
    assert state.selected.tolist() == []
    state.reset_for(make_result(n=60, k=3))  # no detector at all
    assert state.threshold is None and state.outlier_flags() is None


def test_hiding_a_cluster_hides_its_points(qtbot, views, tree_result):
    state, scatter, *_ = views
    show(state, views[1:], tree_result)
    labels = tree_result.labels
    state.select([0, 1, 2])
    cluster = int(labels[0])
    state.set_cluster_visible(cluster, False)
    assert not scatter._cluster_items[cluster].isVisible()
    assert all(item.isVisible() for c, item in scatter._cluster_items.items() if c != cluster)
    x, y = tree_result.coords[0]
    assert scatter.index_at(float(x), float(y)) is None
    hidden = labels == cluster
    assert len(scatter._highlight.data) == int((~hidden[:3]).sum())
    flags = state.outlier_flags()
    assert scatter.ringed()[0] == int((flags & ~hidden).sum())
    state.set_cluster_visible(cluster, True)
    assert scatter._cluster_items[cluster].isVisible() and scatter.ringed()[0] == int(flags.sum())

    entry = scatter.legend.item(1)  # unticking a legend entry hides through the state
    with qtbot.waitSignal(state.hidden_changed, timeout=2000) as hidden_now:
        entry.setCheckState(Qt.CheckState.Unchecked)
    assert hidden_now.args[0] == frozenset({1}) and not scatter._cluster_items[1].isVisible()
    state.set_cluster_visible(1, True)  # and the legend follows the state back
    assert entry.checkState() == Qt.CheckState.Checked


def test_names_and_colours_reach_the_map(qtbot, views, tree_result):
    state, scatter, silhouette, *_ = views
    show(state, views[1:], tree_result)
    state.rename(0, "left blob")
    state.set_colour(0, (1, 2, 3))
    assert scatter.legend_entries()[0].startswith("left blob")
    assert scatter._cluster_items[0].opts["brush"].color().getRgb()[:3] == (1, 2, 3)
    ticks = silhouette.plot.getAxis("left")._tickLevels[0]
    assert any(text.startswith("left blob") for _, text in ticks)


def test_round_trip_through_a_plain_dict(make_result):
    result = scored(make_result(n=90, k=3))
    state = ViewState()
    state.reset_for(result)
    state.select([7, 1, 7])
    state.set_hidden([2])
    state.set_focused([0, 1])
    state.rename(0, "zero")
    state.set_colour(1, (10, 20, 30))
    state.set_threshold(1.25)
    data = json.loads(json.dumps(state.to_dict()))  # plain JSON, as a project file stores it
    again = ViewState.from_dict(data)
    assert again.to_dict() == state.to_dict()
    again.reset_for(result)  # reopening the project: everything still applies
    assert again.selected.tolist() == [1, 7] and again.hidden == {2} and again.focused == {0, 1}
    assert again.name_of(0) == "zero" and again.colour_of(1) == (10, 20, 30) and again.threshold == 1.25
    with pytest.raises(ValueError, match="newer version"):
        ViewState.from_dict({**data, "schema": 99})


def test_colours_and_user_names_stay_with_their_clusters_across_a_reclustering(qtbot, views, make_result):
    from engine.naming import ClusterName

    state, scatter, *_ = views
    first = make_result(n=90, k=3)  # clusters 0, 1, 2 of 30 items each
    first.names = [ClusterName(c, n) for c, n in enumerate(["ants", "bees", "cats"])]
    show(state, views[1:], first)
    assert scatter.legend_entries()[0].startswith("ants")  # the run's names are the defaults
    state.rename(1, "my bees")
    before = {c: state.colour_of(c) for c in range(3)}

    old = np.asarray(first.labels)
    labels = np.select([old == 0, old == 1, old == 2], [2, 0, 1])  # the engine numbered them anew
    labels[(old == 2) & (np.arange(90) >= 60)] = 3  # k 3 -> 4: half of the old cluster 2 split off
    second = dataclasses.replace(first, clustering=Clustering(labels=labels), names=[])
    show(state, views[1:], second)
    assert [state.colour_of(c) for c in (2, 0, 1)] == [before[0], before[1], before[2]]
    assert state.colour_of(3) not in before.values()  # the new cluster gets a colour of its own
    assert state.name_of(0) == "my bees" and state.name_of(2) == "cluster 2"
    assert scatter._cluster_items[2].opts["brush"].color().getRgb()[:3] == before[0]

    state.set_labels(np.arange(90) % 2)  # unrelated clusters (a dendrogram cut elsewhere): nothing inherited
    assert state.name_of(0) == "cluster 0" and state.colour_of(1) != before[2]


def test_the_items_fingerprint_is_made_once_per_collection_and_keeps_its_saved_formula(make_result):
    result = make_result(n=50, k=2)
    lines = "".join(f"{item.path}\t{item.row}\n" for item in result.analysed.items)
    expected = hashlib.sha1(lines.encode()).hexdigest()  # what saved project files hold
    assert items_digest(result) == expected
    result.analysed.items.reverse()  # the same collection: the remembered fingerprint, not a new one
    assert items_digest(result) == expected
    other = dataclasses.replace(result, analysed=dataclasses.replace(result.analysed))
    assert items_digest(other) != expected  # another collection (these items reversed) is made anew


def test_a_merged_cluster_keeps_a_name_given_to_a_part_and_going_back_restores_every_name(make_result):
    state = ViewState()
    first = make_result(n=90, k=3)
    state.reset_for(first)
    state.rename(1, "my bees")
    state.rename(2, "my cats")
    state.set_colour(2, (1, 2, 3))
    old = np.asarray(first.labels)
    merged = np.where(old == 1, 0, np.where(old == 2, 1, 0))  # 0 and 1 merged (1 is the smaller part)
    state.set_labels(merged)
    assert state.name_of(0) == "my bees" and state.name_of(1) == "my cats"
    state.set_labels(old)  # the merge undone: each cluster as it was, not as overlaps would guess
    assert [state.name_of(c) for c in range(3)] == ["cluster 0", "my bees", "my cats"]
    assert state.colour_of(2) == (1, 2, 3)


def test_clusters_chosen_in_the_list_come_forward_on_the_map_until_a_new_clustering(
    qtbot, views, tree_result, make_result
):
    from gui.views.density import DIMMED

    state, scatter, *_ = views
    show(state, views[1:], tree_result)
    assert state.emphasis() is None
    with qtbot.waitSignal(state.focus_changed, timeout=2000) as focused:
        state.set_focused([1])
    assert focused.args[0] == frozenset({1})
    opacity = {c: item.opacity() for c, item in scatter._cluster_items.items()}
    assert opacity[1] == 1.0 and all(o == pytest.approx(DIMMED) for c, o in opacity.items() if c != 1)
    flags = state.outlier_flags()  # outlier rings only on the chosen cluster, none on the faded ones
    assert scatter.ringed()[0] == int((flags & (tree_result.labels == 1)).sum()) < int(flags.sum())
    assert np.array_equal(state.emphasis(), tree_result.labels == 1)
    state.select([0, 1])  # a selection is what stands out while there is one
    assert np.flatnonzero(state.emphasis()).tolist() == [0, 1]
    state.select([])
    state.set_focused([])  # every ring back
    assert scatter.ringed()[0] == int(flags.sum())
    state.set_focused([1])
    state.reset_for(tree_result)  # the same clustering again: the choice stays
    assert state.focused == frozenset({1})
    state.reset_for(make_result(n=90, k=4))  # another clustering: nothing is chosen, nothing faded
    scatter.set_result(state.result)
    assert state.focused == frozenset() and state.emphasis() is None
    assert all(item.opacity() == 1.0 for item in scatter._cluster_items.values())


def test_clicking_a_legend_name_chooses_its_cluster_and_the_tick_box_only_hides(qtbot, views, tree_result):
    state, scatter, *_ = views
    show(state, views[1:], tree_result)
    legend = scatter.legend

    def click(row: int, modifier=Qt.KeyboardModifier.NoModifier, on_box: bool = False) -> None:
        rect = legend.visualItemRect(legend.item(row))
        x = rect.left() + 8 if on_box else rect.right() - 10
        qtbot.mouseClick(legend.viewport(), Qt.MouseButton.LeftButton, modifier, QPoint(x, rect.center().y()))

    click(1)
    assert state.focused == frozenset({1})
    assert legend.item(1).font().bold() and not legend.item(0).font().bold()
    click(2, Qt.KeyboardModifier.ControlModifier)
    assert state.focused == frozenset({1, 2})
    click(2)
    assert state.focused == frozenset({2})
    click(2)  # the chosen one again: none
    assert state.focused == frozenset() and not any(legend.item(r).font().bold() for r in range(3))
    click(0, on_box=True)  # the tick box hides, and chooses nothing
    assert state.hidden == frozenset({0}) and state.focused == frozenset()
