"""Recognition: one digit from a photo, or a whole handwritten expression from strokes or an image."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from digits import DIGITS, SYMBOLS
from digits.grammar import ExpressionError, calculate
from digits.preprocess import (
    MIN_CONTRAST,
    Ink,
    ink_of,
    load_grey,
    normalise,
    prepare_character,
)
from digits.segment import Segment, Segmentation, StrokeError, segment_ink, segment_strokes

MIN_CONFIDENCE = 0.6
MAX_INK_FRACTION = 0.7  # more of the 20x20 box than this is a blob or a photo, not a written character
MAX_SYMBOLS = 80
ALTERNATIVES = 3  # per symbol, tried in order of joint probability when the best reading does not parse
MAX_READINGS = 256
MIN_ALTERNATIVE = 0.05  # a second reading of a symbol is tried only when the model gives it this much


@torch.no_grad()
def probabilities(model: torch.nn.Module, fields: list[np.ndarray]) -> np.ndarray:
    """Softmax outputs for 28×28 inputs in [-0.5, 0.5]."""
    if not fields:
        return np.zeros((0, 0), dtype=np.float32)
    x = torch.from_numpy(np.stack(fields).astype(np.float32)).unsqueeze(1)
    return torch.softmax(model(x).float(), dim=1).numpy()


@dataclass(frozen=True)
class DigitPrediction:
    digit: int | None
    confidence: float
    probabilities: list[float]
    inverted: bool
    reason: str | None
    """Why there is no digit ("blank", "not_a_digit"); None when there is one."""

    def to_dict(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": round(self.confidence, 4),
            "probabilities": {d: round(p, 4) for d, p in zip(DIGITS, self.probabilities, strict=True)},
            "inverted": self.inverted,
            "reason": self.reason,
        }


def predict_digit(source: bytes | str | Path | Image.Image, model: torch.nn.Module,
                  min_confidence: float = MIN_CONFIDENCE) -> DigitPrediction:
    """The digit in a picture of one digit, or None with a reason ("blank" or "not_a_digit")."""
    prepared = prepare_character(source)
    if prepared.field is None:
        return DigitPrediction(None, 0.0, [0.0] * 10, prepared.inverted, "blank")
    probs = probabilities(model, [prepared.field])[0]
    best = int(probs.argmax())
    confidence = float(probs[best])
    reason = None
    if prepared.ink_fraction > MAX_INK_FRACTION or confidence < min_confidence:
        reason = "not_a_digit"
    return DigitPrediction(None if reason else best, confidence, [float(p) for p in probs], prepared.inverted, reason)


@dataclass(frozen=True)
class Symbol:
    char: str
    confidence: float
    box: tuple[int, int, int, int]
    top: list[tuple[str, float]]

    def to_dict(self) -> dict:
        return {"char": self.char, "confidence": round(self.confidence, 4), "box": [round(v) for v in self.box]}


TALL = np.array([c in "0123456789()" for c in SYMBOLS])
SMALL_OPS = np.array([c in "+×÷" for c in SYMBOLS])


def size_prior(segments: list[Segment]) -> np.ndarray:
    """Soft evidence from size, which the 28×28 input no longer shows: operators are written smaller than
    digits. Returns one factor per segment and class (1 where size says nothing)."""
    heights = np.array([s.box[3] - s.box[1] for s in segments], dtype=np.float64)
    prior = np.ones((len(segments), len(SYMBOLS)))
    if len(segments) < 2 or heights.max() <= 0:
        return prior
    reference = float(np.percentile(heights, 75))
    for i, h in enumerate(heights):
        r = h / max(reference, 1e-9)
        if r < 0.7:  # much shorter than the line: unlikely to be a digit or a parenthesis
            prior[i, TALL] = max(0.25, (r / 0.7) ** 2)
        elif r > 0.85:  # as tall as the digits: unlikely to be + × ÷
            prior[i, SMALL_OPS] = 0.4
    return prior


def refine(segmentation: Segmentation, model: torch.nn.Module) -> list[Segment]:
    """Recognition-driven merging: two neighbours whose boxes overlap a little are joined when the model
    is surer of the joined symbol than of the two apart (a 5 whose flag came loose, an = in two pieces)."""
    segments = list(segmentation.segments)
    if len(segments) > MAX_SYMBOLS:
        raise StrokeError("too_many_symbols", f"{len(segments)} symbols found (at most {MAX_SYMBOLS})")
    best = [float(p.max()) for p in probabilities(model, [normalise(s.ink) for s in segments])]
    i = 0
    while i < len(segments) - 1:
        a, b = segments[i], segments[i + 1]
        if min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]) <= 0:
            i += 1
            continue
        joined = segmentation.merged(a, b)
        p = float(probabilities(model, [normalise(joined.ink)])[0].max())
        if p >= 0.5 and p > best[i] * best[i + 1]:
            segments[i : i + 2] = [joined]
            best[i : i + 2] = [p]
            i = max(0, i - 1)
        else:
            i += 1
    return segments


def classify_segments(segments: list[Segment], model: torch.nn.Module) -> list[Symbol]:
    probs = probabilities(model, [normalise(s.ink) for s in segments])
    if len(segments):
        probs = probs * size_prior(segments)
        probs = probs / probs.sum(axis=1, keepdims=True)
    symbols = []
    for seg, p in zip(segments, probs, strict=True):
        order = np.argsort(-p)[:ALTERNATIVES]
        top = [(SYMBOLS[k], float(p[k])) for k in order]
        symbols.append(Symbol(top[0][0], top[0][1], tuple(seg.box), top))
    return symbols


def read_strokes(strokes: list[np.ndarray], model: torch.nn.Module) -> list[Symbol]:
    return classify_segments(refine(segment_strokes(strokes), model), model)


def read_image(source: bytes | str | Path | Image.Image, model: torch.nn.Module) -> list[Symbol]:
    found: Ink = ink_of(load_grey(source))
    if found.contrast < MIN_CONTRAST:
        return []
    return classify_segments(refine(segment_ink(found.ink, found.contrast), model), model)


def readings(symbols: list[Symbol]):
    """Strings for the symbols, most probable first (best-first over each symbol's top alternatives)."""
    options = [[(c, max(p, 1e-9)) for c, p in s.top if p >= MIN_ALTERNATIVE] or [s.top[0]] for s in symbols]
    start = (0,) * len(options)
    cost = lambda picks: -sum(math.log(options[i][k][1]) for i, k in enumerate(picks))  # noqa: E731
    heap, seen = [(cost(start), start)], {start}
    while heap:
        _, picks = heapq.heappop(heap)
        yield "".join(options[i][k][0] for i, k in enumerate(picks)), picks
        for i, k in enumerate(picks):
            if k + 1 < len(options[i]):
                nxt = picks[:i] + (k + 1,) + picks[i + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (cost(nxt), nxt))


def solve(symbols: list[Symbol]) -> dict:
    """The best reading that is a valid expression, evaluated. ExpressionError (for the best reading) if none is.

    Returns ``{"expression", "value", "decimal", "symbols"}``.
    """
    if not symbols:
        raise ExpressionError("empty_expression", "no handwriting found")
    first_error = None
    for n, (text, picks) in enumerate(readings(symbols)):
        if n >= MAX_READINGS:
            break
        try:
            result = calculate(text)
        except ExpressionError as exc:
            if first_error is None:
                first_error = exc
            if exc.code == "division_by_zero" and n == 0:
                break  # a clear reading that divides by zero: say so rather than guess another
            continue
        chosen = [
            Symbol(s.top[k][0], s.top[k][1], s.box, s.top) if k < len(s.top) else s
            for s, k in zip(symbols, picks, strict=True)
        ]
        return {**result.to_dict(), "symbols": [s.to_dict() for s in chosen]}
    assert first_error is not None
    first_error.expression = "".join(s.char for s in symbols)
    first_error.symbols = [s.to_dict() for s in symbols]
    raise first_error
