"""The couplet text API as domain functions: validate the input, then ask the generator.

`generate` writes lower lines for an upper line; `refill` rewrites the open positions of a lower line
whose other characters the user keeps; `alternatives` offers other characters for one position;
`uppers_for` writes upper lines for a given lower line.
"""

from __future__ import annotations

from core.errors import UserError
from core.settings import Settings
from couplet.locks import lock, parse_pattern, reopen
from couplet.model.generator import Alternative, Candidate, DecodeOptions, UpperCandidate
from couplet.resources import get_badwords, get_generator
from couplet.rules import InvalidUpper, validate_line, validate_upper

MAX_CANDIDATES = 10
MAX_ALTERNATIVES = 20


def checked_upper(text: str, settings: Settings) -> str:
    """The normalised upper line; InvalidUpper if it breaks the input rules or holds a bad word."""
    return _checked(validate_upper(text), "upper line", settings)


def checked_lower(text: str, settings: Settings) -> str:
    """The normalised lower line; InvalidUpper if it breaks the input rules or holds a bad word."""
    return _checked(validate_line(text, "lower line"), "lower line", settings)


def _checked(line: str, role: str, settings: Settings) -> str:
    word = get_badwords(settings).find(line)
    if word:
        raise InvalidUpper(f"the {role} contains a blocked word ({word})", code="bad_word")
    return line


def generate(
    upper: str, n: int = 3, options: DecodeOptions | None = None, settings: Settings | None = None
) -> list[Candidate]:
    """Up to ``n`` ranked lower lines for ``upper``; the settings default to the environment's."""
    _check_n(n)
    settings = settings or Settings.from_env()
    line = checked_upper(upper, settings)
    return get_generator(settings).generate(line, n, options)


def refill(
    upper: str,
    pattern: str,
    n: int = 3,
    options: DecodeOptions | None = None,
    settings: Settings | None = None,
) -> list[Candidate]:
    """Up to ``n`` ranked lower lines that keep the characters of ``pattern`` (e.g. ``喜?盈?万户?``: ``?`` or
    ``？`` marks a position to fill) and fill the rest under every hard rule. UserError (400) names the rule
    and the position when the kept characters break one (couplet/locks.py)."""
    _check_n(n)
    settings = settings or Settings.from_env()
    line = checked_upper(upper, settings)
    fixed = lock(line, parse_pattern(pattern), get_badwords(settings))
    return get_generator(settings).refill(line, fixed, n, options)


def alternatives(
    upper: str, lower: str, position: int, k: int = 8, settings: Settings | None = None
) -> list[Alternative]:
    """Up to ``k`` other characters for ``position`` (counted from 1) of ``lower``, best first, each with the
    whole lower line it makes; where the upper line repeats that position's character, the lower line's
    repeat changes with it. The rest of ``lower`` must pass the hard rules."""
    if not 1 <= k <= MAX_ALTERNATIVES:
        raise UserError(f"k must be between 1 and {MAX_ALTERNATIVES}, got {k}", code="bad_k")
    settings = settings or Settings.from_env()
    line = checked_upper(upper, settings)
    current = validate_line(lower, "lower line")  # a bad word at the position itself is what gets replaced
    fixed = lock(line, reopen(line, current, position), get_badwords(settings))
    found = get_generator(settings).alternatives(line, fixed, k + 1)
    return [a for a in found if a.char != current[position - 1]][:k]


def uppers_for(
    lower: str, n: int = 3, options: DecodeOptions | None = None, settings: Settings | None = None
) -> list[UpperCandidate]:
    """Up to ``n`` ranked upper lines for a given lower line (the other direction)."""
    _check_n(n)
    settings = settings or Settings.from_env()
    return get_generator(settings).uppers_for(checked_lower(lower, settings), n, options)


def _check_n(n: int) -> None:
    if not 1 <= n <= MAX_CANDIDATES:
        raise InvalidUpper(f"n must be between 1 and {MAX_CANDIDATES}, got {n}", code="bad_n")
