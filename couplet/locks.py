"""Characters of a lower line the user keeps: a pattern such as ``喜?盈?万户?``, checked against the upper line.

``?`` or ``？`` marks an open position for the search to fill (couplet.model.decoding). The kept
characters must already pass every hard rule among themselves, since the search can only fill
around them: a kept character of the upper line, two kept characters that break the upper line's
repeat pattern or a kept bad word is refused with a UserError whose code is the rule
(`equal_length`, `punctuation`, `no_reuse`, `repeats_mirrored`, `bad_word`, or `not_chinese`) and
whose message names the position (counted from 1, as a person counts).
"""

from __future__ import annotations

from core.errors import UserError
from couplet.badwords import BadWords
from couplet.rules import is_hanzi, is_punct, normalise

OPEN = "？"
"""The open mark after normalising (which turns a half-width ``?`` into it)."""


def parse_pattern(pattern: str) -> list[str | None]:
    """The pattern's characters, None where a position is open."""
    return [None if ch == OPEN else ch for ch in normalise(pattern)]


def reopen(upper: str, lower: str, position: int) -> list[str | None]:
    """A whole lower line with the character at ``position`` (from 1) open, and with it every position
    where the upper line repeats that position's character (they must change together)."""
    if not 1 <= position <= len(upper):
        raise UserError(
            f"position {position} is outside the upper line (1 to {len(upper)})", code="bad_position"
        )
    ch = upper[position - 1]
    if is_punct(ch):
        raise UserError(
            f"position {position} is the punctuation {ch!r}, not a character to choose", code="punctuation"
        )
    return [None if i < len(upper) and upper[i] == ch else d for i, d in enumerate(lower)]


def lock(upper: str, kept: list[str | None], badwords: BadWords) -> dict[int, str]:
    """The lower line's fixed characters by position (from 0): the kept ones, each copied to the positions
    where the upper line repeats its character, and punctuation (the kept mark, else the upper line's).

    Raises UserError naming the hard rule the kept characters break, and where.
    """
    if len(kept) != len(upper):
        raise UserError(
            f"the lower line has {len(kept)} positions (open ones included) but the upper line "
            f"has {len(upper)}",
            code="equal_length",
        )
    fixed: dict[int, str] = {}
    for i, (u, ch) in enumerate(zip(upper, kept, strict=True)):
        if is_punct(u):
            if ch is not None and not is_punct(ch):
                raise UserError(
                    f"position {i + 1} must be punctuation, as the upper line's {u!r} is, not {ch!r}",
                    code="punctuation",
                )
            fixed[i] = ch or u
        elif ch is None:
            continue
        elif is_punct(ch):
            raise UserError(
                f"position {i + 1} holds the punctuation {ch!r} where the upper line has the character {u!r}",
                code="punctuation",
            )
        elif not is_hanzi(ch):
            raise UserError(f"{ch!r} at position {i + 1} is not a Chinese character", code="not_chinese")
        elif ch in upper:
            raise UserError(
                f"{ch!r} at position {i + 1} is in the upper line; the lower line may not reuse it",
                code="no_reuse",
            )
        else:
            fixed[i] = ch
    _mirror_repeats(upper, fixed)
    text = "".join(fixed.get(i, OPEN) for i in range(len(upper)))
    word = badwords.find(text)
    if word:
        raise UserError(f"the kept characters contain a blocked word ({word})", code="bad_word")
    return fixed


def _mirror_repeats(upper: str, fixed: dict[int, str]) -> None:
    """Copy each kept character to the positions where the upper line repeats its own, and refuse kept
    characters that break the pattern: one repeat of the upper line kept as two characters, or one
    character kept under two different characters of the upper line."""
    where: dict[str, int] = {}  # upper character → the position its lower character was kept at
    for i, u in enumerate(upper):
        if i in fixed and not is_punct(u):
            first = where.setdefault(u, i)
            if fixed[first] != fixed[i]:
                raise UserError(
                    f"the upper line repeats {u!r} at positions {first + 1} and {i + 1}, so the "
                    f"lower line must repeat there too, not keep {fixed[first]!r} and "
                    f"{fixed[i]!r}",
                    code="repeats_mirrored",
                )
    for i, u in enumerate(upper):
        if u in where:
            fixed[i] = fixed[where[u]]
    under: dict[str, int] = {}  # kept character → the first position it stands at
    for i in sorted(fixed):
        if is_punct(upper[i]):
            continue
        first = under.setdefault(fixed[i], i)
        if upper[first] != upper[i]:
            raise UserError(
                f"{fixed[i]!r} is kept at positions {first + 1} and {i + 1}, under the upper "
                f"line's different {upper[first]!r} and {upper[i]!r}: the lower line may repeat "
                f"a character only where the upper line does",
                code="repeats_mirrored",
            )
