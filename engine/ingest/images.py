"""Reading image files into upright RGB pictures, with a message for every way a file can be bad.

Every embedder and view that shows an image goes through :func:`open_image`, so that all of them
see the same pixels: EXIF rotation applied, transparency on white, 16-bit and CMYK scaled into
ordinary 8-bit RGB. Pillow's decompression-bomb limit stays on: a small file that claims to be a
gigapixel picture is refused instead of exhausting memory.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.items import ItemError

_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_FORMATS = "PNG, JPEG, BMP, GIF, WebP or TIFF"


def open_image(path: Path, draft_size: int | None = None) -> Image.Image:
    """The image at ``path`` as an upright 8-bit RGB picture; :class:`ItemError` if it cannot be.

    ``draft_size`` lets JPEG files decode at a reduced scale (1/2, 1/4, 1/8) as long as both sides
    stay at least that many pixels: many times faster for camera photos that are only going to be
    shrunk to a thumbnail or a 224-pixel model input.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ItemError("the file is empty (0 bytes); it holds no image.")
    except OSError as error:
        raise ItemError(f"cannot be read: {error.strerror or error}") from error
    try:
        with warnings.catch_warnings():
            # A warning-sized bomb is refused too: nobody clusters 90-megapixel scans by accident.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                if draft_size and opened.format == "JPEG":
                    opened.draft(opened.mode, (draft_size, draft_size))
                opened.load()  # here, inside the try, so that a truncated file fails now
                image = ImageOps.exif_transpose(opened)
    except ItemError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ItemError(_too_large(error)) from error
    except UnidentifiedImageError as error:
        raise ItemError(
            f"is not an image that can be read: {_looks_like(path)}not {_FORMATS} data. Perhaps another "
            "kind of file was given an image extension, or the file is damaged."
        ) from error
    except (OSError, SyntaxError, EOFError) as error:
        text = str(error)
        if "truncated" in text.lower() or isinstance(error, EOFError) or "broken" in text:
            raise ItemError(
                f"the image is truncated or damaged ({text}); the file ends before all its pixels, "
                "perhaps an interrupted download or copy."
            ) from error
        raise ItemError(f"cannot be decoded as an image ({text or type(error).__name__}).") from error
    except Exception as error:  # noqa: BLE001 - any decoder failure is one bad file, not a crash
        raise ItemError(f"cannot be decoded as an image ({type(error).__name__}: {error}).") from error
    if image.width < 1 or image.height < 1:
        raise ItemError(f"the image has no pixels ({image.width}x{image.height}).")
    try:
        return to_rgb(image)
    except (ValueError, OSError) as error:
        raise ItemError(f"its colour mode {image.mode} cannot be converted to RGB ({error}).") from error


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB: alpha composited on white, high bit depths scaled, not clipped."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = _scaled_to_8bit(image)
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _scaled_to_8bit(image: Image.Image) -> Image.Image:
    # Pillow's own conversion of 16-bit and float images clips at 255: a 16-bit scan comes out white.
    values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if image.mode == "F" and low >= 0.0 and high <= 1.0:
        scaled = values * 255.0
    elif low >= 0.0 and high <= 255.0 and image.mode != "F":
        scaled = values
    elif low >= 0.0 and high <= 65535.0 and image.mode != "F":
        scaled = values / 257.0
    else:  # arbitrary ranges (signed, float data): stretch what is there
        scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), mode="L")


def _too_large(error: Exception) -> str:
    found = re.search(r"\((\d+) pixels\)", str(error))
    size = f"{int(found.group(1)) / 1e6:.3g} megapixels" if found else "too many pixels"
    limit = (Image.MAX_IMAGE_PIXELS or 0) / 1e6
    return (
        f"image is too large ({size}); Pillow refuses it as a possible decompression bomb "
        f"(the limit is {limit:.3g} megapixels). Shrink the image to use it."
    )


def _looks_like(path: Path) -> str:
    """A hint at what the file really is, from its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return ""
    if head.startswith(b"%PDF"):
        return "it is a PDF document, "
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "it is a web page (HTML), "
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive (or an Office document), "
    if not head or b"\x00" in head:
        return ""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut in two by the 512-byte window
            return ""
    return "it is plain text, "


def as_rgb(image: Image.Image | np.ndarray) -> Image.Image:
    """A PIL image of any mode, or an HxW / HxWx3 / HxWx4 uint8 array, as an RGB image."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.ascontiguousarray(image))
    return to_rgb(image)


def fit_square(image: Image.Image, size: int, resample: int = Image.Resampling.BILINEAR) -> Image.Image:
    """The centre square of ``image`` scaled to ``size`` x ``size``: what CNNs are fed.

    Same result as resizing the shorter side and centre-cropping, but cropped first, so that a
    1 x 5000 strip never becomes a 224 x 1.1M intermediate.
    """
    if image.size == (size, size):
        return image
    return ImageOps.fit(image, (size, size), method=resample)
