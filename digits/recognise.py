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
from digits.segment import (
    Box,
    Segment,
    Segmentation,
    StrokeError,
    extent,
    segment_ink,
    segment_strokes,
    union,
)

MIN_CONFIDENCE = 0.6
# Shape plausibility of a photo of one digit (measured on 1,000 digit photos, and on the 96 scene photos and
# 1,000 ImageNet photos of the data mirror: no digit photo fails these, most of the others do):
MAX_INK_FRACTION = 0.7  # more of the 20x20 box than this is a blob or a photo, not a written character
MAX_INK_COVER = 0.5  # ink over more than half of the picture is not a character on paper
MAX_BORDER_INK = 0.1  # nor is ink along more than a tenth of the picture's edge
MAX_SYMBOLS = 80
ALTERNATIVES = 3  # per symbol, tried in order of joint probability when the best reading does not parse
MAX_READINGS = 256
MIN_ALTERNATIVE = 0.05  # a second reading of a symbol is tried only when the model gives it this much
MAX_RUN = 4  # a symbol is made of at most this many neighbouring groups
JOIN_GAP = 0.09  # groups further apart than this share of the line's height are never one symbol ...
MAX_WIDTH = 1.5  # ... nor is a run wider than this share of the line's height (a bold 5 with a long flag)
SYMBOL_COST = 0.1  # nats each symbol costs: a whole read at 0.9 beats two fragments read at 0.99
SPECK = 0.3  # a group smaller than this share of the digits' height may be a stray mark ...
SKIP_COST = 1.5  # ... and is left out when reading it as a symbol costs more than this (nats)
DOT = 0.08  # parts smaller than this share of the line's height are dots (taps, the dots of a ÷, noise)
# operators sit halfway up the digits beside them: one this many digit heights off that line is less likely
OFF_CENTRE, OFF_RANGE, OFF_FLOOR = 0.25, 0.2, 0.1  # ... by a factor falling from 1 to the floor over the range


@torch.no_grad()
def probabilities(model: torch.nn.Module, fields: list[np.ndarray]) -> np.ndarray:
    """Softmax outputs for 28×28 inputs in [-0.5, 0.5]."""
    if not fields:
        return np.zeros((0, 0), dtype=np.float32)
    x = torch.from_numpy(np.stack(fields).astype(np.float32)).unsqueeze(1)
    return torch.softmax(model(x).float(), dim=1).numpy()


@dataclass(frozen=True)
class Reader:
    """The models that read an expression: the symbol classifier, and optionally the digit CNN, which knows
    digits better (99.6% on MNIST's test set against the symbol classifier's 98.8%)."""

    symbols: torch.nn.Module
    digits: torch.nn.Module | None = None

    def probabilities(self, fields: list[np.ndarray]) -> np.ndarray:
        """Class probabilities: the symbol classifier says whether it is a digit or which other symbol, the
        digit CNN (when there is one) which digit."""
        p = probabilities(self.symbols, fields)
        if self.digits is None or not fields:
            return p
        mass = p[:, :10].sum(axis=1, keepdims=True)
        return np.concatenate([mass * probabilities(self.digits, fields), p[:, 10:]], axis=1)


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
    implausible = (prepared.ink_fraction > MAX_INK_FRACTION or prepared.ink_cover > MAX_INK_COVER
                   or prepared.border_ink > MAX_BORDER_INK)
    if implausible or confidence < min_confidence:
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
PARENS = np.array([c in "()" for c in SYMBOLS])
OPERATORS = np.array([c in "+-×÷=" for c in SYMBOLS])
PLAIN_DIGITS = np.array([c in "023456789" for c in SYMBOLS])  # "1" is left out: it is easily a parenthesis


def size_prior(heights: np.ndarray, digit_height: float) -> np.ndarray:
    """Soft evidence from size, which the 28×28 input no longer shows: operators are written smaller than
    digits, parentheses taller (which tells a ( from a curved 1). One factor per height and class (1 where
    size says nothing), against the height of the line's digits."""
    prior = np.ones((len(heights), len(SYMBOLS)))
    if digit_height <= 0:
        return prior
    for i, h in enumerate(heights):
        r = h / digit_height
        if r < 0.7:  # much shorter than the digits: unlikely to be a digit or a parenthesis
            prior[i, TALL] = max(0.25, (r / 0.7) ** 2)
        elif r > 0.85:  # as tall as the digits: unlikely to be + × ÷
            prior[i, SMALL_OPS] = 0.4
        if 0.7 <= r < 1.1:  # no taller than the digits: less likely a parenthesis
            prior[i, PARENS] = max(0.15, (r - 0.9) / 0.2)
    return prior


def position_prior(boxes: np.ndarray, digit_boxes: np.ndarray, digit_height: float) -> np.ndarray:
    """Soft evidence from where a symbol sits: operators are written about halfway up the digits beside them
    (a 5's flag that came loose sits at their top, and is no minus). One factor per box and class, against
    the line through the centres of the digits (which follows writing that climbs or falls)."""
    prior = np.ones((len(boxes), len(SYMBOLS)))
    if digit_height <= 0 or not len(digit_boxes):
        return prior
    dx, dy = _centres(digit_boxes[np.argsort(digit_boxes[:, 0] + digit_boxes[:, 2])])
    x, y = _centres(boxes)
    off = np.abs(y - np.interp(x, dx, dy)) / digit_height
    prior[:, OPERATORS] = np.clip(1 - (off - OFF_CENTRE) / OFF_RANGE, OFF_FLOOR, 1)[:, None]
    return prior


def _centres(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2


def plain_digits(probs: np.ndarray) -> np.ndarray:
    """Which symbols read clearly as digits other than 1 (a 1 may be a parenthesis)."""
    return PLAIN_DIGITS[probs.argmax(axis=1)] & (probs.max(axis=1) >= 0.5) if len(probs) else np.zeros(0, bool)


def digit_height(heights: np.ndarray, probs: np.ndarray) -> float:
    """Median height of the symbols that read as digits other than 1 (0 when there are none)."""
    digits = plain_digits(probs)
    return float(np.median(heights[digits])) if np.any(digits) else 0.0


def _gap(a: Box, b: Box) -> float:
    """Horizontal space between two boxes (negative when they overlap)."""
    return max(a[0], b[0]) - min(a[2], b[2])


def segment_symbols(segmentation: Segmentation, reader: Reader) -> list[tuple[Segment, np.ndarray]]:
    """Recognition-driven segmentation: the grouping rules leave pieces that may still belong together (a 5
    whose flag came loose, a 1 drawn in two pieces, the dots of a ÷ set apart). Every run of up to ``MAX_RUN``
    neighbouring groups that is close and narrow enough to be one symbol is classified, and dynamic
    programming picks the split of the row into symbols that the classifier finds most probable, each
    symbol paying ``SYMBOL_COST`` so that confident fragments do not win over the whole; specks may be
    left out, and groups of dots are. The size prior weighs every reading against the height of the line's
    digits, the position prior every operator against the line through their centres.

    Returns the chosen segments, left to right, with their class probabilities (size prior included).
    """
    groups = segmentation.segments
    if len(groups) > MAX_SYMBOLS:
        raise StrokeError("too_many_symbols", f"{len(groups)} symbols found (at most {MAX_SYMBOLS})")
    if not groups:
        return []
    line = max(g.box[3] for g in groups) - min(g.box[1] for g in groups)
    runs: list[tuple[int, int]] = []
    for i in range(len(groups)):
        box = groups[i].box
        runs.append((i, i))
        for j in range(i + 1, min(len(groups), i + MAX_RUN)):
            if _gap(box, groups[j].box) > JOIN_GAP * line:
                break
            box = union([box, groups[j].box])
            if box[2] - box[0] > MAX_WIDTH * line:
                break
            runs.append((i, j))
    segments = {(i, j): segmentation.merged(groups[i : j + 1]) for i, j in runs}
    boxes = np.array([segments[r].box for r in runs], dtype=np.float64)
    heights = boxes[:, 3] - boxes[:, 1]
    probs = reader.probabilities([normalise(segments[r].ink) for r in runs])
    single = np.array([i == j for i, j in runs])
    height = digit_height(heights[single], probs[single])
    weighted = probs * size_prior(heights, height)
    weighted *= position_prior(boxes, boxes[single][plain_digits(probs[single])], height)
    # the cost keeps the prior's penalty (a tiny piece read as a digit is improbable, whatever it looks like)
    options = [(i, j, SYMBOL_COST - math.log(max(float(p.max()), 1e-12)), True)
               for (i, j), p in zip(runs, weighted, strict=True)]
    # a speck (an accidental tap, a stray mark) may be left out, at a price; dots alone are no symbol (a
    # column of scanner noise reads as a 1), though they may still join a neighbour (the dots of a ÷)
    for i, g in enumerate(groups):
        if all(extent(segmentation.boxes[m]) < DOT * line for m in g.members):
            options.append((i, i, 0.0, False))
        elif extent(g.box) < SPECK * height:
            options.append((i, i, SKIP_COST, False))
    options.sort(key=lambda o: o[0])  # by start, so that best[i] is final when it is used
    best: list[float] = [0.0] + [math.inf] * len(groups)
    back: list[tuple[int, int, bool] | None] = [None] * (len(groups) + 1)
    for i, j, cost, keep in options:
        if best[i] + cost < best[j + 1]:
            best[j + 1], back[j + 1] = best[i] + cost, (i, j, keep)
    normalised = dict(zip(runs, weighted / weighted.sum(axis=1, keepdims=True), strict=True))
    chosen, end = [], len(groups)
    while end > 0:
        i, j, keep = back[end]
        if keep:
            chosen.append((segments[(i, j)], normalised[(i, j)]))
        end = i
    return chosen[::-1]


def symbols_of(segmentation: Segmentation, reader: Reader) -> list[Symbol]:
    symbols = []
    for seg, p in segment_symbols(segmentation, reader):
        order = np.argsort(-p)[:ALTERNATIVES]
        top = [(SYMBOLS[k], float(p[k])) for k in order]
        symbols.append(Symbol(top[0][0], top[0][1], tuple(seg.box), top))
    return symbols


def read_strokes(strokes: list[np.ndarray], reader: Reader) -> list[Symbol]:
    return symbols_of(segment_strokes(strokes), reader)


def read_image(source: bytes | str | Path | Image.Image, reader: Reader) -> list[Symbol]:
    found: Ink = ink_of(load_grey(source))
    if found.contrast < MIN_CONTRAST:
        return []
    return symbols_of(segment_ink(found.ink, found.contrast), reader)


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
