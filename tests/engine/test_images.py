"""Reading image files: every format comes back upright 8-bit RGB; every bad file says what is wrong."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.ingest.images import as_rgb, fit_square, open_image
from engine.items import ItemError

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def halves(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    return image


def close(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif"])
def test_every_format_reads_as_rgb(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"halves{suffix}"
    halves().save(path)
    image = open_image(path)
    assert image.mode == "RGB" and image.size == (40, 20)
    assert close(image.getpixel((2, 10)), RED) and close(image.getpixel((37, 10)), BLUE)


def test_png_alpha_is_composited_on_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))  # transparent black...
    rgba.paste((255, 0, 0, 255), (0, 0, 5, 10))  # ...with an opaque red left half
    rgba.putpixel((7, 7), (0, 0, 255, 128))  # and one half-transparent blue pixel
    rgba.save(tmp_path / "alpha.png")
    image = open_image(tmp_path / "alpha.png")
    assert image.mode == "RGB"
    assert image.getpixel((2, 2)) == RED
    assert image.getpixel((8, 2)) == WHITE  # not black: transparency means "background"
    assert close(image.getpixel((7, 7)), (127, 127, 255), tolerance=2)


def test_palette_gif_with_transparency_takes_the_first_frame(tmp_path: Path) -> None:
    first = halves().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    second = Image.new("RGB", (40, 20), (0, 255, 0)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    blue_index = first.getpixel((37, 10))
    first.save(tmp_path / "anim.gif", save_all=True, append_images=[second], transparency=blue_index)
    image = open_image(tmp_path / "anim.gif")
    assert image.mode == "RGB" and image.size == (40, 20)
    assert close(image.getpixel((2, 10)), RED)  # the first frame, not the green second one
    assert image.getpixel((37, 10)) == WHITE  # its transparent colour is shown on white


def test_grayscale_and_cmyk_become_rgb(tmp_path: Path) -> None:
    gray = Image.linear_gradient("L").resize((64, 64))
    gray.save(tmp_path / "gray.png")
    image = open_image(tmp_path / "gray.png")
    pixels = np.asarray(image)
    assert image.mode == "RGB" and (pixels[..., 0] == pixels[..., 2]).all()
    assert pixels[0, 0, 0] < 10 and pixels[-1, 0, 0] > 245
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")  # red in CMYK
    assert close(open_image(tmp_path / "cmyk.jpg").getpixel((4, 4)), RED)


def test_16_bit_images_are_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (4, 1))
    Image.fromarray(ramp).save(tmp_path / "deep.png")  # a 16-bit grayscale PNG (mode I;16 / I)
    Image.fromarray(ramp).save(tmp_path / "deep.tif")
    for name in ("deep.png", "deep.tif"):
        row = np.asarray(open_image(tmp_path / name))[0, :, 0].astype(int)
        assert row[0] == 0 and row[-1] == 255 and 120 <= row[128] <= 135  # Pillow alone clips to 255
        assert (np.diff(row) >= 0).all()


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; rotate 90 degrees clockwise to view
    halves(40, 20).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    image = open_image(tmp_path / "turned.jpg")
    assert image.size == (20, 40)  # upright: width and height swapped
    assert close(image.getpixel((10, 5)), RED) and close(image.getpixel((10, 35)), BLUE)


def test_draft_size_decodes_big_jpegs_smaller_but_never_below_the_size_asked(tmp_path: Path) -> None:
    halves(2000, 1200).save(tmp_path / "photo.jpg")
    image = open_image(tmp_path / "photo.jpg", draft_size=224)
    assert image.mode == "RGB" and 224 <= min(image.size) < 1200
    assert open_image(tmp_path / "photo.jpg").size == (2000, 1200)


def test_one_pixel_image_is_accepted_and_can_be_fitted(tmp_path: Path) -> None:
    Image.new("L", (1, 1), 200).save(tmp_path / "dot.png")
    image = open_image(tmp_path / "dot.png")
    assert image.size == (1, 1) and image.getpixel((0, 0)) == (200, 200, 200)
    assert fit_square(image, 224).size == (224, 224)


def test_fit_square_crops_the_centre_of_a_long_strip_without_a_huge_intermediate() -> None:
    strip = Image.new("RGB", (1, 100_000), RED)
    strip.paste(BLUE, (0, 0, 1, 50_000))
    fitted = fit_square(strip, 224)
    assert fitted.size == (224, 224)
    assert as_rgb(np.zeros((3, 5), dtype=np.uint8)).mode == "RGB"


# --- bad files: one ItemError each, with a message a user can act on ---------------------------


def error_for(path: Path) -> str:
    with pytest.raises(ItemError) as caught:
        open_image(path)
    return str(caught.value)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_image(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(tmp_path / f"full{suffix}")
    data = (tmp_path / f"full{suffix}").read_bytes()
    (tmp_path / f"half{suffix}").write_bytes(data[: len(data) // 2])
    assert "truncated" in error_for(tmp_path / f"half{suffix}")


def test_text_file_named_png(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("shopping list: milk, eggs\n", encoding="utf-8")
    message = error_for(tmp_path / "notes.png")
    assert "not an image" in message and "plain text" in message


def test_pdf_named_jpg(tmp_path: Path) -> None:
    (tmp_path / "scan.jpg").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "PDF" in error_for(tmp_path / "scan.jpg")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    assert "empty" in error_for(tmp_path / "empty.png")


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot be read" in error_for(tmp_path / "gone.png")


@pytest.mark.parametrize("pixels", [12_000, 40_000])  # above the warning limit; above the error limit
def test_decompression_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pixels: int) -> None:
    Image.new("RGB", (pixels // 100, 100), WHITE).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    message = error_for(tmp_path / "bomb.png")
    assert "too large" in message and "decompression bomb" in message
    assert f"{pixels / 1e6:.3g} megapixels" in message
