"""Hand edits through the pipeline: merges and moves on the demo table, re-applied when only the map
changes, dropped with a note when the clustering changes, and kept by a saved project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import edits, store
from engine.pipeline import Spec, run

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "tables"


@pytest.fixture(scope="module")
def four() -> tuple[Spec, object]:
    spec = Spec(paths=(str(DEMO),), k=4, use_cache=False)
    return spec, run(spec)


def test_merging_two_clusters_makes_one_and_renames_and_rescores_it(four):
    spec, first = four
    sizes = np.bincount(first.labels)
    merged = run(spec.replace(edits=(edits.merge(first.labels, [0, 3]),)), previous=first)
    assert merged.n_clusters == 3
    assert sorted(np.bincount(merged.labels)) == sorted([sizes[0] + sizes[3], sizes[1], sizes[2]])
    # the merged items share a cluster, every other item keeps its company
    assert len(set(merged.labels[np.isin(first.labels, [0, 3])].tolist())) == 1
    assert merged.metrics["n_clusters"] == 3
    assert len(merged.names) == 3 and merged.names[0].name != first.names[0].name
    assert "Clusters edited by hand: 1 merge;" in " ".join(merged.notes)
    assert set(merged.timings) <= {"metrics", "name"}  # nothing read, embedded or clustered again


def test_moved_items_form_a_new_cluster_or_join_another(four):
    spec, first = four
    rows = np.flatnonzero(first.labels == 1)[:5]
    new = edits.move(first.labels, rows)
    split = run(spec.replace(edits=(new,)), previous=first)
    assert split.n_clusters == 5 and set(split.labels[rows].tolist()) == {4}
    back = edits.move(split.labels, rows, cluster=2)
    joined = run(spec.replace(edits=(new, back)), previous=split)
    assert joined.n_clusters == 4 and set(joined.labels[rows].tolist()) == {2}
    assert "Clusters edited by hand: 2 moves (10 items); the scores" in " ".join(joined.notes)


def test_edits_survive_a_new_map_and_are_dropped_when_the_clustering_changes(four):
    spec, first = four
    edited_spec = spec.replace(edits=(edits.merge(first.labels, [1, 2]),))
    edited = run(edited_spec, previous=first)
    remapped = run(edited_spec.replace(layout="tsne"), previous=edited)
    np.testing.assert_array_equal(remapped.labels, edited.labels)
    other = run(edited_spec.replace(k=5), previous=remapped)
    assert other.n_clusters == 5 and other.edits_applied == 0
    assert (
        "1 hand edit no longer applies (the clustering it was made on changed) and was dropped."
        in " ".join(other.notes)
    )


def test_a_saved_project_keeps_its_edits(four, tmp_path):
    spec, first = four
    edited = run(spec.replace(edits=(edits.merge(first.labels, [0, 1, 2]),)), previous=first)
    path = tmp_path / "edited.dm6"
    store.save(edited, path)
    opened, _ = store.load(path)
    np.testing.assert_array_equal(opened.labels, edited.labels)
    assert opened.spec.edits == edited.spec.edits and opened.n_clusters == 2
    assert (
        Spec.from_dict(edited.spec.to_dict() | {"edits": [list(e) for e in edited.spec.edits]}) == edited.spec
    )


def test_edits_that_cannot_be_made_say_why():
    labels = np.array([0, 0, 1, 1, -1])
    with pytest.raises(ValueError, match="two or more"):
        edits.merge(labels, [0])
    with pytest.raises(ValueError, match="no cluster 7"):
        edits.move(labels, [0], cluster=7)
    with pytest.raises(ValueError, match="rows between"):
        edits.move(labels, [9])


def test_noise_items_can_be_given_a_cluster_and_emptied_clusters_disappear():
    labels = np.array([0, 0, 1, 1, -1, -1])
    moved, applied = edits.apply(labels, [edits.move(labels, [2, 3, 4], cluster=0)])
    assert applied == 1
    np.testing.assert_array_equal(moved, [0, 0, 0, 0, 0, -1])
