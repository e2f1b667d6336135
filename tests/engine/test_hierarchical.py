"""Hierarchical clustering: agglomerative and divisive trees, cuts, the approximate route, the pipeline."""

import json

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, is_valid_linkage
from scipy.cluster.hierarchy import linkage as scipy_linkage
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from engine.cluster import METHODS, agglomerative, cluster
from engine.cluster.agglomerative import agglomerative_tree, weighted_linkage
from engine.cluster.divisive import divisive_tree
from engine.cluster.hierarchical import Agglomerative, Divisive, fit_agglomerative, fit_divisive
from engine.cluster.tree import Tree, principal_components
from engine.pipeline import Spec, run
from engine.progress import CHOOSE_K, NEVER_CANCELLED, Cancelled, CancelToken

LINKAGES = ["ward", "complete", "average", "single"]


def nested_blobs(per_sub=40, d=4, seed=0):
    """3 far-apart groups, each made of 2 sub-blobs; returns X, group labels, sub-blob labels."""
    rng = np.random.default_rng(seed)
    groups = np.zeros((3, d))
    groups[:, 0] = [0, 40, 80]
    offsets = np.zeros((2, d))
    offsets[:, 1] = [-5, 5]
    sub = np.repeat(np.arange(6), per_sub)
    centres = groups[sub // 2] + offsets[sub % 2]
    X = (centres + rng.normal(scale=0.5, size=(len(sub), d))).astype(np.float32)
    return X, sub // 2, sub


def same(a, b):
    return adjusted_rand_score(a, b) == pytest.approx(1.0)


@pytest.mark.parametrize("linkage", LINKAGES)
def test_agglomerative_recovers_nested_groups(linkage):
    X, groups, subs = nested_blobs()
    tree = agglomerative_tree(X, linkage)
    assert not tree.approximate and tree.n_leaves == len(X)
    assert is_valid_linkage(tree.Z)
    assert same(tree.cut_k(3), groups) and same(tree.cut_k(6), subs)


@pytest.mark.parametrize("linkage", LINKAGES)
def test_exact_tree_matches_scipy(linkage):
    X = np.random.default_rng(1).normal(size=(300, 5))
    tree = agglomerative_tree(X, linkage)
    reference = scipy_linkage(X, linkage)
    np.testing.assert_allclose(tree.Z[:, 2], reference[:, 2], rtol=1e-9, atol=1e-9)
    assert same(tree.cut_k(7), fcluster(reference, 7, "maxclust"))


@pytest.mark.parametrize("linkage", ["complete", "average", "single"])
def test_cosine_metric_matches_scipy(linkage):
    X = np.random.default_rng(2).normal(size=(200, 6)) + 0.5
    tree = agglomerative_tree(X, linkage, metric="cosine")
    reference = scipy_linkage(X, linkage, metric="cosine")
    np.testing.assert_allclose(tree.Z[:, 2], reference[:, 2], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("rule", ["largest", "sse"])
def test_divisive_recovers_nested_groups(rule):
    X, groups, subs = nested_blobs()
    tree = divisive_tree(X, rule)
    assert tree.method == f"divisive-{rule}" and not tree.approximate
    assert is_valid_linkage(tree.Z) and tree.n_leaves == len(X)
    assert same(tree.cut_k(3), groups) and same(tree.cut_k(6), subs)


def test_divisive_cut_at_k_is_the_partition_after_k_minus_1_splits():
    X, _, _ = nested_blobs()
    tree = divisive_tree(X, "sse")
    # Heights are sqrt(total SSE) of the partition being split: the k-cut's SSE is the next height.
    for k in (2, 3, 6):
        labels = tree.cut_k(k)
        sse = sum(((X[labels == c] - X[labels == c].mean(0)) ** 2).sum() for c in range(k))
        assert np.sqrt(sse) == pytest.approx(tree.Z[-k, 2], rel=1e-4)


@pytest.fixture
def small_limits(monkeypatch):
    """Make every input 'too large' for an exact tree, with few micro-clusters."""
    monkeypatch.setattr(agglomerative, "EXACT_CONDENSED_BYTES", 0)
    monkeypatch.setattr(agglomerative, "EXACT_VECTOR_WORK", 0)
    monkeypatch.setattr(agglomerative, "N_MICRO", 40)


@pytest.mark.parametrize("linkage", LINKAGES)
def test_approximate_tree_over_micro_clusters(small_limits, linkage):
    X, groups, subs = nested_blobs()
    assert agglomerative.plan(len(X), X.shape[1], linkage) == "micro"
    tree = agglomerative_tree(X, linkage)
    assert tree.approximate and "micro-clusters" in tree.note
    assert tree.n_leaves <= 40 and tree.n_items == len(X)
    assert is_valid_linkage(tree.Z) and tree.Z[-1, 3] == tree.n_leaves
    assert tree.item_count[tree.root] == len(X)
    assert same(tree.cut_k(3), groups) and same(tree.cut_k(6), subs)


def test_weighted_ward_equals_ward_on_repeated_points():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 3))
    weights = rng.integers(1, 5, size=12).astype(float)
    D = ((centres[:, None] - centres[None]) ** 2).sum(-1) * 2 * np.outer(weights, weights)
    D /= np.add.outer(weights, weights)
    Z = weighted_linkage(D, weights, "ward", NEVER_CANCELLED)
    expanded = np.repeat(centres, weights.astype(int), axis=0)
    reference = scipy_linkage(expanded, "ward")
    # Repeats merge first at height 0; the merges after them are those of the weighted tree.
    np.testing.assert_allclose(Z[:, 2], reference[-(len(centres) - 1) :, 2], rtol=1e-9)


def test_divisive_stops_at_max_leaves_and_says_so():
    X, groups, _ = nested_blobs()
    tree = divisive_tree(X, "largest", max_leaves=12)
    assert tree.approximate and tree.n_leaves == 12 and "stopped at 12" in tree.note
    assert is_valid_linkage(tree.Z)
    assert same(tree.cut_k(3), groups)


def test_high_dimensional_ward_is_reduced_first_and_says_so(monkeypatch):
    monkeypatch.setattr(agglomerative, "PCA_DIMS", 3)
    X, groups, _ = nested_blobs(d=8)
    tree = agglomerative_tree(X, "ward")
    assert "principal components" in tree.note and not tree.approximate
    assert same(tree.cut_k(3), groups)


def test_cut_height_and_height_for_k_agree():
    X = np.random.default_rng(4).normal(size=(60, 3))
    tree = agglomerative_tree(X, "average")
    for k in range(1, 61):
        h = tree.height_for_k(k)
        assert tree.k_for_height(h) == k
        labels = tree.cut_height(h)
        assert np.array_equal(labels, tree.cut_k(k))
        assert sorted(set(labels.tolist())) == list(range(k))
    assert tree.height_for_k(1) > tree.Z[-1, 2] and tree.height_for_k(60) < tree.Z[0, 2]


def test_labels_are_numbered_left_to_right():
    X, _, _ = nested_blobs()
    tree = agglomerative_tree(X, "ward")
    leaf_labels = tree.leaf_labels(6)[tree.leaf_order]
    assert np.all(np.diff(leaf_labels) >= 0)


def test_items_under_a_node():
    X, groups, _ = nested_blobs()
    tree = agglomerative_tree(X, "ward")
    assert np.array_equal(tree.items_under(tree.root), np.arange(len(X)))
    assert tree.items_under(5).tolist() == [5]  # a leaf of an exact tree is its item
    left, right = tree.Z[-1, :2].astype(int)
    parts = np.sort(np.concatenate([tree.items_under(left), tree.items_under(right)]))
    assert np.array_equal(parts, np.arange(len(X)))
    # The three top clusters are three nodes whose items are exactly the groups.
    labels = tree.cut_k(3)
    for node in (tree.root - 1, *tree.Z[-1, :2].astype(int)):
        items = tree.items_under(node)
        if tree.item_count[node] == len(X) // 3:
            assert len(set(labels[items].tolist())) == 1 and len(set(groups[items].tolist())) == 1
    with pytest.raises(ValueError, match="node must be between"):
        tree.items_under(tree.root + 1)


def test_items_under_a_leaf_of_an_approximate_tree(small_limits):
    X, _, _ = nested_blobs()
    tree = agglomerative_tree(X, "ward")
    for leaf in range(tree.n_leaves):
        assert np.array_equal(tree.items_under(leaf), np.flatnonzero(tree.leaf_of_item == leaf))


def test_tree_round_trips_through_json():
    X, _, _ = nested_blobs()
    tree = divisive_tree(X, "largest", max_leaves=20)
    back = Tree.from_dict(json.loads(json.dumps(tree.to_dict())))
    assert np.array_equal(back.Z, tree.Z) and np.array_equal(back.leaf_of_item, tree.leaf_of_item)
    assert (back.method, back.approximate, back.note) == (tree.method, tree.approximate, tree.note)
    assert np.array_equal(back.cut_k(4), tree.cut_k(4))


def test_tiny_inputs():
    one = agglomerative_tree(np.zeros((1, 2)), "ward")
    assert one.n_leaves == 1 and one.cut_k(1).tolist() == [0]
    two = divisive_tree(np.array([[0.0, 0.0], [1.0, 0.0]]), "sse")
    assert two.cut_k(2).tolist() in ([0, 1], [1, 0]) and two.Z[0, 2] > 0
    same_points = divisive_tree(np.ones((5, 2)), "largest")
    assert same_points.n_leaves == 1 and same_points.cut_k(1).tolist() == [0] * 5


def test_fit_functions_cut_at_k_or_choose_k_by_silhouette():
    X, groups, subs = nested_blobs()
    fixed = fit_agglomerative(X, k=6)
    assert same(fixed.labels, subs) and fixed.tree is not None and fixed.curve is None
    auto = fit_divisive(X, k=None, k_max=8)
    assert auto.curve.best_k == 6 and same(auto.labels, subs)  # the sub-blobs are clear-cut too
    assert auto.curve.ks == list(range(2, 9)) and len(auto.curve.inertia) == 7
    assert np.all(np.diff(auto.curve.inertia) <= 1e-6)  # finer cuts never have more error
    assert auto.info["method"] == "divisive-largest" and "note" in auto.info


def test_estimators():
    X, groups, subs = nested_blobs()
    model = Agglomerative(n_clusters=6, linkage="average").fit(X)
    assert same(model.labels_, subs) and model.n_clusters_ == 6 and isinstance(model.tree_, Tree)
    assert same(Divisive(n_clusters=3, split_rule="sse").fit(X).labels_, groups)
    assert same(Agglomerative(n_clusters=None).fit(X).labels_, subs)
    assert Agglomerative(linkage="single").get_params()["linkage"] == "single"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda X: agglomerative_tree(X, "median"), "Unknown linkage 'median'"),
        (lambda X: agglomerative_tree(X, "average", metric="manhattan"), "Unknown metric"),
        (lambda X: agglomerative_tree(X, "ward", metric="cosine"), "Ward linkage needs the euclidean"),
        (lambda X: divisive_tree(X, "biggest"), "Unknown split rule 'biggest'"),
        (lambda X: divisive_tree(X, max_leaves=0), "max_leaves must be an integer >= 1"),
        (lambda X: Agglomerative(n_clusters=0).fit(X), "n_clusters must be between 1 and the number"),
        (lambda X: agglomerative_tree(X, "ward").cut_k(len(X) + 1), "k must be between 1 and the number"),
        (lambda X: agglomerative_tree(X, "ward").height_for_k(0), "k must be between 1"),
        (lambda X: fit_agglomerative(X, k=500), "k must be between 1 and the number of items"),
        (lambda X: fit_agglomerative(X, linkage="centroid"), "Unknown linkage"),
    ],
)
def test_bad_parameters_give_clear_errors(call, message):
    X, _, _ = nested_blobs(per_sub=5)
    with pytest.raises(ValueError, match=message):
        call(X)


def test_k_above_the_leaves_of_an_approximate_tree_is_a_clear_error(small_limits):
    X, _, _ = nested_blobs()
    with pytest.raises(ValueError, match="more clusters than the tree has leaves"):
        fit_agglomerative(X, k=100)


def test_heights_must_not_decrease():
    with pytest.raises(ValueError, match="must not decrease"):
        Tree(Z=[[0, 1, 2.0, 2], [2, 3, 1.0, 3]], leaf_of_item=[0, 1, 2], method="x")


def cancel_when(stage_name):
    token = CancelToken()

    def progress(stage, done, total):
        if stage == stage_name:
            token.cancel()

    return token, progress


@pytest.mark.parametrize("linkage", ["ward", "average"])
def test_cancel_during_exact_linkage(linkage):
    X, _, _ = nested_blobs()
    token, progress = cancel_when("linkage")
    with pytest.raises(Cancelled):
        agglomerative_tree(X, linkage, progress=progress, cancel=token)


def test_cancel_during_micro_clusters(small_limits):
    X, _, _ = nested_blobs()
    token, progress = cancel_when("k-means")
    with pytest.raises(Cancelled):
        agglomerative_tree(X, "ward", progress=progress, cancel=token)


def test_cancel_between_splits():
    X, _, _ = nested_blobs()
    token, progress = cancel_when("divisive")
    with pytest.raises(Cancelled):
        divisive_tree(X, "sse", progress=progress, cancel=token)


def test_cancel_while_choosing_k():
    X, _, _ = nested_blobs()
    token, progress = cancel_when(CHOOSE_K)
    with pytest.raises(Cancelled):
        fit_agglomerative(X, k=None, progress=progress, cancel=token)


@pytest.mark.parametrize(("algorithm", "k"), [("agglomerative", 3), ("divisive", None)])
def test_pipeline_end_to_end(tmp_path, algorithm, k):
    rng = np.random.default_rng(5)
    truth = np.repeat(np.arange(3), 50)
    X = 10 * np.eye(4)[truth] + rng.normal(scale=0.5, size=(150, 4))  # survives standardising
    table = tmp_path / "blobs.csv"
    header = ",".join(f"f{j}" for j in range(X.shape[1])) + ",label"
    rows = [",".join(f"{v:.5f}" for v in x) + f",g{g}" for x, g in zip(X, truth, strict=True)]
    table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = run(Spec(paths=(str(tmp_path),), algorithm=algorithm, k=k, use_cache=False))
    assert isinstance(result.clustering.tree, Tree)
    assert result.clustering.tree.n_items == len(X)
    assert result.n_clusters == 3 and result.metrics["ari"] == pytest.approx(1.0)


@parametrize_with_checks([Agglomerative(), Divisive()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("fit", [fit_agglomerative, fit_divisive])
def test_fewer_items_than_principal_components(fit):
    # 20 items in 100 dimensions: PCA can find at most 20 components, not PCA_DIMS = 50.
    X = np.vstack([np.random.default_rng(s).normal(5 * s, 0.1, size=(10, 100)) for s in range(2)])
    result = fit(X, k=2)
    assert sorted(np.bincount(result.labels).tolist()) == [10, 10]
    assert principal_components(X)[0].shape == (20, 20)


@pytest.mark.parametrize("algorithm", ["agglomerative", "divisive"])
def test_k_auto_never_cuts_copies_of_one_item_apart(algorithm):
    # 12 copies of one row: the cut at k = 2 used to split them 2 + 10 (silhouette 0).
    result = METHODS[algorithm](np.ones((12, 4)), k=None)  # not cluster(), which stops at copies
    assert result.curve.best_k == 1 and set(result.labels.tolist()) == {0}
    copies = np.repeat(np.eye(3), [5, 4, 3], axis=0)
    assert max(cluster(copies, algorithm, k=None).curve.ks) == 3  # three distinct items
