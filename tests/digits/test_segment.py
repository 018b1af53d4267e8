"""Grouping strokes and image components into symbols."""

from __future__ import annotations

import numpy as np
import pytest
from handwriting import TEMPLATES, draw_strokes, expression_strokes

from digits.preprocess import ink_of, load_grey
from digits.segment import (
    MAX_POINTS,
    MAX_STROKES,
    StrokeError,
    group_boxes,
    parse_strokes,
    render,
    segment_ink,
    segment_strokes,
)

EXPRESSIONS = ["(3+2)÷2=", "12×(4-5)", "45÷9-7=", "8×6+0", "1+1=", "(9-3)÷(2+4)"]


def parts(text: str) -> list[int]:
    return [len(TEMPLATES[c]) for c in text]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_strokes_group_into_symbols(text):
    segments = segment_strokes(parse_strokes({"strokes": expression_strokes(text)})).segments
    assert [s.parts for s in segments] == parts(text)
    xs = [s.box[0] for s in segments]
    assert xs == sorted(xs)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_image_components_group_into_symbols(text):
    image = draw_strokes(expression_strokes(text), width=5)
    found = ink_of(load_grey(image))
    segments = segment_ink(found.ink, found.contrast).segments
    # a template with several strokes may be one component in the image (strokes touch), never more
    assert len(segments) == len(text)
    for seg, n in zip(segments, parts(text), strict=True):
        assert 1 <= seg.parts <= n
        assert seg.ink.max() > 0.9 and seg.ink.shape == (seg.box[3] - seg.box[1], seg.box[2] - seg.box[0])


def test_crossing_and_dotted_strokes_in_any_order():
    # ÷ written dot, bar, dot; + written vertical first; a 4 in two strokes next to them
    strokes = [
        [[110, 40]],
        [[95, 60], [125, 60]],
        [[110, 80]],
        [[160, 45], [160, 75]],
        [[145, 60], [175, 60]],
        [[30, 10], [10, 70], [50, 70]],
        [[40, 40], [40, 110]],
    ]
    groups = group_boxes(
        [
            (min(p[0] for p in s), min(p[1] for p in s), max(p[0] for p in s), max(p[1] for p in s))
            for s in strokes
        ]
    )
    assert groups == [[5, 6], [0, 1, 2], [3, 4]]


def test_neighbours_that_lean_over_each_other_stay_apart():
    # a "(" whose box reaches a little into the next digit's, without touching it
    strokes = parse_strokes([[[30, 0], [5, 50], [30, 100]], [[29, 30], [70, 30], [45, 100]]])
    assert [s.parts for s in segment_strokes(strokes).segments] == [1, 1]


def test_touching_pieces_join_even_without_overlap():
    # a crossing traced as three pieces side by side (as skeletonising a + can give)
    strokes = parse_strokes(
        [[[0, 50], [30, 50]], [[30, 20], [30, 80]], [[31, 50], [60, 50]], [[90, 20], [90, 80]]]
    )
    assert [s.parts for s in segment_strokes(strokes).segments] == [3, 1]


def test_render_draws_every_stroke_and_dots():
    ink = render([np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[5.0, 5.0]])])
    assert ink.max() == 1.0 and ink.shape[1] > ink.shape[0]
    assert ink[ink.shape[0] - 6 :, :].max() > 0  # the dot below the bar


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"strokes": []}, "empty"),
        ({"strokes": "abc"}, "invalid_strokes"),
        ({"points": []}, "invalid_strokes"),
        ({"strokes": [[]]}, "invalid_strokes"),
        ({"strokes": [[[1, 2], [3]]]}, "invalid_strokes"),
        ({"strokes": [[[1, "2"]]]}, "invalid_strokes"),
        ({"strokes": [[[1, True]]]}, "invalid_strokes"),
        ({"strokes": [[[1, 1e308 * 10]]]}, "invalid_strokes"),
        ({"strokes": [[[0, 0]]] * (MAX_STROKES + 1)}, "too_many_strokes"),
        ({"strokes": [[[0, 0]] * (MAX_POINTS + 1)]}, "too_many_points"),
    ],
)
def test_stroke_limits_and_validation(payload, code):
    with pytest.raises(StrokeError) as info:
        parse_strokes(payload)
    assert info.value.code == code


def test_segmentation_can_join_any_two_symbols():
    seg = segment_strokes(parse_strokes(expression_strokes("5=")))
    five, equals = seg.segments
    joined = seg.merged([five, equals])
    assert seg.merged([five]) is five
    assert joined.members == tuple(sorted(five.members + equals.members))
    assert joined.box == (
        five.box[0],
        min(five.box[1], equals.box[1]),
        equals.box[2],
        max(five.box[3], equals.box[3]),
    )
    assert joined.ink.max() == 1.0
