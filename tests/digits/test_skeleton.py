"""Skeletons: thinning one picture or a batch, tracing, and training pictures redrawn with the standard pen."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digits.preprocess import normalise
from digits.skeleton import skeleton_fields, thin, trace


def ring(width: int, size: int = 28) -> np.ndarray:
    """A 0 drawn with a pen ``width`` pixels wide, as a uint8 MNIST-style picture."""
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).ellipse((7, 4, 21, 24), outline=255, width=width)
    return np.asarray(image)


def test_a_batch_thins_like_its_pictures_one_by_one():
    pictures = np.stack([ring(2) > 0, ring(5) > 0, np.zeros((28, 28), bool)])
    batch = thin(pictures)
    assert batch.shape == pictures.shape
    for picture, skeleton in zip(pictures, batch, strict=True):
        assert np.array_equal(skeleton, thin(picture))
    assert not batch[2].any()


def test_pen_width_no_longer_matters_after_redrawing():
    thin_pen, fat_pen = ring(2), ring(6)
    redrawn = skeleton_fields(np.stack([thin_pen, fat_pen])).astype(np.float32) / 255
    before = np.abs(normalise(thin_pen / 255.0) - normalise(fat_pen / 255.0)).mean()
    after = np.abs(redrawn[0] - redrawn[1]).mean()
    assert redrawn.shape == (2, 28, 28) and redrawn.max() > 0.9
    assert after < 0.7 * before
    # still a 0: the hole in the middle stays blank
    assert redrawn[1][12:16, 12:16].max() < 0.1


def test_a_traced_cross_gives_a_straight_bar():
    mask = np.zeros((21, 21), bool)
    mask[10, 2:19] = True
    mask[2:19, 10] = True
    strokes = trace(mask)
    assert sum(len(s) for s in strokes) >= mask.sum()
    # one bar goes straight on through the crossing, as a pen would draw it
    assert any(len(s) == 17 and (len({x for x, _ in s}) == 1 or len({y for _, y in s}) == 1) for s in strokes)
