"""Synthetic handwritten expressions for the benchmark: glyph pictures laid out in a row, and strokes
recovered from a picture by skeletonising it (``digits.skeleton``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digits.grammar import ExpressionError, evaluate
from digits.skeleton import skeletonise, trace

OPS = "+-×÷"
SMALL = "+-×÷="  # drawn at about half the height of a digit


def random_expression(rng: np.random.Generator, max_len: int = 13) -> str:
    """A valid expression (no division by zero) with 2-4 numbers, maybe parentheses, unary minus or a final =."""
    while True:
        terms = []
        for _ in range(int(rng.integers(2, 5))):
            digits = int(rng.choice([1, 1, 2, 2, 3]))
            terms.append(
                "".join(str(rng.integers(1 if k == 0 and digits > 1 else 0, 10)) for k in range(digits))
            )
        ops = [str(rng.choice(list(OPS))) for _ in terms[1:]]
        text = terms[0]
        for op, term in zip(ops, terms[1:], strict=True):
            text += op + term
        if len(terms) >= 3 and rng.random() < 0.35:  # parenthesise two neighbouring terms
            k = int(rng.integers(0, len(terms) - 1))
            pieces = [terms[0]] + [o + t for o, t in zip(ops, terms[1:], strict=True)]
            pieces[k] = "(" + pieces[k] if k == 0 else pieces[k][0] + "(" + pieces[k][1:]
            pieces[k + 1] = pieces[k + 1] + ")"
            text = "".join(pieces)
        if rng.random() < 0.12:
            text = "-" + text
        if rng.random() < 0.3:
            text += "="
        if len(text) > max_len:
            continue
        try:
            evaluate(text)
        except ExpressionError:
            continue
        return text


@dataclass
class GlyphBank:
    """Ink pictures (0..1, background 0) per character, e.g. MNIST test digits and held-out symbol images."""

    glyphs: dict[str, list[np.ndarray]]

    def pick(self, char: str, rng: np.random.Generator) -> np.ndarray:
        pool = self.glyphs[char]
        return pool[int(rng.integers(0, len(pool)))]


def _fit(ink: np.ndarray, height: float | None = None, longest: float | None = None) -> np.ndarray:
    rows, cols = np.nonzero(ink > 0.1)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = ink.shape
    scale = height / h if height else longest / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    out = np.asarray(Image.fromarray(ink.astype(np.float32), "F").resize(size, method))
    return np.clip(out / max(float(out.max()), 1e-6), 0, 1)


def _parts(ink: np.ndarray) -> int:
    return ndimage.label(ink > 0.5, structure=np.ones((3, 3)))[1]


def _fit_wide(ink: np.ndarray, **size: float) -> np.ndarray:
    """A thin-pen symbol picture fitted with a wider pen, so that its lines stay solid once shrunk; the pen
    grows less where the full width would run separate parts together (the bars of =, the dots of ÷)."""
    parts = _parts(ink)
    for side in (5, 3):
        glyph = _fit(ndimage.grey_dilation(np.pad(ink, 3), footprint=np.ones((side, side), bool)), **size)
        if _parts(glyph) >= parts:
            return glyph
    return _fit(ink, **size)


def compose(text: str, bank: GlyphBank, rng: np.random.Generator, height: int = 40) -> Image.Image:
    """The expression as a picture (dark ink on light paper), one glyph per character, left to right."""
    pieces = []
    for char in text:
        ink = bank.pick(char, rng)
        if char in SMALL:
            glyph = _fit_wide(ink, longest=height * rng.uniform(0.45, 0.65))
        elif char in "()":
            glyph = _fit_wide(ink, height=height * rng.uniform(1.0, 1.25))
        else:
            glyph = _fit(ink, height=height * rng.uniform(0.85, 1.1))
        pieces.append(glyph)
    gaps = [int(height * rng.uniform(0.15, 0.45)) for _ in pieces]
    width = sum(p.shape[1] for p in pieces) + sum(gaps) + height
    canvas = np.zeros((int(height * 2), width), dtype=np.float32)
    x = height // 2
    for glyph, gap in zip(pieces, gaps, strict=True):
        h, w = glyph.shape
        top = int(np.clip(canvas.shape[0] / 2 - h / 2 + rng.normal(0, height * 0.04), 0, canvas.shape[0] - h))
        canvas[top : top + h, x : x + w] = np.maximum(canvas[top : top + h, x : x + w], glyph)
        x += w + gap
    return Image.fromarray(np.clip((1 - canvas) * 255, 0, 255).astype(np.uint8), "L")


def strokes_from_picture(image: Image.Image, level: float = 0.5, upscale: int = 2) -> list[list[list[float]]]:
    """Pen strokes recovered from a picture of dark ink on light paper, in the picture's coordinates.

    The picture is enlarged before thinning: at the size of a line of handwriting (digits about 40 pixels
    high) a skeleton fills small loops and cuts corners that a pen on a canvas would have drawn. Loops that
    filled with ink are opened again (``skeleton.open_blobs``).
    """
    ink = Image.fromarray(1 - np.asarray(image.convert("L"), dtype=np.float32) / 255, "F")
    big = np.asarray(ink.resize((ink.width * upscale, ink.height * upscale), Image.Resampling.BILINEAR))
    return [[[x / upscale, y / upscale] for x, y in stroke] for stroke in trace(skeletonise(big > level))]
