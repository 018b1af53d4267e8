"""Synthetic handwritten expressions for the benchmark: glyph pictures laid out in a row, and strokes
recovered from a picture by skeletonising it (Zhang-Suen thinning, then tracing the skeleton into paths).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digits.grammar import ExpressionError, evaluate

OPS = "+-×÷"
SMALL = "+-×÷="  # drawn at about half the height of a digit


def random_expression(rng: np.random.Generator, max_len: int = 13) -> str:
    """A valid expression (no division by zero) with 2-4 numbers, maybe parentheses, unary minus or a final =."""
    while True:
        terms = []
        for _ in range(int(rng.integers(2, 5))):
            digits = int(rng.choice([1, 1, 2, 2, 3]))
            terms.append("".join(str(rng.integers(1 if k == 0 and digits > 1 else 0, 10)) for k in range(digits)))
        ops = [str(rng.choice(list(OPS))) for _ in terms[1:]]
        text = terms[0]
        for op, term in zip(ops, terms[1:], strict=True):
            text += op + term
        if len(terms) >= 3 and rng.random() < 0.35:  # parenthesise two neighbouring terms
            k = int(rng.integers(0, len(terms) - 1))
            pieces = [terms[0]] + [o + t for o, t in zip(ops, terms[1:], strict=True)]
            pieces[k] = ("(" if k == 0 else pieces[k][0] + "(" + pieces[k][1:])
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


def compose(text: str, bank: GlyphBank, rng: np.random.Generator, height: int = 40) -> Image.Image:
    """The expression as a picture (dark ink on light paper), one glyph per character, left to right."""
    pieces = []
    for char in text:
        ink = bank.pick(char, rng)
        if char in SMALL or char in "()":
            # thin-pen symbol pictures: widen the pen before shrinking so that the lines stay solid
            ink = ndimage.grey_dilation(np.pad(ink, 3), footprint=np.ones((5, 5), bool))
            if char in SMALL:
                glyph = _fit(ink, longest=height * rng.uniform(0.45, 0.65))
            else:
                glyph = _fit(ink, height=height * rng.uniform(1.0, 1.25))
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


_NEIGHBOURS = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]  # p2..p9, clockwise from north


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean picture to one-pixel-wide lines."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(np.roll(img, -dy, 0), -dx, 1) for dy, dx in _NEIGHBOURS]
            b = sum(p)
            a = sum(((p[k] == 0) & (p[(k + 1) % 8] == 1)).astype(np.uint8) for k in range(8))
            if step == 0:
                c = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                c = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (img == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if remove.any():
                img[remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def trace(skeleton: np.ndarray) -> list[list[list[float]]]:
    """A skeleton as pen-like strokes: paths start at line ends where there are some and go straight on
    through crossings (so a + gives a bar and the two halves of the other bar, as a pen would draw it).
    """
    ys, xs = np.nonzero(skeleton)
    pixels = set(zip(ys.tolist(), xs.tolist(), strict=True))

    def neighbours(p):
        y, x = p
        near = [(y + dy, x + dx) for dy, dx in ((-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1))]
        return [q for q in near if q in pixels]

    def straightest(path, options):
        if len(path) < 2:
            return options[0]
        back = path[max(0, len(path) - 5)]
        dy, dx = path[-1][0] - back[0], path[-1][1] - back[1]
        norm = max(1e-9, (dy * dy + dx * dx) ** 0.5)

        def turn(q):
            qy, qx = q[0] - path[-1][0], q[1] - path[-1][1]
            return -(qy * dy + qx * dx) / (norm * (qy * qy + qx * qx) ** 0.5)

        return min(options, key=turn)

    visited: set = set()
    strokes = []
    while len(visited) < len(pixels):
        todo = [p for p in pixels if p not in visited]
        ends = [p for p in todo if len(neighbours(p)) == 1]
        start = min(ends or todo)
        path = [start]
        joined = [q for q in neighbours(start) if q in visited]
        if joined:
            path.insert(0, joined[0])
        visited.add(start)
        while True:
            options = [q for q in neighbours(path[-1]) if q not in visited]
            if not options:
                close = [q for q in neighbours(path[-1]) if q in visited and q not in path[-3:]]
                if close:
                    path.append(close[0])
                break
            nxt = straightest(path, options)
            # corner pixels of a staircase touch both ends of the step: the stroke covers them
            visited.update(q for q in options if q in neighbours(nxt))
            visited.add(nxt)
            path.append(nxt)
        strokes.append([[float(x), float(y)] for y, x in path])
    strokes.sort(key=lambda s: min(p[0] for p in s))
    return strokes


def strokes_from_picture(image: Image.Image, level: float = 0.5) -> list[list[list[float]]]:
    """Pen strokes recovered from a picture of dark ink on light paper."""
    ink = 1 - np.asarray(image.convert("L"), dtype=np.float32) / 255
    return trace(thin(ink > level))
