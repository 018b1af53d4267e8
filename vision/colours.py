"""Measured colour statistics of a photo: brightness, saturation and the shares of named colours in
its top and bottom thirds, where sky and ground usually lie.

The colour names are HSV ranges taken from their ordinary definitions (sky blue: hue 185–250°;
warm sunset colours: gold, orange, red, pink and magenta, 290–360° and 0–50°; vegetation green 65–150°, short of the turquoise of shallow sea; white: bright and
almost unsaturated; dark: value below 0.2), not fitted to any photo set. A photo is measured on a small
thumbnail: shares of large regions do not need detail, and 64 px costs well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

THUMBNAIL = 64
SMOOTH_STEP = 0.03
"""Largest value step between neighbours (on the thumbnail) that still counts as smooth: about the
JPEG noise and gentle gradient of a clear or overcast sky."""


@dataclass(frozen=True)
class Region:
    """Shares (0..1) of the region's pixels of each colour, and its mean value and saturation."""

    brightness: float
    saturation: float
    dark: float
    white: float
    grey: float
    sky_blue: float
    warm: float
    green: float
    foliage: float
    """Strongly saturated red, orange and yellow: autumn leaves, but also red doors and hats."""
    smooth: float
    """Pixels whose value differs from their right and lower neighbours by under SMOOTH_STEP: sky, still
    water, fog and snowfields are smooth, foliage, crowds and buildings are not."""


@dataclass(frozen=True)
class ColourStats:
    whole: Region
    top: Region
    bottom: Region
    contrast: float
    """Standard deviation of the value channel over the whole photo (0..0.5): fog and haze lower it."""


def _region(hue: np.ndarray, sat: np.ndarray, val: np.ndarray, flat: np.ndarray) -> Region:
    def share(mask: np.ndarray) -> float:
        return float(mask.mean()) if mask.size else 0.0

    coloured = (sat > 0.2) & (val > 0.2)
    return Region(
        brightness=float(val.mean()),
        saturation=float(sat.mean()),
        dark=share(val < 0.2),
        white=share((val > 0.75) & (sat < 0.15)),
        grey=share((sat < 0.15) & (val >= 0.35) & (val <= 0.75)),
        sky_blue=share((hue >= 185) & (hue <= 250) & (sat > 0.15) & (val > 0.45)),
        warm=share(((hue <= 50) | (hue >= 290)) & (sat > 0.3) & (val > 0.3)),
        green=share(coloured & (hue >= 65) & (hue <= 150)),
        foliage=share((hue <= 55) & (sat > 0.55) & (val > 0.3)),
        smooth=share(flat),
    )


def measure(image: Image.Image) -> ColourStats:
    small = image.convert("RGB")
    small.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.BILINEAR)
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    hue, sat, val = hsv[..., 0] * 360.0, hsv[..., 1], hsv[..., 2]
    step = np.zeros_like(val)
    step[:-1, :] = np.abs(np.diff(val, axis=0))
    step[:, :-1] = np.maximum(step[:, :-1], np.abs(np.diff(val, axis=1)))
    flat = step < SMOOTH_STEP
    third = max(1, hue.shape[0] // 3)
    top, bottom = slice(0, third), slice(hue.shape[0] - third, hue.shape[0])
    return ColourStats(
        whole=_region(hue, sat, val, flat),
        top=_region(hue[top], sat[top], val[top], flat[top]),
        bottom=_region(hue[bottom], sat[bottom], val[bottom], flat[bottom]),
        contrast=float(val.std()),
    )
