"""Preprocessing of pictures drawn with Pillow: polarity, lighting, size, thickness and MNIST's centring."""

from __future__ import annotations

import io

import numpy as np
import pytest
from handwriting import digit_image
from PIL import Image
from scipy import ndimage

from digits.preprocess import BadImage, load_grey, normalise, otsu, prepare_character, to_unit


def check_mnist_like(field: np.ndarray) -> None:
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() == pytest.approx(-0.5) and field.max() == pytest.approx(0.5)
    ink = field + 0.5
    rows, cols = np.nonzero(ink > 0)
    assert rows.max() - rows.min() + 1 <= 20 and cols.max() - cols.min() + 1 <= 20
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 >= 19  # the longest side fills the box
    cy, cx = ndimage.center_of_mass(ink)
    assert abs(cy - 14) <= 1.0 and abs(cx - 14) <= 1.0


def test_dark_ink_on_light_paper():
    p = prepare_character(digit_image("7"))
    assert not p.inverted
    check_mnist_like(p.field)


def test_light_ink_on_dark_background_is_detected_and_inverted():
    normal = prepare_character(digit_image("3"))
    reverse = prepare_character(digit_image("3", ink=255, paper=0))
    assert reverse.inverted
    check_mnist_like(reverse.field)
    assert np.abs(normal.field - reverse.field).mean() < 0.02


def test_colour_photo_with_uneven_light_and_noise():
    image = digit_image("4", size=(640, 480), width=18, mode="RGB", ink=(40, 30, 90), paper=(235, 225, 200))
    pixels = np.asarray(image, dtype=np.float32)
    light = np.linspace(0.55, 1.0, 640)[None, :, None]  # a shadow from the left
    noise = np.random.default_rng(0).normal(0, 6, pixels.shape)
    photo = Image.fromarray(np.clip(pixels * light + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=80)
    p = prepare_character(buffer.getvalue())
    assert not p.inverted
    check_mnist_like(p.field)
    clean = prepare_character(digit_image("4", size=(640, 480), width=18))
    assert np.abs(p.field - clean.field).mean() < 0.05


def test_pen_width_and_picture_size_do_not_change_the_result_much():
    thin = prepare_character(digit_image("2", size=(800, 1000), width=3)).field
    thick = prepare_character(digit_image("2", size=(100, 130), width=6)).field
    check_mnist_like(thin)
    check_mnist_like(thick)
    other = prepare_character(digit_image("3", size=(100, 130), width=6)).field
    assert np.abs(thin - thick).mean() < 0.1 < np.abs(thin - other).mean()
    assert 40 < (thin + 0.5).sum() < 140  # MNIST digits hold about 100 units of ink


def test_transparent_canvas_export():
    rgba = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    stroke = digit_image("1", size=(300, 300), ink=255, paper=0)
    rgba.putalpha(stroke)  # black ink where the alpha is, transparent elsewhere
    p = prepare_character(rgba)
    check_mnist_like(p.field)


def test_blank_pictures():
    assert prepare_character(Image.new("L", (300, 200), 240)).field is None
    noise = np.random.default_rng(1).normal(200, 4, (300, 300)).clip(0, 255).astype(np.uint8)
    assert prepare_character(Image.fromarray(noise)).field is None


def test_unreadable_image():
    with pytest.raises(BadImage, match="not a readable image"):
        load_grey(b"not an image at all")


def test_wide_symbol_keeps_its_aspect_ratio():
    bar = np.zeros((40, 200), np.float32)
    bar[18:23, :] = 1.0
    field = normalise(bar) + 0.5
    rows, cols = np.nonzero(field > 0.1)
    assert cols.max() - cols.min() + 1 == 20 and rows.max() - rows.min() + 1 <= 6


def test_helpers():
    assert 0.3 < otsu(np.r_[np.full(100, 0.1), np.full(100, 0.9)]) < 0.7
    assert to_unit(np.array([[0, 255]], np.uint8)).tolist() == [[-0.5, 0.5]]
    assert np.all(normalise(np.zeros((5, 5), np.float32)) == -0.5)
