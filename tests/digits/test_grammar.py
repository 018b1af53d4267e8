"""The expression grammar: precedence, parentheses, unary minus, exact fractions and clear errors."""

from __future__ import annotations

import ast
import random
from fractions import Fraction
from pathlib import Path

import pytest

import digits.grammar as grammar
from digits.grammar import ExpressionError, calculate, evaluate, format_decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1+2×3", 7),
        ("(1+2)×3", 9),
        ("2×3+4×5", 26),
        ("10-4-3", 3),
        ("64÷4÷2", 8),
        ("8-2×3+1", 3),
        ("-3+5", 2),
        ("-(2-5)×-3", -9),
        ("2--3", 5),
        ("+4", 4),
        ("--2", 2),
        ("((((7))))", 7),
        ("(3+2)÷2", Fraction(5, 2)),
        ("1÷3+1÷6", Fraction(1, 2)),
        ("2÷3×3", 2),
        ("22÷7", Fraction(22, 7)),
        ("12×(3-5)=", -24),
        ("007+1", 8),
        ("3*4/6", 2),
        ("1 + 2 x 3", 7),
    ],
)
def test_values(text, value):
    assert evaluate(text) == value
    assert isinstance(evaluate(text), Fraction)


def test_result_shows_fraction_and_decimal():
    assert calculate("(3+2)÷2").to_dict() == {"expression": "(3+2)÷2", "value": "5/2", "decimal": "2.5"}
    assert calculate("1÷3=").to_dict() == {"expression": "1÷3=", "value": "1/3", "decimal": "0.333333333333"}
    assert calculate("0-7÷8").to_dict()["decimal"] == "-0.875"
    assert format_decimal(Fraction(2, 3)) == "0.666666666667"
    assert format_decimal(Fraction(10**30, 7))[-13:] == ".142857142857"
    assert format_decimal(Fraction(0)) == "0" and format_decimal(Fraction(1200)) == "1200"


def test_exact_where_floats_are_not():
    assert evaluate("1÷10+2÷10") == Fraction(3, 10)
    assert evaluate("999999999999999999×999999999999999999") == 999999999999999999**2


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_expression"),
        ("   ", "empty_expression"),
        ("(1+2", "unbalanced_parentheses"),
        ("1+2)", "unbalanced_parentheses"),
        ("((2)", "unbalanced_parentheses"),
        (")(", "unbalanced_parentheses"),
        ("5÷0", "division_by_zero"),
        ("1÷(2-2)", "division_by_zero"),
        ("3÷(1-1)×0", "division_by_zero"),
        ("1+", "malformed_expression"),
        ("×2", "malformed_expression"),
        ("2×÷3", "malformed_expression"),
        ("()", "malformed_expression"),
        ("2(3)", "malformed_expression"),
        ("3=4", "malformed_expression"),
        ("=", "malformed_expression"),
        ("1+2==", "malformed_expression"),
        ("2^3", "malformed_expression"),
        ("1" * 201, "too_long"),
    ],
)
def test_errors(text, code):
    with pytest.raises(ExpressionError) as info:
        evaluate(text)
    assert info.value.code == code
    assert str(info.value)


def test_error_messages_point_at_the_problem():
    with pytest.raises(ExpressionError, match="position 1 is never closed"):
        evaluate("(1+2")
    with pytest.raises(ExpressionError, match="division by zero at position 2"):
        evaluate("5÷0")


def test_never_uses_eval():
    source = Path(grammar.__file__).read_text(encoding="utf-8")
    names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    assert not names & {"eval", "exec", "compile"}


def accepts(text: str) -> bool:
    state = grammar.START
    for c in text:
        state = grammar.follow(state, c)
        if state is None:
            return False
    return grammar.complete(state)


def test_the_symbol_machine_accepts_what_the_parser_does():
    # the reader keeps only readings the machine accepts: it must agree with the parser on every string
    rng = random.Random(0)
    valid = 0
    for _ in range(20_000):
        text = "".join(
            rng.choice("12+-×÷()=" if rng.random() < 0.5 else "0123456789+-×÷()=")
            for _ in range(rng.randint(1, 9))
        )
        try:
            calculate(text.replace("0", "1"))  # syntax alone: no division by zero
            parses = True
        except ExpressionError:
            parses = False
        assert accepts(text) == parses, text
        valid += parses
    assert valid > 1000  # the sample holds plenty of expressions, not only malformed strings
    assert accepts("-(3+2)÷-2=") and not accepts("(3+2") and not accepts("3)") and not accepts("3=4")
