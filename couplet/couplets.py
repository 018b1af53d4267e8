"""The couplet text API as a domain function: validate an upper line, then generate lower lines."""

from __future__ import annotations

from core.settings import Settings
from couplet.model.generator import Candidate, DecodeOptions
from couplet.resources import get_badwords, get_generator
from couplet.rules import InvalidUpper, validate_upper

MAX_CANDIDATES = 10


def checked_upper(text: str, settings: Settings) -> str:
    """The normalised upper line; InvalidUpper if it breaks the input rules or holds a bad word."""
    upper = validate_upper(text)
    word = get_badwords(settings).find(upper)
    if word:
        raise InvalidUpper(f"the upper line contains a blocked word ({word})", code="bad_word")
    return upper


def generate(upper: str, n: int = 3, options: DecodeOptions | None = None,
             settings: Settings | None = None) -> list[Candidate]:
    """Up to ``n`` ranked lower lines for ``upper``; the settings default to the environment's."""
    if not 1 <= n <= MAX_CANDIDATES:
        raise InvalidUpper(f"n must be between 1 and {MAX_CANDIDATES}, got {n}", code="bad_n")
    settings = settings or Settings.from_env()
    line = checked_upper(upper, settings)
    return get_generator(settings).generate(line, n, options)
