"""Test helpers for the handwriting module: hand-made stroke templates and pictures drawn with Pillow."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.settings import PROJECT_ROOT


def _arc(cx, cy, rx, ry, a0, a1, n=24):
    return [
        (cx + rx * math.cos(a0 + (a1 - a0) * k / n), cy + ry * math.sin(a0 + (a1 - a0) * k / n))
        for k in range(n + 1)
    ]


# Each symbol as strokes of (x, y) points in a box 0.6 wide and 1 tall (y grows downwards).
TEMPLATES: dict[str, list[list[tuple[float, float]]]] = {
    "0": [_arc(0.3, 0.5, 0.27, 0.48, -math.pi / 2, 3 * math.pi / 2)],
    "1": [[(0.12, 0.2), (0.32, 0.0), (0.32, 1.0)]],
    "2": [
        [
            (0.05, 0.25),
            (0.15, 0.05),
            (0.35, 0.0),
            (0.5, 0.1),
            (0.55, 0.3),
            (0.45, 0.5),
            (0.05, 1.0),
            (0.6, 1.0),
        ]
    ],
    "3": [
        [
            (0.05, 0.1),
            (0.3, 0.0),
            (0.5, 0.1),
            (0.5, 0.35),
            (0.25, 0.48),
            (0.5, 0.6),
            (0.55, 0.85),
            (0.35, 1.0),
            (0.05, 0.92),
        ]
    ],
    "4": [[(0.4, 0.0), (0.0, 0.65), (0.6, 0.65)], [(0.45, 0.3), (0.45, 1.0)]],
    "5": [
        [(0.55, 0.0), (0.1, 0.0)],
        [(0.1, 0.0), (0.05, 0.45), (0.35, 0.4), (0.55, 0.6), (0.5, 0.9), (0.3, 1.0), (0.05, 0.9)],
    ],
    "6": [
        [
            (0.5, 0.05),
            (0.25, 0.2),
            (0.08, 0.55),
            (0.1, 0.85),
            (0.3, 1.0),
            (0.5, 0.9),
            (0.55, 0.7),
            (0.4, 0.55),
            (0.2, 0.58),
            (0.08, 0.7),
        ]
    ],
    "7": [[(0.0, 0.0), (0.6, 0.0), (0.25, 1.0)]],
    "8": [[(0.3 + 0.25 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t)) for t in np.linspace(0, 2 * math.pi, 40)]],
    "9": [_arc(0.3, 0.25, 0.24, 0.24, 0, 2 * math.pi) + [(0.52, 0.4), (0.45, 1.0)]],
    "+": [[(0.0, 0.5), (0.6, 0.5)], [(0.3, 0.2), (0.3, 0.8)]],
    "-": [[(0.0, 0.5), (0.6, 0.5)]],
    "×": [[(0.05, 0.25), (0.55, 0.75)], [(0.55, 0.25), (0.05, 0.75)]],
    "÷": [[(0.0, 0.5), (0.6, 0.5)], [(0.3, 0.25)], [(0.3, 0.75)]],
    "=": [[(0.0, 0.38), (0.6, 0.38)], [(0.0, 0.62), (0.6, 0.62)]],
    "(": [[(0.4 - 0.3 * math.sin(math.pi * s), s) for s in np.linspace(0, 1, 20)]],
    ")": [[(0.1 + 0.3 * math.sin(math.pi * s), s) for s in np.linspace(0, 1, 20)]],
}
OPERATORS = "+-×÷="


def expression_strokes(
    text: str, height: float = 80.0, gap: float = 22.0, origin=(30.0, 30.0), templates=TEMPLATES
) -> list[list[list[float]]]:
    """Canvas-style strokes for ``text`` written with the templates, left to right."""
    strokes, x = [], origin[0]
    for char in text:
        size = 0.55 * height if char in OPERATORS else height
        top = origin[1] + (height - size) / 2
        for stroke in templates[char]:
            strokes.append([[round(x + px * size, 1), round(top + py * size, 1)] for px, py in stroke])
        x += 0.6 * size + gap
    return strokes


def draw_strokes(strokes, size=None, width=6, ink=0, paper=255, mode="L") -> Image.Image:
    pts = np.concatenate([np.array(s, dtype=float) for s in strokes])
    w, h = size or (int(pts[:, 0].max()) + 40, int(pts[:, 1].max()) + 40)
    image = Image.new(mode, (w, h), paper)
    draw = ImageDraw.Draw(image)
    for s in strokes:
        if len(s) == 1:
            x, y = s[0]
            draw.ellipse((x - width, y - width, x + width, y + width), fill=ink)
        else:
            draw.line([tuple(p) for p in s], fill=ink, width=width, joint="curve")
    return image


def digit_image(digit: str, size=(200, 260), width=14, ink=0, paper=255, mode="L") -> Image.Image:
    strokes = expression_strokes(digit, height=size[1] * 0.6, origin=(size[0] * 0.3, size[1] * 0.2))
    return draw_strokes(strokes, size=size, width=width, ink=ink, paper=paper, mode=mode)


SHIPPED = PROJECT_ROOT / "data" / "models" / "digits"


def shipped(kind: str) -> Path:
    path = SHIPPED / f"{kind}.safetensors"
    if not path.is_file():
        pytest.skip(
            f"needs the shipped {kind} weights ({path}); train them with `couplet digits train --model {kind}`"
        )
    return path
