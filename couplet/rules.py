"""The formal rules of a couplet, as pure functions over an (upper, lower) pair.

Tones are modern Mandarin tones from pypinyin read over the whole line (so heteronyms resolve in
context): tones 1/2 are 平, 3/4 are 仄, the neutral tone and unknown characters are neither.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, pinyin

from core.errors import UserError

MAX_LEN = 32
PUNCTUATION = frozenset("，。、；：？！…—-·《》“”‘’（）「」『』～")
# Half-width and look-alike punctuation a phone keyboard may send, mapped to the corpus's full-width forms.
NORMALISE = str.maketrans(
    {
        ",": "，",
        ".": "。",
        ";": "；",
        ":": "：",
        "?": "？",
        "!": "！",
        "~": "～",
        "(": "（",
        ")": "）",
        '"': "“",
        "'": "‘",
        "｡": "。",
        "､": "、",
        "﹐": "，",
        "﹑": "、",
        "﹔": "；",
        "﹕": "：",
        "﹖": "？",
        "﹗": "！",
        "－": "—",
    }
)
PING, ZE = "平", "仄"
RULES = (
    "equal_length",
    "punctuation",
    "no_reuse",
    "repeats_mirrored",
    "upper_ends_ze",
    "lower_ends_ping",
    "tone_opposition",
)
HARD_RULES = ("equal_length", "punctuation", "no_reuse", "repeats_mirrored")
"""The rules the generator enforces while decoding; a user's own couplet must pass them too."""
HARD_RULE_HELP = {
    "equal_length": "both lines need the same number of characters",
    "punctuation": "punctuation must stand at the same positions in both lines",
    "no_reuse": "the lower line may not use a character of the upper line",
    "repeats_mirrored": "a character repeated in one line needs a repeat at the same positions in the other",
}
"""What a user must change to mend each hard rule."""


@dataclass(frozen=True)
class Couplet:
    """A whole couplet: the upper line (上联, hung on the right), the lower line (下联) and the 横批 above."""

    upper: str
    lower: str
    horizontal: str


@dataclass(frozen=True)
class RuleResult:
    passed: bool
    score: float  # 0..1, the share of the positions or checks the rule looked at that pass


class InvalidUpper(UserError):
    """A line the rules cannot take (empty, too long, not Chinese, a blocked word…); `code` says which."""


def is_punct(ch: str) -> bool:
    return ch in PUNCTUATION


def is_hanzi(ch: str) -> bool:
    return ch == "〇" or unicodedata.name(ch, "").startswith("CJK ")


def normalise(text: str) -> str:
    return text.strip().translate(NORMALISE)


def validate_upper(text: str) -> str:
    """The upper line, normalised; raises InvalidUpper naming what is wrong."""
    return validate_line(text, "upper line")


def validate_line(text: str, role: str) -> str:
    """A line of a couplet (``role`` names it in messages: "upper line", "lower line"), normalised;
    raises InvalidUpper naming what is wrong."""
    line = normalise(text)
    if not line:
        raise InvalidUpper(f"the {role} is empty", code="empty")
    if len(line) > MAX_LEN:
        raise InvalidUpper(
            f"the {role} has {len(line)} characters; at most {MAX_LEN} are allowed", code="too_long"
        )
    for i, ch in enumerate(line):
        if not (is_hanzi(ch) or is_punct(ch)):
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            raise InvalidUpper(
                f"character {ch!r} ({name}) at position {i + 1} is not a Chinese character or Chinese punctuation",
                code="not_chinese",
            )
    if all(is_punct(ch) for ch in line):
        raise InvalidUpper(f"the {role} has no Chinese characters", code="no_characters")
    return line


@lru_cache(maxsize=65536)
def tones(line: str) -> tuple[str | None, ...]:
    """平, 仄 or None for each character of ``line``."""
    out: list[str | None] = []
    for ch, syl in zip(line, _syllables(line), strict=True):
        digit = syl[-1] if syl and syl[-1].isdigit() and is_hanzi(ch) else ""
        out.append(PING if digit in ("1", "2") else ZE if digit in ("3", "4") else None)
    return tuple(out)


def _syllables(line: str) -> list[str]:
    # The errors callback splits non-Chinese runs into single characters, so there is one syllable per character.
    return [item[0] for item in pinyin(line, style=Style.TONE3, neutral_tone_with_five=True, errors=list)]


def clause_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of each clause between punctuation marks."""
    spans, start = [], 0
    for i, ch in enumerate(line + "，"):
        if is_punct(ch):
            if i > start:
                spans.append((start, i))
            start = i + 1
    return spans


def equal_length(upper: str, lower: str) -> RuleResult:
    ok = len(upper) == len(lower)
    return RuleResult(ok, 1.0 if ok else 0.0)


def punctuation(upper: str, lower: str) -> RuleResult:
    """Punctuation stands at the same positions (the marks themselves may differ: ，against ？)."""
    up = {i for i, ch in enumerate(upper) if is_punct(ch)}
    down = {i for i, ch in enumerate(lower) if is_punct(ch)}
    if not up | down:
        return RuleResult(True, 1.0)
    return RuleResult(up == down, len(up & down) / len(up | down))


def no_reuse(upper: str, lower: str) -> RuleResult:
    used = set(upper)
    chars = [ch for ch in lower if not is_punct(ch)]
    if not chars:
        return RuleResult(True, 1.0)
    fresh = sum(1 for ch in chars if ch not in used)
    return RuleResult(fresh == len(chars), fresh / len(chars))


def repeats_mirrored(upper: str, lower: str) -> RuleResult:
    n = min(len(upper), len(lower))
    pairs = [
        (i, j) for i in range(n) for j in range(i + 1, n) if not is_punct(upper[i]) and not is_punct(upper[j])
    ]
    if not pairs:
        return RuleResult(True, 1.0)
    good = sum(1 for i, j in pairs if (upper[i] == upper[j]) == (lower[i] == lower[j]))
    return RuleResult(good == len(pairs), good / len(pairs))


def _ends(line: str, tone: str) -> RuleResult:
    marks = [t for ch, t in zip(line, tones(line), strict=True) if not is_punct(ch)]
    ok = bool(marks) and marks[-1] == tone
    return RuleResult(ok, 1.0 if ok else 0.0)


def upper_ends_ze(upper: str, lower: str) -> RuleResult:
    return _ends(upper, ZE)


def lower_ends_ping(upper: str, lower: str) -> RuleResult:
    return _ends(lower, PING)


def tone_opposition(upper: str, lower: str) -> RuleResult:
    """At the 2nd, 4th and 6th character of each clause, the two lines have opposite tones."""
    tu, tl = tones(upper), tones(lower)
    checked = good = 0
    for start, end in clause_spans(upper):
        for offset in (1, 3, 5):
            i = start + offset
            if i < end and i < len(lower) and tu[i] and tl[i]:
                checked += 1
                good += tu[i] != tl[i]
    if not checked:
        return RuleResult(True, 1.0)
    return RuleResult(good == checked, good / checked)


CHECKS = {
    "equal_length": equal_length,
    "punctuation": punctuation,
    "no_reuse": no_reuse,
    "repeats_mirrored": repeats_mirrored,
    "upper_ends_ze": upper_ends_ze,
    "lower_ends_ping": lower_ends_ping,
    "tone_opposition": tone_opposition,
}


def check(upper: str, lower: str) -> dict[str, RuleResult]:
    """Every rule's result for the pair, keyed by rule name (in RULES order)."""
    return {name: CHECKS[name](upper, lower) for name in RULES}


def broken_hard_rules(upper: str, lower: str) -> dict[str, str]:
    """The hard rules the pair breaks (in HARD_RULES order), each with what to change; empty if it passes."""
    return {name: HARD_RULE_HELP[name] for name in HARD_RULES if not CHECKS[name](upper, lower).passed}
