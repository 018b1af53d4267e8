"""Drawing a couplet on a photo: two vertical red scrolls with a gold border and a 横批 on top.

Decisions (the README repeats them):
- The upper line (上联) hangs on the RIGHT, the lower line (下联) on the LEFT, as on a door.
- The 横批 reads left to right (the modern convention).
- Punctuation is not drawn: couplets on paper scrolls carry none, and a comma turned sideways in a
  column reads badly. The characters are spread evenly along the scroll, except that where both lines
  break into clauses at the same place (punctuation between characters), the next character starts
  CLAUSE_GAP of a row lower: without it a line of two clauses reads as one run-on line (0.6, chosen on
  renders: a clear pause, about half a character, that does not look like a missing one). The gaps take
  scroll length, so they count when the glyph size and the number of columns are chosen. In two
  columns a break that falls at the head of the second column needs no gap.
- A line whose characters would come out smaller than MIN_ONE_COLUMN of the scroll length is written in
  two columns per scroll; the right column is read first (traditional vertical writing).
- Portrait photos (and near-square ones, up to 5:4) get a frame: the scrolls stand beside the photo
  and the 横批 above it, so nothing of the picture is covered. Landscape photos (5:4 to 2:1) are wide
  enough to carry the scrolls on their left and right edges and the 横批 at the top centre, so the
  picture keeps its full width; unless a panel would hide the subject (`hides_subject`: it covers
  far more of the photo's detail than of its area), and then the photo is framed like a portrait
  instead. A close-up is framed too (the caller says so: photo.pipeline frames a photo the tagger
  sees no scene in), since its subject fills the frame and the panels would lie on it evenly: the
  blind reviews found them over a burger, a pizza and a cup. Panoramas (wider than 2:1) are framed
  like portraits, the photo centred between scrolls taller than it: drawn on the photo, a 32-character
  line would shrink to unreadable glyphs.
- The output's long side is MAX_SIDE pixels (smaller photos are scaled up: the text stays sharp).

The layout is a pure function of the photo size, the line lengths and the clause breaks (`plan_layout`);
drawing follows it, and it is returned with the image so that callers and tests know where every
character went.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from couplet.rules import MAX_LEN, Couplet, is_punct
from photo.fonts import FontSet

MAX_SIDE = 1600

RED = (184, 18, 27)
GOLD = (212, 162, 76)
INK = (255, 222, 120)  # the characters: light gold on red
FRAME = (246, 235, 217)  # the paper around a framed photo
OUTLINE = (60, 10, 10)

# Sizes in units of the photo's height (the photo is 1.0 tall; a panorama's scrolls are), turned into
# pixels at the end.
MARGIN = 0.03
BORDER = 0.012
PAD = 0.025  # between the border and the characters
GLYPH_MAX = 0.11  # a character is never larger than this
MIN_ONE_COLUMN = 0.05  # below this glyph size a line is split into two columns
CELL = 1.2  # a character's cell, as a multiple of its glyph size, across the scroll
CLAUSE_GAP = 0.6  # extra space at a clause break, as a fraction of the pitch from one character to the next
MIN_OVERLAY_RATIO = 1.25  # landscape photos from this width:height up to the next carry the scrolls
MAX_OVERLAY_RATIO = 2.0
BANNER_GLYPH = 0.1
PANORAMA_WIDTH = 2.0  # a panorama is drawn this wide, in units of its scrolls' length
# A landscape is framed instead of drawn on when one of the panels would cover this many times more of
# its detail (edge density) than of its area: it would sit on the subject, not on sky, water or margin.
HIDDEN_DETAIL = 1.5
DETAIL_WIDTH = 192  # the edge map is computed at this width: detail, not noise

Box = tuple[int, int, int, int]
"""left, top, right, bottom in pixels (right and bottom exclusive)."""


@dataclass(frozen=True)
class Layout:
    orientation: Literal["portrait", "landscape", "panorama"]
    framed: bool
    """The scrolls and the 横批 stand around the photo (True) or lie on it (a landscape, False)."""
    size: tuple[int, int]
    photo: Box
    right_scroll: Box
    """Holds the upper line."""
    left_scroll: Box
    """Holds the lower line."""
    banner: Box
    columns: int
    glyph: int
    """Glyph size of the scrolls in pixels."""
    upper_cells: tuple[Box, ...]
    """One square per drawn character of the upper line, in reading order."""
    lower_cells: tuple[Box, ...]
    banner_cells: tuple[Box, ...]
    banner_glyph: int
    border: int
    """Width of the gold border in pixels."""


@dataclass(frozen=True)
class Rendered:
    image: Image.Image
    layout: Layout


def drawn_chars(line: str) -> str:
    """The characters that are drawn: punctuation and spaces are left out."""
    return "".join(ch for ch in line if not is_punct(ch) and not ch.isspace())


def clause_breaks(line: str) -> tuple[int, ...]:
    """Where a line breaks into clauses: the number of drawn characters before each run of punctuation
    that lies between characters ("云树千山，风泉万壑。" gives (4,); leading and trailing punctuation
    break nothing)."""
    breaks: list[int] = []
    drawn = 0
    after_punct = False
    for ch in line:
        if is_punct(ch):
            after_punct = drawn > 0
        elif not ch.isspace():
            if after_punct:
                breaks.append(drawn)
                after_punct = False
            drawn += 1
    return tuple(breaks)


def _rows_with_gaps(rows: int, columns: int, breaks: tuple[int, ...]) -> float:
    """The length of the longest column in rows, its clause gaps included. A break at the head of a
    column needs no gap: the new column already shows it."""
    return rows + CLAUSE_GAP * max(sum(c * rows < b < (c + 1) * rows for b in breaks) for c in range(columns))


def _columns_and_glyph(chars: int, breaks: tuple[int, ...], length: float) -> tuple[int, int, float]:
    """(columns, rows, glyph size) for `chars` characters with clause gaps before `breaks` along a
    scroll `length` long."""
    pitch = length / _rows_with_gaps(chars, 1, breaks)
    if pitch >= MIN_ONE_COLUMN:
        return 1, chars, min(GLYPH_MAX, pitch / 1.1)
    rows = math.ceil(chars / 2)
    return 2, rows, min(GLYPH_MAX, length / _rows_with_gaps(rows, 2, breaks) / 1.05)


def plan_layout(
    photo_size: tuple[int, int],
    chars: int,
    banner_chars: int,
    max_side: int = MAX_SIDE,
    overlay: bool = True,
    breaks: tuple[int, ...] = (),
) -> Layout:
    """Where the photo, the scrolls, the 横批 and every character go.

    chars: drawn characters per scroll (the longer line's); banner_chars: drawn characters of the 横批;
    overlay: a landscape may carry the panels (False frames it like a portrait); breaks: the clause
    breaks of both lines (`clause_breaks`), a gap before each of these characters.
    """
    if not 1 <= chars <= MAX_LEN:
        raise ValueError(f"a scroll holds 1 to {MAX_LEN} characters, got {chars}")
    if breaks != tuple(sorted(set(breaks))) or any(not 0 < b < chars for b in breaks):
        raise ValueError(f"clause breaks are increasing and between the {chars} characters, got {breaks}")
    if not 1 <= banner_chars <= 8:
        raise ValueError(f"a 横批 holds 1 to 8 characters, got {banner_chars}")
    width, height = photo_size
    ratio = width / height
    orientation = (
        "portrait" if ratio < MIN_OVERLAY_RATIO else "landscape" if ratio <= MAX_OVERLAY_RATIO else "panorama"
    )
    framed = orientation != "landscape" or not overlay
    inset = BORDER + PAD
    scroll_length = 1.0 if framed else 1.0 - 2 * MARGIN
    columns, rows, glyph = _columns_and_glyph(chars, breaks, scroll_length - 2 * inset)
    scroll_w = columns * glyph * CELL + 2 * inset
    if framed:
        photo_w = PANORAMA_WIDTH if orientation == "panorama" else ratio
        canvas_w = photo_w + 2 * scroll_w + 4 * MARGIN
        room = canvas_w - 2 * MARGIN  # the 横批 has the band above everything
    else:
        canvas_w = ratio
        room = ratio - 2 * scroll_w - 4 * MARGIN  # between the scrolls
    # Half a glyph of extra red at each end of the 横批, as on a paper banner; smaller glyphs if need be.
    banner_glyph = min(BANNER_GLYPH, (room - 2 * inset) / (banner_chars * CELL + 1))
    banner_w = (banner_chars * CELL + 1) * banner_glyph + 2 * inset
    banner_h = banner_glyph * CELL + 2 * inset

    if framed:
        # [margin][scroll][margin][photo][margin][scroll][margin] under a band that holds the 横批
        photo_h = photo_w / ratio
        canvas_h = 3 * MARGIN + banner_h + 1.0
        top = 2 * MARGIN + banner_h
        photo_top = top + (1.0 - photo_h) / 2
        photo = (2 * MARGIN + scroll_w, photo_top, 2 * MARGIN + scroll_w + photo_w, photo_top + photo_h)
        right = (canvas_w - MARGIN - scroll_w, top, canvas_w - MARGIN, top + 1.0)
        left = (MARGIN, top, MARGIN + scroll_w, top + 1.0)
    else:
        canvas_h = 1.0
        photo = (0.0, 0.0, ratio, 1.0)
        right = (ratio - MARGIN - scroll_w, MARGIN, ratio - MARGIN, 1.0 - MARGIN)
        left = (MARGIN, MARGIN, MARGIN + scroll_w, 1.0 - MARGIN)
    banner = ((canvas_w - banner_w) / 2, MARGIN, (canvas_w + banner_w) / 2, MARGIN + banner_h)

    scale = max_side / max(canvas_w, canvas_h)

    def px(box: tuple[float, float, float, float]) -> Box:
        return tuple(round(v * scale) for v in box)  # type: ignore[return-value]

    def scroll_cells(box: tuple[float, float, float, float], count: int) -> tuple[Box, ...]:
        left_x, top, right_x, bottom = box
        pitch = (bottom - top - 2 * inset) / _rows_with_gaps(rows, columns, breaks)
        cells = []
        for k in range(count):
            col, row = divmod(k, rows)
            gaps_above = sum(col * rows < b <= k for b in breaks)
            cx = right_x - inset - (col + 0.5) * glyph * CELL  # the right column comes first
            cy = top + inset + (row + 0.5 + CLAUSE_GAP * gaps_above) * pitch
            cells.append(px((cx - glyph / 2, cy - glyph / 2, cx + glyph / 2, cy + glyph / 2)))
        return tuple(cells)

    banner_cells = []
    for k in range(banner_chars):
        cx = banner[0] + inset + banner_glyph / 2 + (k + 0.5) * banner_glyph * CELL
        cy = (banner[1] + banner[3]) / 2
        banner_cells.append(
            px((cx - banner_glyph / 2, cy - banner_glyph / 2, cx + banner_glyph / 2, cy + banner_glyph / 2))
        )

    cells = scroll_cells(right, chars)
    return Layout(
        orientation=orientation,
        framed=framed,
        size=(round(canvas_w * scale), round(canvas_h * scale)),
        photo=px(photo),
        right_scroll=px(right),
        left_scroll=px(left),
        banner=px(banner),
        columns=columns,
        glyph=round(glyph * scale),
        upper_cells=cells,
        lower_cells=scroll_cells(left, chars),
        banner_cells=tuple(banner_cells),
        banner_glyph=round(banner_glyph * scale),
        border=max(2, round(BORDER * scale)),
    )


def render(
    photo: Image.Image, couplet: Couplet, fonts: FontSet, max_side: int = MAX_SIDE, overlay: bool = True
) -> Rendered:
    """The photo (already upright, RGB) with the couplet drawn on it; overlay False frames a landscape photo
    like a portrait (for a close-up, whose subject fills the frame)."""
    upper, lower, banner_text = (drawn_chars(t) for t in (couplet.upper, couplet.lower, couplet.horizontal))
    if not upper or not lower or not banner_text:
        raise ValueError("the upper line, the lower line and the 横批 each need a character to draw")
    chars = max(len(upper), len(lower))
    # Edited lines may break in different places; a gap in one scroll only would misalign the pair.
    breaks = tuple(sorted(set(clause_breaks(couplet.upper)) & set(clause_breaks(couplet.lower))))
    layout = plan_layout(photo.size, chars, len(banner_text), max_side, overlay, breaks=breaks)
    if not layout.framed and hides_subject(photo, layout):
        layout = plan_layout(photo.size, chars, len(banner_text), max_side, overlay=False, breaks=breaks)
    canvas = Image.new("RGB", layout.size, FRAME)
    left, top, right, bottom = layout.photo
    # reducing_gap: shrink by an integer factor first, then resample; several times faster than a
    # plain bicubic resize of a 2000-pixel image and indistinguishable at this size.
    canvas.paste(
        photo.resize((right - left, bottom - top), Image.Resampling.BICUBIC, reducing_gap=2.0), (left, top)
    )
    draw = ImageDraw.Draw(canvas)
    for box in (layout.right_scroll, layout.left_scroll, layout.banner):
        _panel(draw, box, layout.border)
    _text(draw, fonts, upper, layout.upper_cells, layout.glyph)
    _text(draw, fonts, lower, layout.lower_cells, layout.glyph)
    _text(draw, fonts, banner_text, layout.banner_cells, layout.banner_glyph)
    return Rendered(canvas, layout)


def detail_map(photo: Image.Image, width: int = DETAIL_WIDTH) -> np.ndarray:
    """Edge density of the photo at `width` pixels across: where its subject's outlines and texture are."""
    small = photo.convert("L").resize(
        (width, max(1, round(width * photo.height / photo.width))), Image.Resampling.BILINEAR
    )
    grey = np.asarray(small, dtype=np.float32)
    return np.abs(np.diff(grey, axis=0, append=grey[-1:])) + np.abs(
        np.diff(grey, axis=1, append=grey[:, -1:])
    )


def hides_subject(photo: Image.Image, layout: Layout) -> bool:
    """True when a panel laid on the photo covers HIDDEN_DETAIL times more of its detail than of its area."""
    detail = detail_map(photo)
    total = float(detail.sum())
    if total == 0:
        return False
    height, width = detail.shape
    left, top, right, bottom = layout.photo
    for box in (layout.right_scroll, layout.left_scroll, layout.banner):
        rows = slice(
            max(0, round((box[1] - top) / (bottom - top) * height)),
            round((box[3] - top) / (bottom - top) * height),
        )
        cols = slice(
            max(0, round((box[0] - left) / (right - left) * width)),
            round((box[2] - left) / (right - left) * width),
        )
        covered = detail[rows, cols]
        if covered.size and float(covered.sum()) / total > HIDDEN_DETAIL * covered.size / detail.size:
            return True
    return False


def _panel(draw: ImageDraw.ImageDraw, box: Box, border: int) -> None:
    """A red panel with a gold border, a thin gold inner line and a dark outline against the photo."""
    left, top, right, bottom = box
    draw.rectangle((left - 1, top - 1, right, bottom), fill=OUTLINE)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=GOLD)
    draw.rectangle((left + border, top + border, right - 1 - border, bottom - 1 - border), fill=RED)
    inner = border + max(2, border // 2)
    draw.rectangle(
        (left + inner, top + inner, right - 1 - inner, bottom - 1 - inner),
        outline=GOLD,
        width=max(1, border // 3),
    )


def _text(draw: ImageDraw.ImageDraw, fonts: FontSet, text: str, cells: tuple[Box, ...], size: int) -> None:
    for ch, (left, top, right, bottom) in zip(text, cells, strict=False):
        draw.text(
            ((left + right) / 2, (top + bottom) / 2), ch, font=fonts.font(ch, size), fill=INK, anchor="mm"
        )
