"""Split a handwritten expression into symbols: strokes grouped by rules, or connected components of an image.

The teaching case grouped strokes whose x-projections overlap; this keeps that idea but measures the
overlap against the narrower part and repeats it over the growing groups, so that:
- ÷ and = (a bar with dots, two bars) become one symbol: the dots and the shorter bar lie inside the
  longer bar's x-range;
- + and × (two crossing strokes) and digits written in several strokes (4, 5, 7) become one symbol;
- strokes that touch (pieces of one symbol, e.g. a crossing traced as three strokes) are merged;
- neighbours that lean over each other without touching (a slanted "(" next to a digit) stay apart.
Images use the same rule on the boxes of their connected ink components.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage
from scipy.spatial import cKDTree

from core.errors import UserError
from digits.preprocess import clean_ink

MAX_STROKES = 200
MAX_POINTS = 20_000
MAX_COORD = 1e6
OVERLAP = 0.5  # merge when the x-overlap covers this share of the narrower part
TOUCH = 0.08  # strokes closer than this share of the writing's height belong to one symbol
PEN = 0.1  # a pen's width as a share of the writing's height (the digits of MNIST, a finger on a phone)
RENDER_SIDE = 80  # strokes are drawn so that the group's longest side has this many pixels


class StrokeError(UserError):
    """Strokes that are not a drawing we can read (malformed, empty, too many); `code` says which."""


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Segment:
    box: Box
    """The symbol's bounding box in the input's coordinates."""
    ink: np.ndarray
    """The symbol alone as ink in [0, 1] (background 0), ready for ``preprocess.normalise``."""
    members: tuple[int, ...]
    """The strokes or components it was made of (indices in the input's order)."""

    @property
    def parts(self) -> int:
        return len(self.members)


class Segmentation:
    """The symbols of one expression, and how to build the symbol made of any set of its parts."""

    def __init__(
        self,
        make: Callable[[tuple[int, ...]], Segment],
        groups: list[list[int]],
        boxes: list[Box],
        pen: float = 0.0,
    ) -> None:
        self.make = make
        self.segments = [make(tuple(g)) for g in groups]
        self.boxes = boxes
        """Every part's own box (a stroke's, a component's)."""
        self.pen = pen
        """The width of ink the boxes leave out, as a share of the line's height: boxes of strokes bound
        the pen's path, so two of them lie a pen's width further apart than the ink drawn along them."""

    def merged(self, parts: list[Segment]) -> Segment:
        """One symbol made of all of ``parts``."""
        return parts[0] if len(parts) == 1 else self.make(tuple(sorted(m for p in parts for m in p.members)))


def parse_strokes(payload) -> list[np.ndarray]:
    """Validate ``{"strokes": [[[x, y], ...], ...]}`` (or the bare list) into float arrays (n, 2)."""
    strokes = payload.get("strokes") if isinstance(payload, dict) else payload
    if not isinstance(strokes, list):
        raise StrokeError(
            "'strokes' must be a list of strokes, each a list of [x, y] points", code="invalid_strokes"
        )
    if not strokes:
        raise StrokeError("no strokes: draw something first", code="empty")
    if len(strokes) > MAX_STROKES:
        raise StrokeError(f"{len(strokes)} strokes (at most {MAX_STROKES})", code="too_many_strokes")
    total = sum(len(s) if isinstance(s, list) else 0 for s in strokes)
    if total > MAX_POINTS:
        raise StrokeError(f"{total} points (at most {MAX_POINTS})", code="too_many_points")
    out = []
    for i, stroke in enumerate(strokes):
        if not isinstance(stroke, list) or not stroke:
            raise StrokeError(
                f"stroke {i + 1} must be a non-empty list of [x, y] points", code="invalid_strokes"
            )
        for p in stroke:
            if (
                not isinstance(p, list | tuple)
                or len(p) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p[:2])
            ):
                raise StrokeError(
                    f"stroke {i + 1} has a point that is not [x, y] numbers", code="invalid_strokes"
                )
        arr = np.array([[float(p[0]), float(p[1])] for p in stroke], dtype=np.float64)
        if not np.isfinite(arr).all() or np.abs(arr).max() > MAX_COORD:
            raise StrokeError(
                f"stroke {i + 1} has coordinates that are not finite or too large", code="invalid_strokes"
            )
        out.append(arr)
    return out


def _overlaps(a: Box, b: Box, eps: float) -> bool:
    shared = min(a[2], b[2]) - max(a[0], b[0]) + eps
    narrower = min(a[2] - a[0], b[2] - b[0]) + eps
    return shared >= OVERLAP * narrower


def extent(box: Box) -> float:
    """The longer side of a box."""
    return max(box[2] - box[0], box[3] - box[1])


def typical_size(boxes: list[Box]) -> float:
    return float(np.median([extent(b) for b in boxes])) if boxes else 0.0


def group_boxes(boxes: list[Box], links: list[tuple[int, int]] = ()) -> list[list[int]]:
    """Indices of ``boxes`` grouped into symbols, groups ordered left to right.

    ``links`` are pairs that belong together whatever their boxes (strokes that touch).
    """
    if not boxes:
        return []
    eps = max(1e-6, 0.03 * typical_size(boxes))
    owner = list(range(len(boxes)))

    def root(i: int) -> int:
        while owner[i] != i:
            owner[i] = owner[owner[i]]
            i = owner[i]
        return i

    for a, b in links:
        owner[root(a)] = root(b)
    by_root: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        by_root.setdefault(root(i), []).append(i)
    groups = list(by_root.values())
    merged = True
    while merged:
        merged = False
        spans = [union([boxes[i] for i in g]) for g in groups]
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                if _overlaps(spans[a], spans[b], eps):
                    groups[a] = sorted(groups[a] + groups[b])
                    del groups[b]
                    merged = True
                    break
            if merged:
                break
    groups.sort(key=lambda g: (union([boxes[i] for i in g])[0] + union([boxes[i] for i in g])[2]) / 2)
    return groups


def union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def render(strokes: list[np.ndarray], side: int = RENDER_SIDE) -> np.ndarray:
    """Draw strokes as ink (0..1) so that their longest side spans ``side`` pixels."""
    pts = np.concatenate(strokes)
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    extent = max(x1 - x0, y1 - y0, 1e-9)
    scale = side / extent
    pen = 2
    margin = pen + 2
    w = math.ceil((x1 - x0) * scale) + 2 * margin + 1
    h = math.ceil((y1 - y0) * scale) + 2 * margin + 1
    image = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(image)
    for s in strokes:
        xy = [((x - x0) * scale + margin, (y - y0) * scale + margin) for x, y in s]
        if len(xy) == 1 or np.ptp(s, axis=0).max() * scale < 1:
            cx, cy = xy[0]
            draw.ellipse((cx - pen, cy - pen, cx + pen, cy + pen), fill=255)
        else:
            draw.line(xy, fill=255, width=pen, joint="curve")
    return np.asarray(image, dtype=np.float32) / 255


def touching(strokes: list[np.ndarray], distance: float, max_points: int = 50_000) -> list[tuple[int, int]]:
    """Pairs of strokes that come within ``distance`` of each other (along their lines, not only at points)."""
    if len(strokes) < 2 or distance <= 0:
        return []
    lengths = [
        float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum()) if len(s) > 1 else 0.0 for s in strokes
    ]
    step = max(distance / 2, sum(lengths) / max_points)
    points, owners = [], []
    for i, (s, length) in enumerate(zip(strokes, lengths, strict=True)):
        if len(s) > 1 and length > 0:
            seg = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))]
            at = np.linspace(0.0, length, max(2, int(np.ceil(length / step)) + 1))
            s = np.c_[np.interp(at, seg, s[:, 0]), np.interp(at, seg, s[:, 1])]
        points.append(s)
        owners.append(np.full(len(s), i))
    pts, who = np.concatenate(points), np.concatenate(owners)
    pairs = cKDTree(pts).query_pairs(distance, output_type="ndarray")
    found = {(int(a), int(b)) for a, b in zip(who[pairs[:, 0]], who[pairs[:, 1]], strict=True) if a != b}
    return sorted(found)


def segment_strokes(strokes: list[np.ndarray]) -> Segmentation:
    boxes = [
        (float(s[:, 0].min()), float(s[:, 1].min()), float(s[:, 0].max()), float(s[:, 1].max()))
        for s in strokes
    ]
    # the writing's height (a line of symbols) is steadier than the median stroke when strokes are short pieces
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    links = touching(strokes, TOUCH * max(height, typical_size(boxes)))

    def make(members: tuple[int, ...]) -> Segment:
        return Segment(union([boxes[i] for i in members]), render([strokes[i] for i in members]), members)

    return Segmentation(make, group_boxes(boxes, links), boxes, PEN)


def segment_ink(ink: np.ndarray, contrast: float) -> Segmentation:
    """Connected components of an expression's ink, merged into symbols by the same rule as strokes."""
    clean = clean_ink(ink, contrast, min_part=0.004)
    labels, n = ndimage.label(clean > 0, structure=np.ones((3, 3)))
    slices = ndimage.find_objects(labels) if n else []
    boxes = [(float(s[1].start), float(s[0].start), float(s[1].stop), float(s[0].stop)) for s in slices]

    def make(members: tuple[int, ...]) -> Segment:
        x0, y0, x1, y1 = (int(v) for v in union([boxes[i] for i in members]))
        mine = np.isin(labels[y0:y1, x0:x1], [i + 1 for i in members])
        return Segment((x0, y0, x1, y1), np.where(mine, clean[y0:y1, x0:x1], 0.0).astype(np.float32), members)

    return Segmentation(make, group_boxes(boxes), boxes)
