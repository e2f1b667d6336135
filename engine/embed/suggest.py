"""Pick or suggest the embedder a collection needs when the modality's default suits it badly.

Measured on scikit-learn's digits (8x8 grayscale drawings saved as PNGs): raw pixels give ARI 0.68,
ImageNet CNN features 0.34. CNN features describe textures and objects in photos; tiny drawings on
a plain background carry their meaning in where the strokes are, which raw pixels keep. A look at
up to 64 files (sizes from the headers, pixels only of the small ones) tells the two cases apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.items import Collection

SAMPLE = 64
MAX_SIDE = 64  # pixels; ImageNet models see 224, so smaller pictures are upsampled blurs to them
BACKGROUND_SHARE = 0.4  # of pixels near the picture's most common grey
GREY_TOLERANCE = 8  # largest channel difference (of 255) still counted as grey
MOST = 0.75  # share of the sampled files that must look like drawings

PIXELS = "image-pixels"
DEFAULT = "image-efficientnet"


@dataclass(frozen=True)
class Drawings:
    """What the sample showed: the typical picture side and how many sampled files were drawings."""

    side: int
    drawings: int
    sampled: int


def _drawing_side(path: object) -> int | None:
    """The longer side of a small, grey, mostly-background picture, else None (also for unreadable files)."""
    from PIL import Image

    try:
        with Image.open(path) as image:  # type: ignore[arg-type]
            if max(image.size) > MAX_SIDE:
                return None  # decided from the header alone
            pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    except Exception:  # noqa: BLE001 -- an unreadable file is the embedder's to report, not ours
        return None
    if int(np.ptp(pixels, axis=2).max()) > GREY_TOLERANCE:
        return None
    grey = pixels[..., 0].ravel()
    common = np.bincount(grey, minlength=256).argmax()
    if np.mean(np.abs(grey - common) <= 25) < BACKGROUND_SHARE:
        return None
    return max(pixels.shape[:2])


def line_drawings(collection: Collection, sample: int = SAMPLE) -> Drawings | None:
    """How the images look, when most of an even sample of them are small grey line drawings."""
    items = collection.only("image").items
    if not items:
        return None
    picked = [items[int(i)] for i in np.linspace(0, len(items) - 1, min(sample, len(items))).round()]
    sides = [s for s in (_drawing_side(item.path) for item in picked) if s is not None]
    if len(sides) < MOST * len(picked):
        return None
    return Drawings(side=int(np.median(sides)), drawings=len(sides), sampled=len(picked))


def image_embedder(collection: Collection, chosen: str | None) -> tuple[str | None, str | None]:
    """The embedder to use instead of the default (or None) and a note why, for a collection of images.

    ``chosen`` is the user's explicit embedder (None for the default): an explicit choice is kept,
    and only gets a suggestion.
    """
    if chosen == PIXELS:
        return None, None
    found = line_drawings(collection)
    if found is None:
        return None, None
    look = (
        f"The images look like small line drawings ({found.side} px, grayscale, "
        f"{found.drawings} of {found.sampled} sampled)"
    )
    if chosen is None:
        why = "raw pixels cluster them better than ImageNet features"
        return PIXELS, f"{look}: {why}; choose {DEFAULT} to override."
    return None, f"{look}: raw pixels ({PIXELS}) would likely cluster them better than {chosen}."
