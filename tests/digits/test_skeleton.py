"""Skeletons: thinning one picture or a batch, tracing, and training pictures redrawn with the standard pen."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from digits.preprocess import normalise
from digits.skeleton import open_blobs, skeleton_fields, skeletonise, thin, trace


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


def bold_nine() -> np.ndarray:
    """A 9 drawn with a pen 6 pixels wide, its head a filled disc (as in bold MNIST digits)."""
    image = Image.new("L", (60, 90), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 5, 44, 39), fill=255)
    draw.line([(41, 22), (30, 85)], fill=255, width=6)
    return np.asarray(image) > 0


def loops(skeleton: np.ndarray) -> int:
    """How many holes the skeleton goes round."""
    return ndimage.label(ndimage.binary_fill_holes(skeleton) & ~skeleton)[1]


def test_a_loop_filled_with_ink_is_opened_again():
    filled = bold_nine()
    assert loops(thin(filled)) == 0  # thinned as it is, the head collapses into a line: a 7
    assert loops(skeletonise(filled)) == 1
    # a stroke of even width keeps its ink, and its skeleton
    bar = np.zeros((30, 60), bool)
    bar[12:18, 5:55] = True
    assert open_blobs(bar, thin(bar)) is bar
    assert np.array_equal(skeletonise(bar), thin(bar))


def test_training_pictures_are_redrawn_round_filled_loops():
    picture = np.asarray(Image.fromarray(bold_nine().astype(np.uint8) * 255).resize((19, 28))).copy()
    field = np.zeros((28, 28), np.uint8)
    field[:, 4:23] = picture
    redrawn = skeleton_fields(field[None])[0] > 128
    assert loops(redrawn) == 1
