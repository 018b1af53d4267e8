"""The benchmark's synthetic expressions: valid text, composed pictures, strokes recovered by skeletonising."""

from __future__ import annotations

import numpy as np
from handwriting import TEMPLATES, draw_strokes, expression_strokes
from scipy import ndimage

from digits.grammar import evaluate
from digits.preprocess import ink_of, load_grey
from digits.segment import parse_strokes, segment_strokes
from digits.skeleton import thin, trace
from digits.synth import GlyphBank, compose, random_expression, strokes_from_picture


def test_random_expressions_are_valid_and_varied():
    rng = np.random.default_rng(0)
    texts = [random_expression(rng) for _ in range(300)]
    for t in texts:
        evaluate(t)
        assert 3 <= len(t) <= 13
    joined = "".join(texts)
    assert all(c in joined for c in "0123456789+-×÷()=")
    assert len(set(texts)) > 280


def test_thinning_leaves_one_pixel_lines():
    mask = np.zeros((30, 60), bool)
    mask[10:17, 5:55] = True  # a 7-pixel-thick bar
    skeleton = thin(mask)
    assert skeleton.sum() > 30 and (skeleton.sum(axis=0) <= 1).all()
    strokes = trace(skeleton)
    assert len(strokes) == 1 and len(strokes[0]) == skeleton.sum()


def test_strokes_recovered_from_a_picture_regroup_into_its_symbols():
    picture = draw_strokes(expression_strokes("(4+7)×2=", height=60), width=5)
    strokes = strokes_from_picture(picture)
    groups = segment_strokes(parse_strokes(strokes)).segments
    assert len(groups) == 8
    points = np.concatenate([np.array(s) for s in strokes])
    assert (
        (points >= 0).all() and (points[:, 0] < picture.width).all() and (points[:, 1] < picture.height).all()
    )


def test_compose_lays_glyphs_left_to_right():
    glyphs = {
        c: [
            1
            - np.asarray(draw_strokes(expression_strokes(c, height=40, origin=(4, 4)), width=3), np.float32)
            / 255
        ]
        for c in TEMPLATES
    }
    picture = compose("12+3", GlyphBank(glyphs), np.random.default_rng(0), height=40)
    assert picture.mode == "L" and picture.size[1] == 80
    found = ink_of(load_grey(picture))
    assert not found.inverted and found.contrast > 0.9
    columns = (found.ink > 0.5).any(axis=0)
    runs = np.flatnonzero(np.diff(columns.astype(int)) == 1)
    assert len(runs) >= 4  # four glyphs with gaps between them


def test_a_wider_pen_never_runs_the_bars_of_equals_together():
    # a thin-pen = whose bars lie close: the full pen width would fuse them into one thick bar
    equals = np.zeros((45, 45), np.float32)
    equals[19, 8:37] = equals[24, 8:37] = 1.0
    rng = np.random.default_rng(0)
    for _ in range(20):
        ink = ink_of(load_grey(compose("=", GlyphBank({"=": [equals]}), rng))).ink
        assert ndimage.label(ink > 0.5)[1] == 2
