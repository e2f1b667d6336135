"""t-SNE and UMAP maps: separated groups stay apart, large inputs are sampled, UMAP is optional."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from engine import layout
from engine.progress import Cancelled, CancelToken


def separation(coords: np.ndarray, y: np.ndarray) -> float:
    """Smallest distance between group centres over the largest spread inside a group."""
    groups = np.unique(y)
    centres = np.array([coords[y == g].mean(axis=0) for g in groups])
    spread = max(coords[y == g].std(axis=0).max() for g in groups)
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(len(groups)) for b in range(a)]
    return float(min(gaps) / spread)


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(300, n_features=20, centers=4, cluster_std=1.0, random_state=3)
    return X.astype(np.float32), y


def test_tsne_keeps_groups_apart_and_is_repeatable(blobs):
    X, y = blobs
    coords = layout.embed_2d(X, "tsne", random_state=1)
    assert coords.shape == (300, 2) and coords.dtype == np.float32 and coords.flags.c_contiguous
    assert separation(coords, y) > 3
    assert np.array_equal(coords, layout.embed_2d(X, "tsne", random_state=1))


def test_tsne_reduces_wide_vectors_first():
    X, y = make_blobs(200, n_features=300, centers=3, cluster_std=1.0, random_state=5)
    steps: list[tuple[str, int, int]] = []
    coords = layout.embed_2d(X, "tsne", progress=lambda s, d, t: steps.append((s, d, t)))
    assert separation(coords, y) > 3
    # between its counted steps, the t-SNE call itself reports a time estimate ("layout (t-SNE, estimate)")
    assert [d for s, d, _ in steps if s == "layout"] == [0, 1, 2, 3]
    assert {s for s, _, _ in steps} == {"layout", "layout (t-SNE, estimate)"}


def test_large_inputs_lay_out_a_sample_and_place_the_rest(monkeypatch):
    monkeypatch.setattr(layout, "EMBED_SAMPLE", 150)
    monkeypatch.setattr(layout, "PLACE_CHUNK", 100)
    X, y = make_blobs(400, n_features=10, centers=3, cluster_std=1.0, random_state=6)
    steps: list[int] = []
    coords = layout.embed_2d(X, "tsne", progress=lambda s, d, t: steps.append(d) if s == "layout" else None)
    assert coords.shape == (400, 2) and np.isfinite(coords).all()
    assert separation(coords, y) > 3  # placed items land beside their own group
    assert steps == [0, 1, 2, 3, 4, 5, 6]  # reduce, lay out the sample, 250 placed in 3 chunks
    assert "150 of the 400" in layout.layout_note("tsne", 400)
    assert layout.layout_note("tsne", 100) is None and layout.layout_note("pca", 10**6) is None


def test_cancel_before_and_during_placement(monkeypatch):
    X, _ = make_blobs(300, n_features=5, centers=2, random_state=0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        layout.embed_2d(X, "tsne", cancel=token)
    monkeypatch.setattr(layout, "EMBED_SAMPLE", 100)
    monkeypatch.setattr(layout, "PLACE_CHUNK", 50)
    token = CancelToken()
    seen: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage != "layout":
            return  # the t-SNE call's time estimate
        seen.append(done)
        if done == 3:  # the first chunk has been placed
            token.cancel()

    with pytest.raises(Cancelled):
        layout.embed_2d(X, "tsne", progress=progress, cancel=token)
    assert seen == [0, 1, 2, 3]


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_tiny_inputs_still_get_a_map(n):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3) ** 1.5
    coords = layout.embed_2d(X, "tsne")
    assert coords.shape == (n, 2) and coords.dtype == np.float32 and np.isfinite(coords).all()
    assert np.all(layout.embed_2d(np.ones((5, 3)), "tsne") == 0)


def test_umap_missing_says_how_to_install(monkeypatch):
    monkeypatch.setattr(layout, "umap_installed", lambda: False)
    assert layout.available_layouts() == ("pca", "tsne")
    with pytest.raises(ValueError, match="pip install umap-learn"):
        layout.embed_2d(np.ones((10, 3)), "umap")
    monkeypatch.setattr(layout, "umap_installed", lambda: True)
    assert layout.available_layouts() == layout.LAYOUTS == ("pca", "tsne", "umap")
    assert set(layout.LAYOUT_DESCRIPTIONS) == set(layout.LAYOUTS)


def test_unknown_layout_lists_the_choices():
    with pytest.raises(ValueError, match="Unknown layout 'mds'.*pca, tsne, umap"):
        layout.embed_2d(np.ones((3, 2)), "mds")
    with pytest.raises(ValueError, match="2-D"):
        layout.embed_2d(np.ones(4), "tsne")


def test_umap_keeps_groups_apart_when_installed(blobs):
    pytest.importorskip("umap")
    X, y = blobs
    coords = layout.embed_2d(X, "umap", random_state=0)
    assert coords.shape == (300, 2) and coords.dtype == np.float32
    assert separation(coords, y) > 3


def test_pipeline_draws_a_tsne_map_end_to_end(tmp_path):
    from engine.pipeline import Spec, run

    X, y = make_blobs(240, n_features=12, centers=3, cluster_std=1.0, random_state=8)
    header = ",".join([f"f{j}" for j in range(X.shape[1])] + ["label"])
    rows = [",".join([*(f"{v:.5f}" for v in row), f"class{c}"]) for row, c in zip(X, y, strict=True)]
    (tmp_path / "blobs.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = run(Spec(paths=(str(tmp_path),), k=3, layout="tsne"))
    assert result.coords.shape == (240, 2) and result.coords.dtype == np.float32
    known = np.array([item.label for item in result.analysed.items])
    assert separation(result.coords, known) > 3 and result.metrics["ari"] > 0.9
    # Another layout redraws the map only.
    again = run(result.spec.replace(layout="pca"), previous=result)
    assert "layout" in again.timings and "cluster" not in again.timings and "embed" not in again.timings
