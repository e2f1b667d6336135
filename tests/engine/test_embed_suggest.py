"""Small grayscale line drawings get raw pixels instead of ImageNet features, with a note why."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.embed.suggest import image_embedder, line_drawings
from engine.ingest import scan
from engine.pipeline import Spec, _choose_embedder, run


def _digits(folder: Path, n: int = 40) -> Path:
    """scikit-learn's 8x8 digits as PNGs in one folder per class, as a user would have them."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i in range(n):
        (folder / str(digits.target[i])).mkdir(parents=True, exist_ok=True)
        picture = Image.fromarray((digits.images[i] * 255 / 16).astype(np.uint8))
        picture.save(folder / str(digits.target[i]) / f"{i:03d}.png")
    return folder


def _photos(folder: Path, n: int = 12) -> Path:
    """Crops of scikit-learn's two sample photos (colour, larger than a drawing)."""
    from sklearn.datasets import load_sample_images

    folder.mkdir(parents=True)
    photos, rng = load_sample_images().images, np.random.default_rng(0)
    for i in range(n):
        photo, side = photos[i % 2], int(rng.integers(96, 200))
        y, x = rng.integers(0, photo.shape[0] - side), rng.integers(0, photo.shape[1] - side)
        Image.fromarray(photo[y : y + side, x : x + side]).save(folder / f"{i:03d}.jpg")
    return folder


def _small_colour_icons(folder: Path, n: int = 12) -> Path:
    """Small (32 px) two-colour textures: small and mostly flat, but in colour, so not drawings."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:32, 0:32]
    for i in range(n):
        mask = (xx // int(rng.integers(3, 8)) + yy // 4) % 2 == 0
        colours = rng.integers(0, 256, (2, 3))
        picture = np.where(mask[..., None], colours[0], colours[1]).astype(np.uint8)
        Image.fromarray(picture).save(folder / f"{i}.png")
    return folder


def test_digits_as_pngs_are_seen_as_line_drawings(tmp_path: Path) -> None:
    found = line_drawings(scan([_digits(tmp_path / "digits")]))
    assert found is not None and found.side == 8 and found.drawings == found.sampled == 40


@pytest.mark.parametrize("make", [_photos, _small_colour_icons])
def test_colour_photos_and_textures_keep_the_default(tmp_path: Path, make) -> None:
    assert image_embedder(scan([make(tmp_path / "set")]), None) == (None, None)


def test_default_embedder_becomes_pixels_on_digits_with_a_note(tmp_path: Path) -> None:
    folder = _digits(tmp_path / "digits")
    result = run(Spec(paths=(str(folder),), k=10, use_cache=False))
    assert result.embedder == "image-pixels"
    note = next(n for n in result.notes if "line drawings" in n)
    assert "8 px, grayscale" in note and "choose image-efficientnet to override" in note


def test_an_explicit_embedder_is_kept_and_gets_a_suggestion(tmp_path: Path) -> None:
    collection = scan([_digits(tmp_path / "digits")])
    embedder, notes = _choose_embedder(Spec(paths=("x",), embedder="image-efficientnet"), "image", collection)
    ready = embedder.readiness().ready
    assert embedder.name == "image-efficientnet" or not ready  # only a missing model may swap it
    assert any("image-pixels" in n and "would likely cluster them better" in n for n in notes)
