"""Issue 8: every clustering method and every detector works from 2 items up, on long vectors too."""

from __future__ import annotations

import numpy as np
import pytest

from engine import catalogue
from engine.anomaly import detect
from engine.cluster import cluster

ALGORITHMS = catalogue.names(catalogue.ALGORITHMS)
DETECTORS = catalogue.names(catalogue.DETECTORS)


def vectors(n: int, d: int = 384, seed: int = 0) -> np.ndarray:
    """Two loose groups of unit vectors, as a small folder of embedded documents gives."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + np.where(np.arange(n)[:, None] % 2 == 0, 1.0, -1.0) * rng.normal(size=d)
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("n", [2, 3, 10, 49])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("k", [None, 2])
def test_every_algorithm_on_few_items(algorithm, n, k):
    params = {"k": k} if algorithm in ("kmeans", "agglomerative", "divisive", "gmm") else {}
    if algorithm in ("dbscan", "hdbscan") and k is not None:
        pytest.skip("density methods take no k")
    result = cluster(vectors(n), algorithm, **params)
    assert result.labels.shape == (n,)
    if k is not None:
        assert len(set(result.labels.tolist())) == k


@pytest.mark.parametrize("n", [2, 3, 10, 49])
@pytest.mark.parametrize("detector", DETECTORS)
def test_every_detector_on_few_items(detector, n):
    result = detect(vectors(n), detector, contamination=0.1)
    assert result.scores.shape == (n,) and np.all(np.isfinite(result.scores))


def _folder(root, modality: str, n: int):
    """n items of one modality in two subfolders (their names are the known classes)."""
    import soundfile
    from PIL import Image

    rng = np.random.default_rng(n)
    root.mkdir()
    if modality in ("table", "timeseries"):
        width = 5 if modality == "table" else 40
        rows = rng.normal(size=(n, width)) + (np.arange(n) % 2)[:, None] * 3
        head = ",".join([f"c{i}" for i in range(width)] + ["label"])
        lines = [",".join([*(f"{v:.4f}" for v in row), f"g{i % 2}"]) for i, row in enumerate(rows)]
        (root / "items.csv").write_text("\n".join([head, *lines]) + "\n")
        return root
    words = (["apple", "pear", "plum", "fruit"], ["engine", "wheel", "brake", "car"])
    for i in range(n):
        group = root / f"g{i % 2}"
        group.mkdir(exist_ok=True)
        if modality == "text":
            text = " ".join(rng.choice(words[i % 2], 12))
            (group / f"{i}.txt").write_text(text)
        elif modality == "image":
            pixels = rng.integers(0, 60, (24, 24, 3)) + (150 if i % 2 else 0)
            Image.fromarray(pixels.astype(np.uint8)).save(group / f"{i}.png")
        else:
            t = np.arange(8000) / 16000
            tone = np.sin(2 * np.pi * (300 if i % 2 else 1200) * t) + 0.05 * rng.normal(size=t.size)
            soundfile.write(group / f"{i}.wav", tone.astype(np.float32), 16000)
    return root


WEIGHT_FREE = {
    "table": None,
    "timeseries": "ts-resampled",
    "text": "text-tfidf",
    "image": "image-pixels",
    "audio": "audio-mfcc",
}


@pytest.mark.parametrize("n", [3, 10, pytest.param(49, marks=pytest.mark.slow)])
@pytest.mark.parametrize("modality", list(WEIGHT_FREE))
def test_pipeline_runs_on_a_tiny_folder_of_each_modality(tmp_path, modality, n):
    from engine.pipeline import Spec, run

    csv_kind = {"table": "table", "timeseries": "timeseries"}.get(modality, "auto")
    folder = _folder(tmp_path / "in", modality, n)
    spec = Spec(
        paths=(str(folder),),
        csv_kind=csv_kind,
        embedder=WEIGHT_FREE[modality],
        detector="iforest",
        use_cache=False,
    )
    result = run(spec)
    assert result.modality == modality and len(result.labels) == n
    assert result.anomaly is not None and result.anomaly.scores.shape == (n,)
    for algorithm in ("agglomerative", "gmm", "hdbscan"):
        again = run(spec.replace(algorithm=algorithm), previous=result)
        assert len(again.labels) == n


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("k", [None, 3])
def test_identical_items_are_one_cluster_whatever_the_method(algorithm, k):
    # K-Means used to say "k = 2: no k could be scored (identical items?)" beside one cluster,
    # and the mixture "Mixture of 10 with full covariances".
    params = {"k": k} if algorithm in ("kmeans", "agglomerative", "divisive", "gmm") else {}
    result = cluster(np.tile([1.0, 2.0, 3.0], (40, 1)), algorithm, **params)
    assert result.labels.tolist() == [0] * 40
    assert result.info["note"].startswith("All 40 items are identical, so they form one cluster")
    assert ("(k = 3 was asked)" in result.info["note"]) == ("k" in params and k == 3)
    if algorithm == "gmm":
        assert result.probabilities.shape == (40, 1)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_copies_of_three_answers_are_three_clusters_whatever_the_method(algorithm):
    answers = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    result = cluster(np.repeat(answers, [40, 25, 10], axis=0), algorithm)
    assert sorted(np.bincount(result.labels[result.labels >= 0]).tolist()) == [10, 25, 40]
    assert not (result.labels < 0).any()
