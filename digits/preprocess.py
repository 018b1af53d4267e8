"""From any picture of handwriting to MNIST's 28×28 input. Pure functions on numpy arrays.

MNIST's own normalisation: the ink is cropped, scaled to fit a 20×20 box keeping the aspect ratio
(anti-aliased), and placed in a 28×28 field with its centre of mass at the centre. Pixels are then
mapped to [-0.5, 0.5] with -0.5 (raw 0) as the background and 0.5 as full ink.

Photos add three steps before that: grey conversion, polarity detection (dark ink on light paper or
the reverse) and flattening of uneven lighting, so that "ink" is the contrast against the local paper.
Thin pens are thickened to MNIST's stroke width relative to the symbol's size, so a canvas drawing,
a 45×45 CROHME symbol and a marker photo all look alike to the models.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from core.errors import UserError

FIELD = 28
BOX = 20
CENTRE = 14.0  # MNIST's mean centre of mass, in pixel-index coordinates
STROKE_RATIO = 0.13  # thin pens are widened to this share of the longest side (MNIST's own is about 0.11)
MAX_SIDE = 1024  # pictures are reduced to this before anything else
MAX_PIXELS = 40_000_000
MIN_CONTRAST = 0.15  # weaker ink than this (on a 0..1 scale) is treated as a blank picture


class BadImage(UserError):
    code = "bad_image"


@dataclass(frozen=True)
class Ink:
    """A picture as ink strength in [0, 1] (1 = full ink), with what was detected on the way."""

    ink: np.ndarray
    inverted: bool
    """True when the picture had light ink on a dark background."""
    contrast: float


def load_grey(source: bytes | str | Path | Image.Image, max_side: int = MAX_SIDE) -> np.ndarray:
    """Any JPG/PNG (colour, grey, with alpha) as float32 grey in [0, 1], upright, longest side ≤ ``max_side``."""
    try:
        if isinstance(source, Image.Image):
            image = source
        elif isinstance(source, bytes):
            image = Image.open(io.BytesIO(source))
        else:
            image = Image.open(source)
        if image.width * image.height > MAX_PIXELS:
            raise BadImage(
                f"the image has {image.width}×{image.height} pixels (at most {MAX_PIXELS:,} in all)"
            )
        image.load()
        image = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadImage(f"not a readable image ({exc})") from exc
    if image.width < 1 or image.height < 1:
        raise BadImage("the image is empty")
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BOX
        )
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255
        grey = np.asarray(image.convert("RGBA").convert("L"), dtype=np.float32) / 255
        alpha = rgba[..., 3]
        if alpha.min() < 1:
            # Transparent background (a canvas export): put it behind the ink in the opposite shade.
            opaque = alpha.sum()
            ink_shade = float((grey * alpha).sum() / opaque) if opaque > 0 else 0.0
            backdrop = 1.0 if ink_shade < 0.5 else 0.0
            grey = alpha * grey + (1 - alpha) * backdrop
        return grey.astype(np.float32)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255


def otsu(values: np.ndarray, bins: int = 64) -> float:
    """Otsu's threshold of ``values`` in [0, 1]."""
    hist, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1e-9)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1e-9)
    between = w0 * w1 * (mu0 - mu1) ** 2
    between = between[:-1]
    ties = np.nonzero(between >= between.max() * (1 - 1e-9))[0]  # a flat top: take its middle
    return float((edges[1:][ties[0]] + edges[1:][ties[-1]]) / 2)


def light_background(grey: np.ndarray) -> bool:
    """Is the paper lighter than the ink? The border is mostly paper; the ink is the minority class."""
    t = otsu(grey)
    h, w = grey.shape
    k = max(1, min(h, w) // 20)
    border = np.concatenate([grey[:k].ravel(), grey[-k:].ravel(), grey[:, :k].ravel(), grey[:, -k:].ravel()])
    b = float(np.median(border))
    if abs(b - t) > 0.05:
        return b > t
    return (grey > t).mean() >= 0.5


def ink_of(grey: np.ndarray) -> Ink:
    """Ink strength: contrast against a local estimate of the paper, whatever the polarity and lighting."""
    light = light_background(grey)
    paper = grey if light else 1.0 - grey
    h, w = paper.shape
    block = max(2, max(h, w) // 16)
    gh, gw = -(-h // block), -(-w // block)
    padded = np.pad(paper, ((0, gh * block - h), (0, gw * block - w)), mode="edge")
    grid = padded.reshape(gh, block, gw, block).max(axis=(1, 3))
    grid = ndimage.maximum_filter(grid, size=3, mode="nearest")
    grid = ndimage.uniform_filter(grid, size=3, mode="nearest")
    background = np.asarray(
        Image.fromarray(grid.astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR)
    )
    ink = np.clip(background - paper, 0.0, 1.0)
    contrast = float(np.percentile(ink, 99.9)) if ink.size else 0.0
    if contrast >= MIN_CONTRAST:
        ink = _fill_dark_holes(ink, paper, contrast)
    return Ink(ink=ink.astype(np.float32), inverted=not light, contrast=contrast)


def _fill_dark_holes(ink: np.ndarray, paper: np.ndarray, contrast: float) -> np.ndarray:
    """The local paper estimate turns a large filled area into its outline; a hole inside the ink that is
    as dark as the ink is ink, not paper (a filled blob stays a blob, the hole of a 0 stays paper)."""
    mask = ink > 0.35 * contrast
    holes = ndimage.binary_fill_holes(mask) & ~mask
    if not holes.any() or mask.all():
        return ink
    ink_level = float(paper[mask].mean())
    paper_level = float(np.median(paper[~(mask | holes)])) if (~(mask | holes)).any() else 1.0
    labels, n = ndimage.label(holes)
    means = np.asarray(ndimage.mean(paper, labels, index=np.arange(1, n + 1)))
    dark = np.r_[False, means < (ink_level + paper_level) / 2]
    if not dark.any():
        return ink
    filled = ink.copy()
    filled[dark[labels]] = np.clip(paper_level - paper[dark[labels]], 0.0, 1.0)
    return filled


def clean_ink(ink: np.ndarray, contrast: float, min_part: float = 0.03) -> np.ndarray:
    """Noise removed: weak pixels dropped, specks much smaller than the largest stroke dropped, rescaled to 0..1."""
    threshold = max(0.35 * contrast, 0.5 * MIN_CONTRAST)
    mask = ink > threshold
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return np.zeros_like(ink)
    areas = np.bincount(labels.ravel())[1:]
    keep = np.zeros(n + 1, dtype=bool)
    keep[1:] = areas >= max(1.0, min_part * areas.max())
    kept = ndimage.binary_dilation(keep[labels], iterations=1)
    low = 0.5 * threshold
    out = np.clip((ink - low) / max(contrast - low, 1e-6), 0.0, 1.0)
    return np.where(kept, out, 0.0).astype(np.float32)


def bbox(ink: np.ndarray, level: float = 0.0) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), exclusive ends, of the pixels above ``level``; None if there are none."""
    rows, cols = np.nonzero(ink > level)
    if len(rows) == 0:
        return None
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels (from the distance transform of the inked pixels)."""
    mask = ink > 0.5
    if not mask.any():
        return 0.0
    dt = ndimage.distance_transform_edt(mask)
    return float(2 * np.percentile(dt[mask], 90) - 1)


def _disk(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius + radius


def _resize(ink: np.ndarray, width: int, height: int) -> np.ndarray:
    shrink = width < ink.shape[1] or height < ink.shape[0]
    method = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(ink.astype(np.float32), "F").resize((width, height), method))


def normalise(crop: np.ndarray, thicken: bool = True) -> np.ndarray:
    """A crop of ink (0..1, background 0) → the 28×28 MNIST input in [-0.5, 0.5].

    Thin strokes are thickened to MNIST's width relative to the longest side, the ink is scaled to fit
    20×20 keeping its aspect ratio and shifted so its centre of mass sits at the field's centre.
    """
    box = bbox(crop)
    if box is None:
        return np.full((FIELD, FIELD), -0.5, dtype=np.float32)
    top, left, bottom, right = box
    crop = crop[top:bottom, left:right]
    longest = max(crop.shape)
    if longest > 96:  # work at a modest size: thickening big pictures is slow and gains nothing
        scale = 96 / longest
        crop = _resize(crop, max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = np.clip(crop / max(float(crop.max()), 1e-6), 0, 1)
        longest = max(crop.shape)
    if thicken:
        target = STROKE_RATIO * longest
        width = stroke_width(crop)
        if width < 0.5 * target:  # only clearly thin pens: MNIST-like strokes stay as they are
            radius = max(1, round((target - max(width, 1.0)) / 2))
            crop = np.pad(crop, radius)
            crop = ndimage.grey_dilation(crop, footprint=_disk(radius))
            longest = max(crop.shape)
    scale = BOX / longest
    w, h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    small = np.clip(_resize(crop, w, h), 0.0, None)
    peak = float(small.max())
    if peak <= 0:
        return np.full((FIELD, FIELD), -0.5, dtype=np.float32)
    small = np.clip(small / peak, 0.0, 1.0)
    cy, cx = ndimage.center_of_mass(small)
    top = int(np.clip(round(CENTRE - cy), 0, FIELD - h))
    left = int(np.clip(round(CENTRE - cx), 0, FIELD - w))
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top : top + h, left : left + w] = small
    return field - 0.5


@dataclass(frozen=True)
class Prepared:
    """A picture of one character, ready for the models, with what tells a character from a scene."""

    field: np.ndarray | None
    """The 28×28 input in [-0.5, 0.5]; None when the picture is blank."""
    inverted: bool
    ink_fraction: float
    """Share of the 20×20 box that is ink (a filled blob or a photo of a scene is not a character)."""
    ink_cover: float = 0.0
    """Share of the whole picture that is ink: a written character leaves most of the paper blank."""
    border_ink: float = 0.0
    """Share of the picture's edge that is ink: a character lies on the paper, a scene runs off the edges."""


def prepare_character(source: bytes | str | Path | Image.Image) -> Prepared:
    """The whole pipeline for a picture of one digit or symbol."""
    found = ink_of(load_grey(source))
    if found.contrast < MIN_CONTRAST:
        return Prepared(None, found.inverted, 0.0)
    ink = clean_ink(found.ink, found.contrast)
    if bbox(ink) is None:
        return Prepared(None, found.inverted, 0.0)
    field = normalise(ink)
    mask = ink > 0
    edge = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    return Prepared(
        field,
        found.inverted,
        float((field > 0).mean() * FIELD * FIELD / (BOX * BOX)),
        ink_cover=float(mask.mean()),
        border_ink=float(edge.mean()),
    )


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images (0 background, 255 ink) → float32 in [-0.5, 0.5]."""
    return images.astype(np.float32) / 255.0 - 0.5
