"""Recognition: one digit from a photo, or a whole handwritten expression from strokes or an image."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from digits import DIGITS, SYMBOLS
from digits.grammar import START, ExpressionError, calculate, complete, follow
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
SYMBOL_SAY = 0.3  # the symbol classifier's weight, against the CNN's, in which digit a symbol is
# Shape plausibility of a photo of one digit (measured on 1,000 digit photos, and on the 96 scene photos and
# 1,000 ImageNet photos of the data mirror: no digit photo fails these, most of the others do):
MAX_INK_FRACTION = 0.7  # more of the 20x20 box than this is a blob or a photo, not a written character
MAX_INK_COVER = 0.5  # ink over more than half of the picture is not a character on paper
MAX_BORDER_INK = 0.1  # nor is ink along more than a tenth of the picture's edge
MAX_SYMBOLS = 80
OVERRULE = 4.6  # nats: the grammar may choose a reading up to 100 times less probable than the model's best
MIN_READING = 0.01  # a symbol is read as any class the model gives this much, if the expression needs it
MAX_RUN = 4  # a symbol is made of at most this many neighbouring groups
JOIN_GAP = (
    0.09  # groups further apart than this share of the line's height (and a pen) are never one symbol ...
)
MAX_WIDTH = 1.5  # ... nor is a run wider than this share of the line's height (a bold 5 with a long flag)
FLAG_GAP = 0.35  # but a flat piece at the top of a digit (a 5's loose flag) may lie this far off and join it:
FLAG_HEIGHT = 0.25  # flatter than this share of the line's height, and wider
FLAG_TOP = 0.25  # lying wholly above this share of the digit's height, where no operator is written
SYMBOL_COST = 0.1  # nats each symbol costs: a whole read at 0.9 beats two fragments read at 0.99
SPECK = 0.3  # a group smaller than this share of the digits' height may be a stray mark ...
SKIP_COST = 1.5  # ... and is left out when reading it as a symbol costs more than this (nats)
DOT = 0.08  # parts smaller than this share of the line's height are dots (taps, the dots of a ÷, noise)
# operators sit halfway up the digits beside them: one this many digit heights off that line is less likely
OFF_CENTRE, OFF_RANGE, OFF_FLOOR = (
    0.25,
    0.2,
    0.1,
)  # ... by a factor falling from 1 to the floor over the range


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
        """Class probabilities: the symbol classifier says whether it is a digit or which other symbol; which
        digit, the digit CNN (when there is one) and the symbol classifier say together, the CNN weighing more."""
        p = probabilities(self.symbols, fields)
        if self.digits is None or not fields:
            return p
        mass = p[:, :10].sum(axis=1, keepdims=True)
        # a weighted product of the two; the symbol classifier's digit mass is a constant factor, normalised away
        digits = np.exp(
            SYMBOL_SAY * np.log(np.maximum(p[:, :10], 1e-9))
            + (1 - SYMBOL_SAY) * np.log(np.maximum(probabilities(self.digits, fields), 1e-9))
        )
        return np.concatenate([mass * digits / digits.sum(axis=1, keepdims=True), p[:, 10:]], axis=1)


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


def predict_digit(
    source: bytes | str | Path | Image.Image, model: torch.nn.Module, min_confidence: float = MIN_CONFIDENCE
) -> DigitPrediction:
    """The digit in a picture of one digit, or None with a reason ("blank" or "not_a_digit")."""
    prepared = prepare_character(source)
    if prepared.field is None:
        return DigitPrediction(None, 0.0, [0.0] * 10, prepared.inverted, "blank")
    probs = probabilities(model, [prepared.field])[0]
    best = int(probs.argmax())
    confidence = float(probs[best])
    reason = None
    implausible = (
        prepared.ink_fraction > MAX_INK_FRACTION
        or prepared.ink_cover > MAX_INK_COVER
        or prepared.border_ink > MAX_BORDER_INK
    )
    if implausible or confidence < min_confidence:
        reason = "not_a_digit"
    return DigitPrediction(
        None if reason else best, confidence, [float(p) for p in probs], prepared.inverted, reason
    )


@dataclass(frozen=True)
class Symbol:
    char: str
    confidence: float
    box: tuple[int, int, int, int]

    def to_dict(self) -> dict:
        return {
            "char": self.char,
            "confidence": round(self.confidence, 4),
            "box": [round(v) for v in self.box],
        }


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
    return (
        PLAIN_DIGITS[probs.argmax(axis=1)] & (probs.max(axis=1) >= 0.5) if len(probs) else np.zeros(0, bool)
    )


def digit_height(heights: np.ndarray, probs: np.ndarray) -> float:
    """Median height of the symbols that read as digits other than 1 (0 when there are none)."""
    digits = plain_digits(probs)
    return float(np.median(heights[digits])) if np.any(digits) else 0.0


def _flag(box: Box, left: Box, line: float) -> bool:
    """A flat piece at the top of the symbol to its left: a 5's flag that came loose."""
    return (
        box[3] - box[1] < FLAG_HEIGHT * line < box[2] - box[0]
        and left[3] - left[1] > line / 2
        and box[3] < left[1] + FLAG_TOP * (left[3] - left[1])
    )


def _joins(left: Box, right: Box, line: float, pen: float, beside: bool) -> bool:
    """Whether ``right`` lies close enough to ``left`` to be part of one symbol with it: within the join gap
    (and the pen's width), or, for the group just beside it, a 5's loose flag within ``FLAG_GAP``."""
    gap = _gap(left, right)
    return gap <= (JOIN_GAP + pen) * line or (beside and gap <= FLAG_GAP * line and _flag(right, left, line))


def _gap(a: Box, b: Box) -> float:
    """Horizontal space between two boxes (negative when they overlap)."""
    return max(a[0], b[0]) - min(a[2], b[2])


def segment_symbols(segmentation: Segmentation, reader: Reader) -> list[tuple[Segment, str, float]]:
    """Recognition-driven segmentation: the grouping rules leave pieces that may still belong together (a 5
    whose flag came loose, a 1 drawn in two pieces, the dots of a ÷ set apart). Every run of up to ``MAX_RUN``
    neighbouring groups that is close and narrow enough to be one symbol is classified (for strokes, "close"
    allows for the pen's width, which their boxes leave out; a dot may join a symbol but not bridge two), and
    dynamic programming picks the split of the row into symbols, and their reading, that the classifier
    finds most probable among the readings that are expressions (``read_row``); each symbol pays
    ``SYMBOL_COST`` so that confident fragments do not win over the whole; specks may be left out, and groups
    of dots are. The size prior weighs every reading against the height of the line's digits, the position
    prior every operator against the line through their centres.

    Returns the chosen segments, left to right, with their symbol and its probability (priors included).
    """
    groups = segmentation.segments
    if len(groups) > MAX_SYMBOLS:
        raise StrokeError(f"{len(groups)} symbols found (at most {MAX_SYMBOLS})", code="too_many_symbols")
    if not groups:
        return []
    line = max(g.box[3] for g in groups) - min(g.box[1] for g in groups)
    dots = [all(extent(segmentation.boxes[m]) < DOT * line for m in g.members) for g in groups]
    runs: list[tuple[int, int]] = []
    for i in range(len(groups)):
        box = groups[i].box
        solid = None if dots[i] else box  # a dot may join a symbol, but not bridge the gap between two
        runs.append((i, i))
        for j in range(i + 1, min(len(groups), i + MAX_RUN)):
            if not _joins(solid or box, groups[j].box, line, segmentation.pen, beside=j == i + 1):
                break
            box = union([box, groups[j].box])
            if not dots[j]:
                solid = union([solid or groups[j].box, groups[j].box])
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
    normalised = weighted / weighted.sum(axis=1, keepdims=True)
    # the cost keeps the prior's penalty (a tiny piece read as a digit is improbable, whatever it looks like)
    options: list[tuple[int, int, float, str | None]] = [
        (i, j, SYMBOL_COST - math.log(max(float(w[k]), 1e-12)), SYMBOLS[k])
        for (i, j), w, p in zip(runs, weighted, normalised, strict=True)
        for k in np.flatnonzero(p >= MIN_READING)
    ]
    # a speck (an accidental tap, a stray mark) may be left out, at a price; dots alone are no symbol (a
    # column of scanner noise reads as a 1), though they may still join a neighbour (the dots of a ÷)
    for i, g in enumerate(groups):
        if dots[i]:
            options.append((i, i, 0.0, None))
        elif extent(g.box) < SPECK * height:
            options.append((i, i, SKIP_COST, None))
    by_run = dict(zip(runs, normalised, strict=True))
    return [
        (segments[(i, j)], c, float(by_run[(i, j)][SYMBOLS.index(c)]))
        for i, j, c in read_row(len(groups), options)
        if c is not None
    ]


def read_row(n: int, options: list[tuple[int, int, float, str | None]]) -> list[tuple[int, int, str | None]]:
    """The reading of groups 0..n-1 (``options`` as for ``best_path``, in any order): the most probable that
    is an expression, else the most probable. The grammar chooses between readings of what was written, not
    what was written: it may not leave out a group the model keeps (an unfinished "8×" is shown as it is),
    nor choose a reading that costs more than ``OVERRULE`` above the model's best."""
    options = sorted(options, key=lambda o: o[0])
    free = best_path(n, options, lambda state, c: state, START, lambda state: True)
    kept = {k for i, j, c in free[1] if c is not None for k in range(i, j + 1)}
    valid = best_path(
        n, [o for o in options if o[3] is not None or o[0] not in kept], follow, START, complete
    )
    return (valid if valid and valid[0] <= free[0] + OVERRULE else free)[1]


def best_path(
    n: int, options: list[tuple[int, int, float, str | None]], step: Callable, start, accept: Callable
) -> tuple[float, list[tuple[int, int, str | None]]] | None:
    """The cheapest way through groups 0..n-1 by ``options`` (start, end, cost, symbol or None for left out,
    sorted by start) that the state machine ``step`` reads from ``start`` to a state that ``accept``s: its
    cost and its (start, end, symbol) triples; None when there is none."""
    best: list[dict] = [{} for _ in range(n + 1)]
    best[0][start] = (0.0, None)
    for i, j, cost, c in options:
        for state, (total, _) in list(best[i].items()):
            nxt = state if c is None else step(state, c)
            if nxt is not None and total + cost < best[j + 1].get(nxt, (math.inf,))[0]:
                best[j + 1][nxt] = (total + cost, (i, j, c, state))
    ends = [s for s in best[n] if accept(s)]
    if not ends:
        return None
    path, end, state = [], n, min(ends, key=lambda s: best[n][s][0])
    cost = best[n][state][0]
    while end > 0:
        i, j, c, state = best[end][state][1]
        path.append((i, j, c))
        end = i
    return cost, path[::-1]


def symbols_of(segmentation: Segmentation, reader: Reader) -> list[Symbol]:
    return [Symbol(c, p, tuple(seg.box)) for seg, c, p in segment_symbols(segmentation, reader)]


def read_strokes(strokes: list[np.ndarray], reader: Reader) -> list[Symbol]:
    return symbols_of(segment_strokes(strokes), reader)


def read_image(source: bytes | str | Path | Image.Image, reader: Reader) -> list[Symbol]:
    found: Ink = ink_of(load_grey(source))
    if found.contrast < MIN_CONTRAST:
        return []
    return symbols_of(segment_ink(found.ink, found.contrast), reader)


def solve(symbols: list[Symbol]) -> dict:
    """The expression the symbols spell, evaluated: ``{"expression", "value", "decimal", "symbols"}``.
    ExpressionError when it is malformed or divides by zero, with what was read attached."""
    if not symbols:
        raise ExpressionError("no handwriting found", code="empty_expression")
    text = "".join(s.char for s in symbols)
    try:
        result = calculate(text)
    except ExpressionError as exc:
        exc.expression, exc.symbols = text, [s.to_dict() for s in symbols]
        raise
    return {**result.to_dict(), "symbols": [s.to_dict() for s in symbols]}
