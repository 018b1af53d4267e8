"""Recognition: the reading search on hand-made symbol lists, and with the shipped weights when present."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from handwriting import TEMPLATES, digit_image, draw_strokes, expression_strokes, shipped
from PIL import Image, ImageDraw

from digits import SYMBOLS, networks
from digits.grammar import START, ExpressionError, complete, follow
from digits.recognise import (
    OVERRULE,
    SYMBOL_SAY,
    Reader,
    Symbol,
    best_path,
    digit_height,
    position_prior,
    predict_digit,
    probabilities,
    read_image,
    read_row,
    read_strokes,
    size_prior,
    solve,
)
from digits.segment import parse_strokes, segment_strokes


def sym(char: str, confidence: float = 0.9) -> Symbol:
    return Symbol(char, confidence, (0, 0, 1, 1))


def test_solve_evaluates_what_was_read():
    result = solve([sym("1"), sym("+", 0.8), sym("2", 0.99)])
    assert result["expression"] == "1+2" and result["value"] == "3" and result["decimal"] == "3"
    assert result["symbols"][1] == {"char": "+", "confidence": 0.8, "box": [0, 0, 1, 1]}


def test_a_malformed_reading_is_reported_with_what_was_read():
    with pytest.raises(ExpressionError) as info:
        solve([sym("1"), sym("+")])
    assert info.value.code == "malformed_expression" and info.value.expression == "1+"
    assert [s["char"] for s in info.value.symbols] == ["1", "+"]


def test_division_by_zero_is_reported():
    with pytest.raises(ExpressionError) as info:
        solve([sym("5"), sym("÷"), sym("0", 0.7)])
    assert info.value.code == "division_by_zero"


def options_for(*readings: dict[str, float]) -> list[tuple[int, int, float, str | None]]:
    """One group per reading, each read as any of its symbols at the cost of its probability."""
    return [(i, i, -math.log(p), c) for i, reading in enumerate(readings) for c, p in reading.items()]


def text_of(path) -> str:
    return "".join(c for _, _, c in path if c is not None)


def test_best_path_takes_the_best_reading_that_is_an_expression():
    # "(" drawn like a 1: the model prefers 1, which leaves the ")" unmatched
    readings = [
        {"1": 0.55, "(": 0.4},
        {"3": 0.9},
        {"+": 0.9},
        {"2": 0.9},
        {")": 0.6, "1": 0.35},
        {"÷": 0.9},
        {"2": 0.9},
    ]
    options = options_for(*readings)
    cost, path = best_path(len(readings), options, follow, START, complete)
    assert text_of(path) == "(3+2)÷2" and cost == pytest.approx(-math.log(0.4 * 0.9**5 * 0.6))
    _, anything = best_path(len(readings), options, lambda state, c: state, START, lambda state: True)
    assert text_of(anything) == "13+2)÷2"  # without the grammar: the model's own choice
    assert text_of(read_row(len(readings), options)) == "(3+2)÷2"


def test_best_path_joins_and_leaves_out_groups():
    # groups 1 and 2 are the halves of a 4; group 3 is a speck that may be left out
    options = sorted(
        options_for({"7": 0.9}, {"(": 0.8}, {"1": 0.8}, {"1": 0.1}, {"+": 0.9}, {"2": 0.9})
        + [(1, 2, -math.log(0.9), "4"), (3, 3, 1.5, None)]
    )
    _, path = best_path(6, options, follow, START, complete)
    assert path == [(0, 0, "7"), (1, 2, "4"), (3, 3, None), (4, 4, "+"), (5, 5, "2")]


def test_best_path_is_none_when_nothing_is_an_expression():
    assert (
        best_path(2, options_for({"1": 0.9, "2": 0.1}, {"+": 0.9, "×": 0.1}), follow, START, complete) is None
    )


def test_the_grammar_does_not_hide_what_was_written():
    # an unfinished "8×": the × is small enough to be a speck, but the model reads it clearly
    unfinished = options_for({"8": 0.9}, {"×": 0.9, "4": 0.008}) + [(1, 1, 1.5, None)]
    assert (
        text_of(read_row(2, unfinished)) == "8×"
    )  # neither "8" (× left out) nor "84" (over 100 times less likely)
    # a stray mark the model itself leaves out stays left out
    assert text_of(read_row(2, options_for({"8": 0.9}, {"×": 0.1}) + [(1, 1, 1.5, None)])) == "8"
    # a reading just within OVERRULE of the model's best is taken
    assert (
        text_of(read_row(2, options_for({"8": 0.9}, {"×": 0.9, "4": 0.9 * math.exp(-OVERRULE) * 1.1})))
        == "84"
    )


def test_nothing_written():
    with pytest.raises(ExpressionError, match="no handwriting"):
        solve([])


def test_random_model_gives_well_formed_outputs(random_models):
    model = networks.load(networks.weights_path(random_models / "digits", "cnn"), "cnn")
    p = predict_digit(digit_image("5"), model, min_confidence=0.0)
    assert p.digit in range(10) and abs(sum(p.probabilities) - 1) < 1e-4
    blank = predict_digit(Image.new("L", (50, 50), 255), model)
    assert blank.digit is None and blank.reason == "blank"
    symbols_model = networks.load(networks.weights_path(random_models / "digits", "symbols"), "symbols")
    read = read_strokes(parse_strokes(expression_strokes("12+3")), Reader(symbols_model, model))
    assert 1 <= len(read) <= 4 and all(0 < s.confidence <= 1 and s.char in SYMBOLS for s in read)


# --- with the shipped weights -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cnn():
    return networks.load(shipped("cnn"), "cnn")


@pytest.fixture(scope="module")
def reader(cnn):
    return Reader(networks.load(shipped("symbols"), "symbols"), cnn)


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


EXPRESSIONS = {
    "(3+2)÷2=": "5/2",
    "12×(4-5)": "-12",
    "45÷9-7=": "-2",
    "8×6+0": "48",
    "1+1=": "2",
    "(9-3)÷(2+4)": "1",
    "7-6÷4": "11/2",
    "36÷8": "9/2",
}


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
    assert (
        prior[0, k("+")] < 1 and prior[0, k("(")] < prior[3, k("(")] == 1
    )  # as tall as a digit: not ( nor +
    assert prior[1, k("7")] < 1 and prior[1, k("+")] == 1  # half a digit's height: an operator, not a digit
    assert (size_prior(heights, 0.0) == 1).all()
    probs = np.eye(len(SYMBOLS))[[k("7"), k("+"), k("1"), k("(")]]
    assert digit_height(heights, probs) == 40.0  # only the 7 counts: a 1 may be a parenthesis
    assert digit_height(heights[1:], probs[1:]) == 0.0


def test_position_prior_expects_operators_halfway_up_the_digits():
    digits = np.array([[0, 0, 20, 40], [100, 20, 120, 60]], dtype=float)  # writing that falls to the right
    boxes = np.array(
        [
            [40, 20, 60, 24],  # halfway up where it is written
            [40, 0, 60, 4],  # level with the top of the digits
            [40, 14, 60, 18],
        ],
        dtype=float,
    )  # in between
    prior = position_prior(boxes, digits, 40.0)
    k = SYMBOLS.index
    assert prior[0, k("-")] == 1 and prior[1, k("-")] < 0.2 < prior[2, k("-")] < 1
    assert (prior[:, k("5")] == 1).all()  # digits may sit anywhere
    assert (position_prior(boxes, digits[:0], 40.0) == 1).all()


def test_reader_asks_the_digit_cnn_which_digit(random_models):
    folder = random_models / "digits"
    symbols_model, cnn = (
        networks.load(folder / "symbols.safetensors", "symbols"),
        networks.load(folder / "cnn.safetensors", "cnn"),
    )
    fields = [np.random.default_rng(k).uniform(-0.5, 0.5, (28, 28)).astype(np.float32) for k in range(3)]
    alone, both = (
        Reader(symbols_model).probabilities(fields),
        Reader(symbols_model, cnn).probabilities(fields),
    )
    assert np.allclose(both.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(both[:, 10:], alone[:, 10:])  # the operators are the symbol classifier's
    assert np.allclose(both[:, :10].sum(axis=1), alone[:, :10].sum(axis=1), atol=1e-5)  # and so is "a digit"
    # which digit: both models, as a product of experts that weighs the CNN more
    cnn_says, symbols_say = (
        probabilities(cnn, fields),
        alone[:, :10] / alone[:, :10].sum(axis=1, keepdims=True),
    )
    together = cnn_says ** (1 - SYMBOL_SAY) * symbols_say**SYMBOL_SAY
    assert np.allclose(
        both[:, :10] / both[:, :10].sum(axis=1, keepdims=True),
        together / together.sum(axis=1, keepdims=True),
        atol=1e-4,
    )
    assert 0 < SYMBOL_SAY < 0.5


def test_pieces_apart_are_joined_when_they_read_better_together(reader):
    # the flag of the 5 floats above and right of its body: neither touching it nor over it
    flag, body = [(0.6, -0.15), (0.85, -0.15)], TEMPLATES["5"][1]
    strokes = expression_strokes("35+2", templates={**TEMPLATES, "5": [flag, body]})
    assert [s.parts for s in segment_strokes(parse_strokes(strokes)).segments] == [1, 1, 1, 2, 1]
    assert solve(read_strokes(parse_strokes(strokes), reader))["expression"] == "35+2"


def test_a_flag_further_off_joins_its_5_but_a_minus_stays(reader):
    # a 5's flag that came loose further than the pen allows, level with the top of the 5: too high for a
    # minus, so it may still join the 5; a bar as far off but halfway up is a minus
    def with_bar(bar):
        return parse_strokes(
            expression_strokes("157+1", gap=70, templates={**TEMPLATES, "5": [bar, TEMPLATES["5"][1]]})
        )

    flag, minus = with_bar([(0.8, -0.12), (1.1, -0.14)]), with_bar([(0.8, 0.5), (1.1, 0.5)])
    assert [s.parts for s in segment_strokes(flag).segments] == [1, 1, 1, 1, 2, 1]
    assert solve(read_strokes(flag, reader))["expression"] == "157+1"
    assert solve(read_strokes(minus, reader))["expression"] == "15-7+1"


def test_pieces_a_pen_width_apart_are_one_symbol(reader):
    # a 4 whose bar stands clear of its open corner, as MNIST writers draw it: the strokes' boxes lie further
    # apart than the ink drawn along them, by the pen's width
    four = [[(0.3, 0.0), (0.0, 0.65), (0.38, 0.65)], [(0.5, 0.05), (0.5, 1.0)]]
    strokes = expression_strokes("44+1", templates={**TEMPLATES, "4": four})
    assert [s.parts for s in segment_strokes(parse_strokes(strokes)).segments] == [1, 1, 1, 1, 2, 1]
    assert solve(read_strokes(parse_strokes(strokes), reader))["expression"] == "44+1"


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
