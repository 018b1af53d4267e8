"""The functions under the photo API: sniffing, decoding (vision.imageio), checking a user's couplet."""

from __future__ import annotations

import pytest
from photos import encode, scene

from photo.pipeline import PhotoError, checked_couplet, shows_scene
from photo.render import MAX_SIDE
from vision.errors import UnsupportedImage
from vision.imageio import decode, sniff
from vision.tags import Tag


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_sniff_reads_the_content_not_the_name(fmt):
    assert sniff(encode(scene((64, 48)), fmt)) == fmt.lower()


@pytest.mark.parametrize(
    "data", [b"", b"GIF89a....", b"BM\x00\x00", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"<svg/>"]
)
def test_sniff_refuses_other_formats(data):
    with pytest.raises(UnsupportedImage):
        sniff(data)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), (1600, 1200)),
        ((3000, 4000), (1200, 1600)),
        ((640, 480), (640, 480)),
        ((5000, 1000), (1600, 320)),
    ],
)
def test_decode_gives_at_most_1600_pixels_keeping_the_shape(size, expected):
    assert decode(encode(scene(size), quality=80), MAX_SIDE).size == expected


def test_decode_of_a_png_and_a_webp():
    for fmt in ("PNG", "WEBP"):
        image = decode(encode(scene((2400, 1200)), fmt), MAX_SIDE)
        assert image.size == (MAX_SIDE, 800) and image.mode == "RGB"


def test_a_users_couplet_is_normalised(site_settings):
    couplet = checked_couplet(" 春来春去,花开花落 ", "秋收秋藏,月缺月圆", " 四季平安", site_settings)
    assert (couplet.upper, couplet.lower, couplet.horizontal) == (
        "春来春去，花开花落",
        "秋收秋藏，月缺月圆",
        "四季平安",
    )


def test_every_broken_rule_is_named(site_settings):
    with pytest.raises(PhotoError) as caught:
        checked_couplet("春来春去", "春去", "四季平安", site_settings)
    assert caught.value.code == "broken_rule"
    assert "equal_length" in str(caught.value) and "no_reuse" in str(caught.value)


def test_a_photo_without_scene_or_mood_tags_is_a_close_up():
    cat = [Tag("猫", 0.9, "local"), Tag("毯子", 0.2, "local")]
    assert not shows_scene(cat)
    assert shows_scene([*cat, Tag("夜", 0.7, "local", kind="mood")])
    assert shows_scene([Tag("山", 0.8, "local", kind="scene")])


def test_a_lower_line_keeps_to_the_photos_time_of_day(site_settings):
    """Under a blue sky a written lower line with the moon or dusk gives way to the first of the generator's
    best that has neither; a corpus lower line of the upper line (a person's answer) stays."""
    from couplet.matching.clash import NIGHT
    from couplet.model.generator import DecodeOptions
    from couplet.resources import get_generator
    from photo.pipeline import CANDIDATES, _lower_lines

    uppers = ["春山藤绕树", "瀑挂青山云掩树", "云垂旷野天低树", "野旷天低树", "山高云淡千峰静"]
    generator = get_generator(site_settings)
    best = [lines[0] for lines in generator.generate_batch(uppers, 1, DecodeOptions())]
    day = [Tag("天空", 0.8, "local", kind="scene"), Tag("山", 0.8, "local", kind="scene")]
    chosen = _lower_lines(uppers, DecodeOptions(), site_settings, day)
    swapped = 0
    for upper, first, line in zip(uppers, best, chosen, strict=True):
        if first.source != "model" or NIGHT.isdisjoint(first.lower):
            assert line.lower == first.lower
            continue
        offered = generator.generate_batch([upper], CANDIDATES, DecodeOptions())[0]
        timely = [c.lower for c in offered if NIGHT.isdisjoint(c.lower)]
        assert line.lower == (timely or [first.lower])[0]
        swapped += bool(timely)
    assert swapped  # at least one written line named the moon and gave way
    undated = _lower_lines(uppers, DecodeOptions(), site_settings, [Tag("山", 0.8, "local", kind="scene")])
    assert [c.lower for c in undated] == [c.lower for c in best]
