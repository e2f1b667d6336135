"""DBSCAN through PyCaret gives scikit-learn's labels on the same preprocessed data.

PyCaret is an optional extra that needs numpy<2, scipy<=1.11.4 and scikit-learn<1.5, so it lives in
its own environment (build_scripts/ci_pycaret.sh); elsewhere these tests are skipped. PyCaret is
never imported here directly: importing it writes logs.log into the working folder, which
:func:`engine.cluster.dbscan.pycaret_experiment` prevents.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons

from engine.cluster import dbscan as density

pytestmark = pytest.mark.skipif(
    not density.pycaret_available(),
    reason='PyCaret is not installed (optional extra: pip install "datamining6[pycaret]", which needs '
    "numpy<2, scipy<=1.11.4 and scikit-learn<1.5; build_scripts/ci_pycaret.sh makes such a venv)",
)


def _data(kind: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "blobs":
        X, _ = make_blobs(600, centers=4, n_features=3, cluster_std=0.8, random_state=4)
    else:
        X, _ = make_moons(500, noise=0.07, random_state=1)
    noise = rng.uniform(X.min(axis=0), X.max(axis=0), size=(30, X.shape[1]))
    return np.vstack([X, noise]).astype(np.float32)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything PyCaret writes lands here, where the last test looks


@pytest.mark.parametrize("kind", ["blobs", "moons"])
@pytest.mark.parametrize("normalize", [False, True])
def test_same_labels_as_sklearn_on_the_same_preprocessed_data(kind, normalize):
    X = _data(kind)
    experiment = density.pycaret_experiment(X, random_state=0, normalize=normalize)
    prepared = density.transformed(experiment)
    assert prepared.shape == X.shape
    if normalize:
        assert np.allclose(prepared.mean(axis=0), 0, atol=1e-5)
    else:
        assert np.allclose(prepared, X, atol=1e-6)  # the default preprocessing leaves vectors alone
    _, knee = density.k_distance_curve(prepared, 5)
    for eps, min_samples in [(knee, 5), (knee * 0.7, 3), (knee * 1.5, 10)]:
        via_pycaret = density.dbscan_pycaret(experiment, eps, min_samples)
        via_sklearn, _ = density.dbscan_sklearn(prepared, eps, min_samples)
        assert np.array_equal(via_pycaret, via_sklearn)
        assert -1 in via_sklearn or eps > knee  # the scattered points are noise at the knee's eps


def test_the_pipeline_uses_pycaret_when_installed():
    X = _data("blobs")
    auto = density.fit_dbscan(X)
    chosen = density.fit_dbscan(X, backend="pycaret")
    plain = density.fit_dbscan(X, backend="sklearn")
    assert auto.info["backend"] == chosen.info["backend"] == "pycaret" and plain.info["backend"] == "sklearn"
    assert auto.info["eps"] == pytest.approx(plain.info["eps"], rel=1e-5)
    assert np.array_equal(auto.labels, plain.labels) and np.array_equal(chosen.labels, plain.labels)
    assert auto.info["n_clusters"] == 4


def test_pycaret_leaves_no_log_file_and_keeps_warnings(tmp_path):
    import logging
    import os
    import warnings

    shown = warnings.showwarning
    density.pycaret_experiment(_data("moons"))
    assert not (tmp_path / "logs.log").exists()
    files = [h.baseFilename for h in logging.getLogger("logs").handlers if hasattr(h, "baseFilename")]
    assert files and all(f == os.path.abspath(os.devnull) for f in files)
    assert warnings.showwarning is shown and "pycaret" not in warnings.showwarning.__module__
