"""Cluster colours readable on a white background; noise (-1) is always grey."""

from __future__ import annotations

# tab20-like: the ten strong colours first, then their lighter partners, so small k stays vivid.
_STRONG = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]
_LIGHT = [
    (114, 168, 208),
    (255, 167, 91),
    (120, 195, 110),
    (240, 110, 108),
    (182, 155, 215),
    (184, 140, 130),
    (240, 170, 215),
    (180, 180, 180),
    (215, 215, 100),
    (110, 215, 228),
]
PALETTE: list[tuple[int, int, int]] = _STRONG + _LIGHT
NOISE = (170, 170, 170)


def cluster_color(cluster: int) -> tuple[int, int, int]:
    """The colour of a cluster id; ids beyond the palette wrap around."""
    if cluster < 0:
        return NOISE
    return PALETTE[cluster % len(PALETTE)]
