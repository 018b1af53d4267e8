"""Arithmetic on recognised symbols: a recursive-descent parser evaluated exactly with ``Fraction``.

    expression := sum ["="]
    sum        := product (("+" | "-") product)*
    product    := unary (("×" | "÷") unary)*
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | "(" sum ")"

Numbers are runs of digits. ``*``, ``x``, ``/`` and ``:`` are accepted as typed spellings of × and ÷.
Nothing is ever passed to ``eval``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from core.errors import UserError

SPELLINGS = {
    "*": "×",
    "x": "×",
    "X": "×",
    "·": "×",
    "/": "÷",
    ":": "÷",
    "−": "-",
    "–": "-",
    "＋": "+",
    "＝": "=",
}
MAX_LENGTH = 200
DECIMAL_PLACES = 12


class ExpressionError(UserError):
    """A malformed expression; ``code`` says which kind, ``position`` where (0-based, in symbols)."""

    def __init__(self, message: str, *, code: str, position: int | None = None) -> None:
        super().__init__(message, code=code)
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # "num", one of "+-×÷()=", or "end"
    text: str
    position: int


def normalise(text: str) -> str:
    return "".join(SPELLINGS.get(c, c) for c in text if not c.isspace())


def tokenize(text: str) -> list[Token]:
    text = normalise(text)
    if not text:
        raise ExpressionError("the expression is empty", code="empty_expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression has {len(text)} symbols (at most {MAX_LENGTH})", code="too_long"
        )
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isdigit() and c.isascii():
            j = i
            while j < len(text) and text[j].isdigit() and text[j].isascii():
                j += 1
            tokens.append(Token("num", text[i:j], i))
            i = j
        elif c in "+-×÷()=":
            tokens.append(Token(c, c, i))
            i += 1
        else:
            raise ExpressionError(
                f"unexpected symbol {c!r} at position {i + 1}", code="malformed_expression", position=i
            )
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expression(self) -> Fraction:
        value = self.sum()
        if self.tok.kind == "=":
            equals = self.take()
            if self.tok.kind != "end":
                raise ExpressionError(
                    "'=' may only end the expression", code="malformed_expression", position=equals.position
                )
        t = self.tok
        if t.kind == ")":
            raise ExpressionError(
                f"')' at position {t.position + 1} has no matching '('",
                code="unbalanced_parentheses",
                position=t.position,
            )
        if t.kind == "=":
            raise ExpressionError(
                "'=' may only end the expression", code="malformed_expression", position=t.position
            )
        if t.kind != "end":
            raise ExpressionError(
                f"missing operator before {t.text!r} at position {t.position + 1}",
                code="malformed_expression",
                position=t.position,
            )
        return value

    def sum(self) -> Fraction:
        value = self.product()
        while self.tok.kind in ("+", "-"):
            op = self.take().kind
            rhs = self.product()
            value = value + rhs if op == "+" else value - rhs
        return value

    def product(self) -> Fraction:
        value = self.unary()
        while self.tok.kind in ("×", "÷"):
            op = self.take()
            rhs = self.unary()
            if op.kind == "÷":
                if rhs == 0:
                    raise ExpressionError(
                        f"division by zero at position {op.position + 1}",
                        code="division_by_zero",
                        position=op.position,
                    )
                value = value / rhs
            else:
                value = value * rhs
        return value

    def unary(self) -> Fraction:
        if self.tok.kind in ("-", "+"):
            op = self.take().kind
            value = self.unary()
            return -value if op == "-" else value
        return self.primary()

    def primary(self) -> Fraction:
        t = self.take()
        if t.kind == "num":
            return Fraction(int(t.text))
        if t.kind == "(":
            value = self.sum()
            if self.tok.kind != ")":
                if self.tok.kind in ("end", "="):
                    raise ExpressionError(
                        f"'(' at position {t.position + 1} is never closed",
                        code="unbalanced_parentheses",
                        position=t.position,
                    )
                raise ExpressionError(
                    f"expected ')' at position {self.tok.position + 1}",
                    code="malformed_expression",
                    position=self.tok.position,
                )
            self.take()
            return value
        if t.kind == "end":
            raise ExpressionError(
                "the expression ends where a number was expected",
                code="malformed_expression",
                position=t.position,
            )
        if t.kind == ")":
            if not any(x.kind == "(" for x in self.tokens[: self.i - 1]):
                raise ExpressionError(
                    f"')' at position {t.position + 1} has no matching '('",
                    code="unbalanced_parentheses",
                    position=t.position,
                )
            raise ExpressionError(
                f"empty parentheses or missing number at position {t.position + 1}",
                code="malformed_expression",
                position=t.position,
            )
        raise ExpressionError(
            f"expected a number at position {t.position + 1}, found {t.text!r}",
            code="malformed_expression",
            position=t.position,
        )


# The same grammar as a machine that reads one symbol at a time, for the reader to keep only readings that can
# still become an expression. A state is (what was read last, parentheses open).
OPERAND, DIGIT, CLOSE, EQUALS = range(
    4
)  # an operand is due (start, after an operator or "("); or what came last
START = (OPERAND, 0)


def follow(state: tuple[int, int], c: str) -> tuple[int, int] | None:
    """The state after symbol ``c``, or None when ``c`` cannot come next."""
    last, depth = state
    if last == OPERAND:
        if c.isdigit():
            return DIGIT, depth
        if c == "(":
            return OPERAND, depth + 1
        return state if c in "+-" else None  # unary
    if last == EQUALS:
        return None
    if c.isdigit():
        return state if last == DIGIT else None
    if c in "+-×÷":
        return OPERAND, depth
    if c == ")":
        return (CLOSE, depth - 1) if depth else None
    if c == "=":
        return (EQUALS, 0) if not depth else None
    return None


def complete(state: tuple[int, int]) -> bool:
    return state[0] != OPERAND and state[1] == 0


def evaluate(text: str) -> Fraction:
    """The exact value of an arithmetic expression; ExpressionError when it is malformed."""
    return _Parser(tokenize(text)).expression()


def format_decimal(value: Fraction, places: int = DECIMAL_PLACES) -> str:
    """Exact when the decimal terminates, else rounded to ``places`` decimals (e.g. 1/3 → 0.333333333333)."""
    with localcontext() as ctx:
        ctx.prec = 200
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        den = value.denominator
        for p in (2, 5):
            while den % p == 0:
                den //= p
        if den != 1:
            exact = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        text = format(exact.normalize(), "f") if exact != 0 else "0"
    return text


@dataclass(frozen=True)
class Result:
    expression: str
    value: Fraction

    def to_dict(self) -> dict:
        return {
            "expression": self.expression,
            "value": str(self.value),
            "decimal": format_decimal(self.value),
        }


def calculate(text: str) -> Result:
    expression = normalise(text)
    return Result(expression, evaluate(expression))
