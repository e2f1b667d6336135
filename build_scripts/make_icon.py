"""Draw the app icon (three clusters and an outlier): resources/icon.svg, .png, .ico (.icns on macOS).

    .venv/bin/python build_scripts/make_icon.py

One list of shapes feeds both the SVG and the Pillow drawing, so the two never drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
BACKGROUND = "#1f2a38"
# (x, y, radius, colour) on a 256 x 256 canvas: three clusters, then the outlier's red ring.
DOTS = [
    *((x, y, 17, "#4e9be6") for x, y in ((64, 84), (94, 64), (90, 104), (58, 120))),
    *((x, y, 17, "#f0a33a") for x, y in ((168, 70), (196, 96), (160, 108))),
    *((x, y, 17, "#5cc27a") for x, y in ((104, 178), (136, 196), (140, 160), (172, 184))),
]
OUTLIER = (206, 206, 14, "#e5484d")


def svg() -> str:
    circles = "".join(f'<circle cx="{x}" cy="{y}" r="{r}" fill="{c}"/>' for x, y, r, c in DOTS)
    x, y, r, c = OUTLIER
    ring = f'<circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="{c}" stroke-width="7"/>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" rx="48" fill="{BACKGROUND}"/>{circles}{ring}</svg>\n'
    )


def png(scale: int = 4) -> Image.Image:
    """Drawn at ``scale`` times the size and reduced, for smooth edges."""
    big = Image.new("RGBA", (SIZE * scale, SIZE * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((0, 0, SIZE * scale - 1, SIZE * scale - 1), radius=48 * scale, fill=BACKGROUND)

    def box(x: int, y: int, r: int) -> tuple[int, int, int, int]:
        return ((x - r) * scale, (y - r) * scale, (x + r) * scale, (y + r) * scale)

    for x, y, r, c in DOTS:
        draw.ellipse(box(x, y, r), fill=c)
    x, y, r, c = OUTLIER
    draw.ellipse(box(x, y, r), outline=c, width=7 * scale)
    return big.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "resources"
    (out / "icon.svg").write_text(svg(), encoding="utf-8")
    image = png()
    image.save(out / "icon.png", optimize=True)
    image.save(out / "icon.ico", sizes=[(s, s) for s in (16, 32, 48, 64, 128, 256)])
    if sys.platform == "darwin":  # only the macOS build needs it, and it is large
        image.save(out / "icon.icns")


if __name__ == "__main__":
    main()
