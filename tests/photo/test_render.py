"""Rendering, checked on the pixels: where the red scrolls are, where the text is, nothing clipped."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from photos import scene
from PIL import Image

from core.errors import DataError
from couplet.rules import Couplet
from photo.fonts import build_fonts, find_text_font
from photo.render import MAX_SIDE, clause_breaks, drawn_chars, plan_layout, render
from vision.imageio import to_jpeg

# Characters whose strokes join top to bottom, so a row of them projects onto one unbroken run.
SOLID = "中田由甲申木本米山口"
LONG = (SOLID * 4)[:32]
LONG_LOWER = (SOLID[::-1] * 4)[:32]


@pytest.fixture(scope="module")
def fonts():
    return build_fonts()


def red_mask(image: Image.Image) -> np.ndarray:
    a = np.asarray(image).astype(int)
    return (a[..., 0] > 140) & (a[..., 1] < 70) & (a[..., 2] < 70)


def ink_mask(image: Image.Image) -> np.ndarray:
    """The light gold of the characters (the darker gold of the borders does not count)."""
    a = np.asarray(image).astype(int)
    return (a[..., 0] > 200) & (a[..., 1] > 195) & (a[..., 2] > 60) & (a[..., 2] < 180)


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    padded = np.concatenate([[False], flags, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2], edges[1::2], strict=True))


def scroll_bands(image: Image.Image) -> list[tuple[int, int]]:
    """Column ranges where most of the height is red (or text on red): the two vertical scrolls."""
    share = (red_mask(image) | ink_mask(image)).mean(axis=0)
    return [(a, b) for a, b in runs(share > 0.45) if b - a > 10]


def ink_runs(image: Image.Image, band: tuple[int, int], axis: int) -> list[tuple[int, int]]:
    """Runs of text pixels inside a scroll band, projected on the y (axis=1) or x (axis=0) axis.
    Only the rows of the scroll itself count (not the 横批 above it in a framed layout)."""
    ink = ink_mask(image)[:, band[0] : band[1]]
    scroll_rows = (red_mask(image) | ink_mask(image))[:, band[0] : band[1]].mean(axis=1) > 0.5
    top, bottom = max(runs(scroll_rows), key=lambda r: r[1] - r[0])
    ink[:top] = False
    ink[bottom:] = False
    return [r for r in runs(ink.any(axis=axis)) if r[1] - r[0] > 2]


def test_landscape_puts_upper_right_lower_left_on_the_photo(fonts):
    photo = scene((800, 500))
    out = render(photo, Couplet(SOLID[:7], SOLID[3:], "湖光山色"), fonts)
    image, layout = out.image, out.layout
    assert layout.orientation == "landscape"
    assert max(image.size) == MAX_SIDE
    left, right = scroll_bands(image)
    assert right[0] > image.width * 0.75 and left[1] < image.width * 0.25
    # The photo fills the canvas: its lake shows at the bottom between the scrolls.
    lake = np.asarray(image)[image.height - 20, left[1] + 20 : right[0] - 20].astype(int)
    assert (np.abs(lake - (40, 90, 150)).sum(axis=1) < 40).mean() > 0.9
    for band in (left, right):
        assert len(ink_runs(image, band, axis=1)) == 7  # seven characters, one column
        assert len(ink_runs(image, band, axis=0)) == 1
    # The 横批 is red too, at the top centre, with four characters from left to right.
    top = red_mask(image)[: image.height // 5, left[1] : right[0]]
    assert top.mean() > 0.15
    assert (
        len(
            [
                r
                for r in runs(ink_mask(image)[: image.height // 5, left[1] : right[0]].any(axis=0))
                if r[1] - r[0] > 2
            ]
        )
        >= 4
    )


def test_portrait_frames_the_photo_between_the_scrolls(fonts):
    photo = scene((480, 720))
    image = render(photo, Couplet(SOLID[:7], SOLID[3:], "春满人间"), fonts).image
    assert image.height == MAX_SIDE
    left, right = scroll_bands(image)
    lake = np.abs(np.asarray(image).astype(int) - (40, 90, 150)).sum(axis=2) < 40
    lake_cols = np.flatnonzero(lake.any(axis=0))
    # The photo lies entirely between the scrolls: nothing of it is covered.
    assert left[1] <= lake_cols.min() and lake_cols.max() < right[0]
    assert len(ink_runs(image, right, axis=1)) == 7


@pytest.mark.parametrize("size", [(900, 600), (600, 900), (3000, 400), (400, 3000), (64, 64)])
def test_a_32_character_line_takes_two_columns_and_is_never_clipped(fonts, size):
    out = render(scene(size), Couplet(LONG, LONG_LOWER, "山河锦绣"), fonts)
    image, layout = out.image, out.layout
    assert max(image.size) <= MAX_SIDE and layout.columns == 2
    for scroll, cells in (
        (layout.right_scroll, layout.upper_cells),
        (layout.left_scroll, layout.lower_cells),
    ):
        band = (scroll[0], scroll[2])
        rows = ink_runs(image, band, axis=1)
        assert len(rows) == 16 and len(ink_runs(image, band, axis=0)) == 2
        # Every text pixel of the band below the 横批 lies inside the scroll, clear of its gold border.
        ink = ink_mask(image)[:, band[0] : band[1]]
        ink[: layout.banner[3]] = False
        ys, xs = np.nonzero(ink)
        inner = layout.border
        assert ys.min() > scroll[1] + inner and ys.max() < scroll[3] - inner
        assert xs.min() > inner and xs.max() < band[1] - band[0] - inner
        # Reading order: the right column first, top to bottom.
        assert cells[0][0] > cells[16][0] and cells[0][1] < cells[1][1]


def test_punctuation_is_not_drawn(fonts):
    out = render(scene((800, 500)), Couplet("田由甲申，中木本米", "口山米本，甲田中由", "山河锦绣"), fonts)
    assert drawn_chars("田由甲申，中木本米") == "田由甲申中木本米"
    left, right = scroll_bands(out.image)
    assert len(ink_runs(out.image, right, axis=1)) == 8


def test_clause_breaks_count_the_characters_before_punctuation_between_characters():
    assert clause_breaks("云树千山，风泉万壑") == (4,)
    assert clause_breaks("一二，三四；五六七。") == (2, 4)  # the trailing 。 breaks nothing
    assert clause_breaks("“山水”——花鸟") == (2,)  # a run of punctuation is one break
    assert clause_breaks("《山水》") == ()
    assert clause_breaks("山水 花鸟") == ()  # a space is not a clause mark


def row_gaps(image: Image.Image, band: tuple[int, int]) -> list[int]:
    """The blank pixels between one character's ink and the next's, down a one-column scroll."""
    rows = ink_runs(image, band, axis=1)
    return [b[0] - a[1] for a, b in zip(rows, rows[1:], strict=False)]


@pytest.mark.parametrize("size", [(800, 500), (480, 720)])
def test_a_clause_break_leaves_a_gap_on_both_scrolls(fonts, size):
    out = render(scene(size), Couplet("田由甲申，中木本米。", "口山米本，甲田中由。", "山河锦绣"), fonts)
    pitch = out.layout.upper_cells[1][1] - out.layout.upper_cells[0][1]
    for band in scroll_bands(out.image):
        gaps = row_gaps(out.image, band)
        assert len(gaps) == 7
        within = gaps[:3] + gaps[4:]
        assert gaps[3] - max(within) > 0.4 * pitch


def test_without_shared_breaks_the_layout_is_unchanged(fonts):
    photo = scene((800, 500))
    plain = plan_layout(photo.size, 8, 4)
    # Evenly spread: one pitch from each character to the next.
    steps = {b[1] - a[1] for a, b in zip(plain.upper_cells, plain.upper_cells[1:], strict=False)}
    assert max(steps) - min(steps) <= 1
    for couplet in (
        Couplet("田由甲申中木本米", "口山米本甲田中由", "山河锦绣"),
        Couplet("田由甲申中木本米。", "口山米本甲田中由！", "山河锦绣"),  # trailing punctuation
        Couplet("田由甲申，中木本米", "口山米本甲田，中由", "山河锦绣"),  # breaks in different places
    ):
        assert render(photo, couplet, fonts).layout == plain


def test_only_the_breaks_both_lines_share_leave_a_gap(fonts):
    photo = scene((800, 500))
    out = render(photo, Couplet("田由，甲申，中木本米", "口山，米本甲田，中由", "山河锦绣"), fonts)
    assert out.layout == plan_layout(photo.size, 8, 4, breaks=(2,))
    assert out.layout != plan_layout(photo.size, 8, 4)
    for band in scroll_bands(out.image):
        gaps = row_gaps(out.image, band)
        assert gaps.index(max(gaps)) == 1


def test_two_columns_keep_the_gaps_inside_a_column():
    layout = plan_layout((900, 600), 32, 4, breaks=(8, 16, 24))
    assert layout.columns == 2
    tops = [c[1] for c in layout.upper_cells]
    right, left = tops[:16], tops[16:]
    # The 17th character heads the second column without a gap: both columns start level, and each
    # has its gap before its 9th character (the 9th and the 25th of the line).
    assert right == left
    steps = [b - a for a, b in zip(right, right[1:], strict=False)]
    pitch = min(steps)
    assert steps[7] > 1.4 * pitch and max(steps[:7] + steps[8:]) - pitch <= 1


def test_breaks_outside_the_line_are_refused():
    for breaks in [(0,), (8,), (3, 2), (2, 2)]:
        with pytest.raises(ValueError):
            plan_layout((800, 500), 8, 4, breaks=breaks)


def test_one_character_lines(fonts):
    out = render(scene((500, 800)), Couplet("山", "水", "福"), fonts)
    left, right = scroll_bands(out.image)
    assert len(ink_runs(out.image, right, axis=1)) == 1 and out.layout.columns == 1


def test_jpeg_output_is_at_most_1600_pixels(fonts):
    for size in [(4000, 3000), (120, 90), (1000, 5000)]:
        data = to_jpeg(render(scene(size), Couplet("青山不老", "绿水长流", "山高水长"), fonts).image)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and max(image.size) <= MAX_SIDE


def test_lines_beyond_the_limits_are_refused(fonts):
    with pytest.raises(ValueError):
        render(scene(), Couplet("山" * 33, "水" * 33, "山河锦绣"), fonts)
    with pytest.raises(ValueError):
        render(scene(), Couplet("，", "。", "山河锦绣"), fonts)


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(16, 8000),
    height=st.integers(16, 8000),
    chars=st.integers(1, 32),
    banner=st.integers(1, 8),
    marks=st.sets(st.integers(1, 31), max_size=8),
)
def test_layout_keeps_everything_inside(width, height, chars, banner, marks):
    breaks = tuple(sorted(b for b in marks if b < chars))
    layout = plan_layout((width, height), chars, banner, breaks=breaks)
    canvas_w, canvas_h = layout.size
    assert max(layout.size) in (MAX_SIDE - 1, MAX_SIDE, MAX_SIDE + 1) and max(layout.size) <= MAX_SIDE

    def inside(inner, outer):
        return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]

    canvas = (0, 0, canvas_w, canvas_h)
    for box in (layout.photo, layout.right_scroll, layout.left_scroll, layout.banner):
        assert inside(box, canvas)
    assert layout.left_scroll[2] < layout.right_scroll[0]
    for scroll, cells in (
        (layout.right_scroll, layout.upper_cells),
        (layout.left_scroll, layout.lower_cells),
    ):
        assert len(cells) == chars and all(inside(c, scroll) for c in cells)
        # The last character, after every clause gap, stays clear of the gold border, and the gaps
        # leave no character overlapping the next.
        assert max(c[3] for c in cells) <= scroll[3] - layout.border
        assert all(a[3] <= b[1] for a, b in zip(cells, cells[1:], strict=False) if a[0] == b[0])
    assert all(inside(c, layout.banner) for c in layout.banner_cells)
    # The 横批 never covers a scroll.
    assert layout.banner[3] <= layout.right_scroll[1] or not (
        layout.left_scroll[2] > layout.banner[0] or layout.right_scroll[0] < layout.banner[2]
    )
    if layout.orientation == "portrait":
        assert layout.left_scroll[2] <= layout.photo[0] and layout.photo[2] <= layout.right_scroll[0]


def test_text_font_is_wenkai_unless_overridden(tmp_path):
    assert "wenkai" in find_text_font().name.lower()
    with pytest.raises(DataError):
        find_text_font(tmp_path / "missing.ttf")


def test_missing_glyphs_come_from_a_fallback_font(fonts, caplog):
    symbol = "☯"  # in DejaVu Sans, not in WenKai
    if not any(Path(p).name == "DejaVuSans.ttf" for p in fonts.paths):
        pytest.skip("DejaVu Sans is not installed")
    assert fonts.path_for("山") == fonts.text_font
    assert fonts.path_for(symbol).name == "DejaVuSans.ttf"
    out = render(scene((800, 500)), Couplet("山水", "花鸟", symbol * 4), fonts)
    cells = out.layout.banner_cells
    assert all(ink_mask(out.image.crop(c)).any() for c in cells)
    with caplog.at_level(logging.WARNING, logger="photo.fonts"):
        assert fonts.path_for("\U0010fffd") == fonts.text_font
    assert "no installed font" in caplog.text


def test_a_landscape_is_framed_when_a_panel_would_hide_its_subject(fonts):
    couplet = Couplet("青山不老", "绿水长流", "山高水长")
    calm = scene(
        (1200, 800)
    )  # sky along the top, mountains and a lake below: the panels sit on sky and edges
    drawn = render(calm, couplet, fonts)
    assert drawn.layout.orientation == "landscape" and not drawn.layout.framed
    assert drawn.image.size == (MAX_SIDE, round(MAX_SIDE * 800 / 1200))
    # The same picture with a detailed subject (a fine checkerboard) at the top centre, under the 横批.
    subject = calm.copy()
    checks = (np.indices((160, 360)).sum(axis=0) // 4 % 2 * 255).astype(np.uint8)
    subject.paste(Image.fromarray(checks).convert("RGB"), (420, 0))
    framed = render(subject, couplet, fonts)
    assert framed.layout.orientation == "landscape" and framed.layout.framed
    left, top, right, bottom = framed.layout.photo
    for box in (framed.layout.right_scroll, framed.layout.left_scroll, framed.layout.banner):
        assert box[2] <= left or box[0] >= right or box[3] <= top  # no panel lies on the photo


def test_a_close_up_is_framed_when_the_caller_says_so(fonts):
    couplet = Couplet("青山不老", "绿水长流", "山高水长")
    calm = scene((1200, 800))  # laid on the photo by default (the test above)
    framed = render(calm, couplet, fonts, overlay=False)
    assert framed.layout.orientation == "landscape" and framed.layout.framed
    left, top, right, bottom = framed.layout.photo
    for box in (framed.layout.right_scroll, framed.layout.left_scroll, framed.layout.banner):
        assert box[2] <= left or box[0] >= right or box[3] <= top  # no panel lies on the photo
