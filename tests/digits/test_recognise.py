"""Recognition: the reading search on hand-made symbol lists, and with the shipped weights when present."""

from __future__ import annotations

import io

import numpy as np
import pytest
from handwriting import TEMPLATES, digit_image, draw_strokes, expression_strokes, shipped
from PIL import Image, ImageDraw

from digits import SYMBOLS, models
from digits.grammar import ExpressionError
from digits.recognise import (
    Reader,
    Symbol,
    digit_height,
    position_prior,
    predict_digit,
    probabilities,
    read_image,
    read_strokes,
    size_prior,
    solve,
)
from digits.segment import parse_strokes, segment_strokes


def sym(*top: tuple[str, float]) -> Symbol:
    return Symbol(top[0][0], top[0][1], (0, 0, 1, 1), list(top))


def test_solve_takes_the_best_reading():
    result = solve([sym(("1", 0.9)), sym(("+", 0.8), ("4", 0.1)), sym(("2", 0.99))])
    assert result["expression"] == "1+2" and result["value"] == "3" and result["decimal"] == "3"
    assert [s["char"] for s in result["symbols"]] == ["1", "+", "2"]
    assert set(result["symbols"][0]) == {"char", "confidence", "box"}


def test_solve_falls_back_to_a_likely_alternative_that_parses():
    # "(" read as "1" by the model, with "(" a close second
    result = solve([sym(("1", 0.55), ("(", 0.4)), sym(("3", 0.9)), sym(("+", 0.9)), sym(("2", 0.9)),
                    sym((")", 0.95)), sym(("÷", 0.9)), sym(("2", 0.9))])
    assert result["expression"] == "(3+2)÷2" and result["value"] == "5/2" and result["decimal"] == "2.5"
    assert result["symbols"][0] == {"char": "(", "confidence": 0.4, "box": [0, 0, 1, 1]}


def test_unlikely_alternatives_are_not_used_to_hide_errors():
    with pytest.raises(ExpressionError) as info:
        solve([sym(("1", 0.9)), sym(("+", 0.96), ("4", 0.03))])
    assert info.value.code == "malformed_expression" and info.value.expression == "1+"


def test_division_by_zero_is_reported_not_guessed_away():
    with pytest.raises(ExpressionError) as info:
        solve([sym(("5", 0.9)), sym(("÷", 0.9)), sym(("0", 0.7), ("6", 0.25))])
    assert info.value.code == "division_by_zero"


def test_nothing_written():
    with pytest.raises(ExpressionError, match="no handwriting"):
        solve([])


def test_random_model_gives_well_formed_outputs(random_models):
    model = models.load(models.weights_path(random_models / "digits", "cnn"), "cnn")
    p = predict_digit(digit_image("5"), model, min_confidence=0.0)
    assert p.digit in range(10) and abs(sum(p.probabilities) - 1) < 1e-4
    blank = predict_digit(Image.new("L", (50, 50), 255), model)
    assert blank.digit is None and blank.reason == "blank"
    symbols_model = models.load(models.weights_path(random_models / "digits", "symbols"), "symbols")
    read = read_strokes(parse_strokes(expression_strokes("12+3")), Reader(symbols_model, model))
    assert 1 <= len(read) <= 4 and all(0 < s.confidence <= 1 and s.top[0][0] == s.char for s in read)


# --- with the shipped weights -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cnn():
    return models.load(shipped("cnn"), "cnn")


@pytest.fixture(scope="module")
def reader(cnn):
    return Reader(models.load(shipped("symbols"), "symbols"), cnn)


def photo(image: Image.Image) -> bytes:
    """The picture as a noisy, unevenly lit colour JPEG."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    light = np.linspace(0.6, 1.0, pixels.shape[0])[:, None, None]
    noisy = pixels * light + np.random.default_rng(0).normal(0, 5, pixels.shape)
    buffer = io.BytesIO()
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_shipped_cnn_reads_drawn_digits(cnn):
    pictures = [(d, digit_image(d)) for d in "0123456789"]
    pictures += [(d, digit_image(d, ink=255, paper=0, width=20)) for d in "0123456789"]
    pictures += [(d, photo(digit_image(d, size=(600, 800), width=25))) for d in "0123456789"]
    right = sum(predict_digit(p, cnn).digit == int(d) for d, p in pictures)
    assert right >= 27, f"{right}/30 drawn digits read correctly"


def test_shipped_cnn_refuses_blank_and_non_digits(cnn):
    assert predict_digit(Image.new("RGB", (400, 300), (200, 190, 180)), cnn).reason == "blank"
    blob = Image.new("L", (200, 200), 255)
    blob.paste(0, (40, 40, 160, 160))
    assert predict_digit(blob, cnn).digit is None


EXPRESSIONS = {"(3+2)÷2=": "5/2", "12×(4-5)": "-12", "45÷9-7=": "-2", "8×6+0": "48", "1+1=": "2",
               "(9-3)÷(2+4)": "1", "7-6÷4": "11/2", "36÷8": "9/2"}


def test_shipped_models_read_stroke_expressions(reader):
    right = 0
    for text, value in EXPRESSIONS.items():
        try:
            result = solve(read_strokes(parse_strokes(expression_strokes(text)), reader))
        except ExpressionError:
            continue
        right += result["expression"] == text and result["value"] == value
    assert right >= 7, f"{right}/{len(EXPRESSIONS)} expressions read exactly"


def test_shipped_models_read_expression_images(reader):
    right = 0
    for text, value in EXPRESSIONS.items():
        try:
            result = solve(read_image(photo(draw_strokes(expression_strokes(text), width=5)), reader))
        except ExpressionError:
            continue
        right += result["expression"] == text and result["value"] == value
    assert right >= 7, f"{right}/{len(EXPRESSIONS)} expressions read exactly"


def test_size_prior_knows_operators_are_small_and_parentheses_tall():
    heights = np.array([40.0, 20.0, 40.0, 50.0])
    prior = size_prior(heights, 40.0)
    k = SYMBOLS.index
    assert prior[0, k("+")] < 1 and prior[0, k("(")] < prior[3, k("(")] == 1  # as tall as a digit: not ( nor +
    assert prior[1, k("7")] < 1 and prior[1, k("+")] == 1  # half a digit's height: an operator, not a digit
    assert (size_prior(heights, 0.0) == 1).all()
    probs = np.eye(len(SYMBOLS))[[k("7"), k("+"), k("1"), k("(")]]
    assert digit_height(heights, probs) == 40.0  # only the 7 counts: a 1 may be a parenthesis
    assert digit_height(heights[1:], probs[1:]) == 0.0


def test_position_prior_expects_operators_halfway_up_the_digits():
    digits = np.array([[0, 0, 20, 40], [100, 20, 120, 60]], dtype=float)  # writing that falls to the right
    boxes = np.array([[40, 20, 60, 24],  # halfway up where it is written
                      [40, 0, 60, 4],  # level with the top of the digits
                      [40, 14, 60, 18]], dtype=float)  # in between
    prior = position_prior(boxes, digits, 40.0)
    k = SYMBOLS.index
    assert prior[0, k("-")] == 1 and prior[1, k("-")] < 0.2 < prior[2, k("-")] < 1
    assert (prior[:, k("5")] == 1).all()  # digits may sit anywhere
    assert (position_prior(boxes, digits[:0], 40.0) == 1).all()


def test_reader_asks_the_digit_cnn_which_digit(random_models):
    folder = random_models / "digits"
    symbols_model, cnn = models.load(folder / "symbols.safetensors", "symbols"), models.load(folder / "cnn.safetensors", "cnn")
    fields = [np.random.default_rng(k).uniform(-0.5, 0.5, (28, 28)).astype(np.float32) for k in range(3)]
    alone, both = Reader(symbols_model).probabilities(fields), Reader(symbols_model, cnn).probabilities(fields)
    assert np.allclose(both.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(both[:, 10:], alone[:, 10:])  # the operators are the symbol classifier's
    digits = probabilities(cnn, fields)
    assert np.allclose(both[:, :10] / both[:, :10].sum(axis=1, keepdims=True), digits, atol=1e-5)


def test_pieces_apart_are_joined_when_they_read_better_together(reader):
    # the flag of the 5 floats above and right of its body: neither touching it nor over it
    flag, body = [(0.6, -0.15), (0.85, -0.15)], TEMPLATES["5"][1]
    strokes = expression_strokes("35+2", templates={**TEMPLATES, "5": [flag, body]})
    assert [s.parts for s in segment_strokes(parse_strokes(strokes)).segments] == [1, 1, 1, 2, 1]
    assert solve(read_strokes(parse_strokes(strokes), reader))["expression"] == "35+2"


def test_dots_alone_are_no_symbol(reader):
    strokes = expression_strokes("7+2")
    x = strokes[0][1][0] + 14  # a column of noise specks just right of the 7
    strokes[1:1] = [[[x, y], [x, y + 1.5]] for y in range(32, 110, 12)]
    assert solve(read_strokes(parse_strokes(strokes), reader))["expression"] == "7+2"


def test_a_stray_tap_is_left_out(reader):
    strokes = expression_strokes("7+2")
    strokes.insert(1, [[strokes[0][0][0] + 60, 60]])  # a dot in the gap between 7 and +
    assert solve(read_strokes(parse_strokes(strokes), reader))["expression"] == "7+2"


def test_a_scene_is_not_a_digit_even_when_it_looks_like_one(cnn):
    plain = digit_image("3")
    assert predict_digit(plain, cnn).digit == 3
    framed = plain.copy()
    ImageDraw.Draw(framed).rectangle((0, 0, plain.width - 1, plain.height - 1), outline=0, width=4)
    assert predict_digit(framed, cnn).reason == "not_a_digit"  # ink runs along the picture's edge
    stripes = np.tile(np.repeat([0, 255], 6).astype(np.uint8), (260, 20))[:, :200]
    assert predict_digit(Image.fromarray(stripes), cnn).reason == "not_a_digit"  # ink all over the picture
