"""A couplet without a photo: 春联 on red paper, pasted beside a lacquered double door under its 横批.

The door stands where a photo would (photo/render.py frames a portrait picture between the scrolls and
under the 横批), so the scrolls, the banner, the fonts and the layout are exactly the photo's. The door
is drawn here, once per text font (its 福 斗方 needs the font): red leaves with gold studs, a brass
knocker on each, a 福 diamond of red paper on each leaf. Nothing random: the same couplet always gives
the same picture.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core.settings import Settings
from couplet.rules import Couplet
from photo.fonts import get_fonts
from photo.render import GOLD, INK, OUTLINE, RED, Rendered, render
from photo.results import get_result_store, new_id
from photo.session import Drawing
from vision.imageio import to_jpeg

DOOR_SIZE = (900, 1200)  # 3:4, a portrait: render frames it between the scrolls
WOOD = (74, 36, 26)  # the door frame
LACQUER = (128, 20, 22)  # darker than the scrolls' red, so the paper stands out against the door
LACQUER_DARK = (92, 14, 16)
BRASS = (196, 146, 62)
BRASS_LIGHT = (240, 204, 120)
FU = "福"


@lru_cache(maxsize=4)
def door(text_font: Path, size: tuple[int, int] = DOOR_SIZE) -> Image.Image:
    """The double door drawn in the middle of a red-paper couplet (kept: it is the same every time)."""
    width, height = size
    image = Image.new("RGB", size, WOOD)
    draw = ImageDraw.Draw(image)
    frame = round(width * 0.05)
    seam = width // 2
    for left, right in ((frame, seam - 2), (seam + 2, width - frame)):
        _leaf(draw, (left, frame, right, height), seam, text_font)
    draw.rectangle((seam - 2, frame, seam + 1, height), fill=OUTLINE)
    return image


def _leaf(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], seam: int, text_font: Path) -> None:
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    draw.rectangle(box, fill=LACQUER)
    # Two sunken panels, the lower one under the knocker: a leaf, not a flat red board.
    inset = round(width * 0.1)
    for y0, y1 in ((0.06, 0.6), (0.66, 0.96)):
        panel = (left + inset, top + round(height * y0), right - inset, top + round(height * y1))
        draw.rectangle(panel, fill=LACQUER_DARK)
        draw.rectangle(
            (panel[0] + 6, panel[1] + 6, panel[2] - 6, panel[3] - 6), fill=LACQUER, outline=OUTLINE, width=2
        )
    # Gold studs (门钉) in rows across the lower panel.
    stud = max(4, round(width * 0.03))
    for row in range(3):
        y = top + round(height * (0.72 + row * 0.08))
        for col in range(4):
            x = left + inset + round((width - 2 * inset) * (col + 0.5) / 4)
            draw.ellipse((x - stud, y - stud, x + stud, y + stud), fill=BRASS, outline=OUTLINE)
            draw.ellipse((x - stud // 2, y - stud // 2, x, y), fill=BRASS_LIGHT)
    # A 福 diamond (斗方) high on the leaf, and the knocker's ring near the seam below it.
    cx, cy, r = left + width // 2, top + round(height * 0.33), round(width * 0.3)
    _diamond(draw, (cx, cy), r, text_font)
    ring_x = right - round(width * 0.16) if right <= seam else left + round(width * 0.16)
    ring_y, ring_r = top + round(height * 0.63), round(width * 0.07)
    draw.ellipse((ring_x - ring_r, ring_y - ring_r, ring_x + ring_r, ring_y + ring_r), outline=BRASS, width=5)
    draw.ellipse(
        (ring_x - 9, ring_y - ring_r - 9, ring_x + 9, ring_y - ring_r + 9), fill=BRASS, outline=OUTLINE
    )


def _diamond(draw: ImageDraw.ImageDraw, centre: tuple[int, int], r: int, text_font: Path) -> None:
    cx, cy = centre

    def square(radius: int) -> list[tuple[int, int]]:
        return [(cx, cy - radius), (cx + radius, cy), (cx, cy + radius), (cx - radius, cy)]

    draw.polygon(square(r + 2), fill=OUTLINE)
    draw.polygon(square(r), fill=GOLD)
    draw.polygon(square(r - 7), fill=RED)
    draw.polygon(square(r - 13), outline=GOLD, width=2)
    font = ImageFont.truetype(str(text_font), round(r * 0.95))
    draw.text((cx, cy), FU, font=font, fill=INK, anchor="mm")


def render_red_paper(couplet: Couplet, settings: Settings) -> Rendered:
    """The couplet as scrolls of red paper beside the door, its 横批 above."""
    fonts = get_fonts(settings)
    return render(door(fonts.text_font), couplet, fonts)


def draw_red_paper(couplet: Couplet, settings: Settings) -> str:
    """Render a couplet (one that photo.pipeline.checked_couplet returned) on red paper and keep the JPEG
    in the result store; returns its result id."""
    image = render_red_paper(couplet, settings).image
    result_id = new_id()
    Drawing(None, couplet).save(get_result_store(settings), result_id, to_jpeg(image))
    return result_id
