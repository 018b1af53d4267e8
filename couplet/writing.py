"""Whole couplets written, not retrieved: from keywords or an occasion (`write`), or hiding two given
characters at the heads or the tails of the lines (`acrostic`, 藏头 / 藏尾), each with a 横批 written for it.

The upper line comes from the generator's ``write`` task (keywords → an upper line ending on 仄), the
lower line from the usual constrained search for that upper line, so every rule of a couplet holds. A
keyword the model left out is kept by force: a search with it locked at the head of the upper line
(or of the lower line, when the upper line already holds another) runs beside the free one, and the
couplets that hold every keyword rank first.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from core.errors import UserError
from core.settings import Settings
from couplet.banner import banners
from couplet.measures import explain
from couplet.model.generator import DecodeOptions, rules_dict
from couplet.model.rerank import diverse
from couplet.resources import get_badwords, get_generator
from couplet.rules import PING, ZE, broken_hard_rules, check, is_punct, tones

THEMES = Path(__file__).resolve().parent / "data" / "themes.tsv"
LENGTHS = range(4, 12)
DEFAULT_LENGTH = 7
MAX_KEYWORDS = 4
UPPER_ROWS = 8  # beam rows per upper-line search
UPPERS_PER_COUPLET = 2  # upper lines carried on to a lower line, per couplet asked
ZODIAC = "鼠牛虎兔龙蛇马羊猴鸡狗猪"  # 2020 was a year of the rat


class BadRequest(UserError):
    code = "bad_request"
    status = 400


@dataclass(frozen=True)
class WrittenCouplet:
    upper: str
    lower: str
    banner: str
    score: float
    keywords: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "upper": self.upper,
            "lower": self.lower,
            "banner": self.banner,
            "score": round(self.score, 4),
            "keywords": list(self.keywords),
            "source": "model",
            "rules": rules_dict(check(self.upper, self.lower)),
            "positions": explain(self.upper, self.lower),
        }


@cache
def load_themes(path: Path = THEMES) -> dict[str, tuple[str, ...]]:
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return {row["theme"]: tuple(row["words"].split()) for row in rows}


def zodiac(year: int) -> str:
    """The zodiac animal of a (lunar) year: 2027 is 羊."""
    return ZODIAC[(year - 2020) % 12]


def write(
    keywords: Sequence[str] = (),
    theme: str | None = None,
    year: int | None = None,
    length: int = DEFAULT_LENGTH,
    n: int = 3,
    settings: Settings | None = None,
) -> list[WrittenCouplet]:
    """Up to ``n`` couplets of ``length`` characters a line that hold the ``keywords``; a ``theme`` (an
    occasion of data/themes.tsv, or any word) adds its words, one or two per couplet, and a ``year`` its
    zodiac animal."""
    settings = settings or Settings.from_env()
    words = _checked_words(keywords, length, settings)
    _check_count(n, length)
    if year is not None:
        if not 1 <= year <= 9999:
            raise BadRequest(f"year must be between 1 and 9999, got {year}", code="bad_year")
        words.append(zodiac(year))
    sets = [words] * n
    if theme:
        extra = load_themes().get(theme) or tuple(_checked_words([theme], length, settings))
        sets = [words + [extra[k % len(extra)]] for k in range(n)]
    if not any(sets):
        raise BadRequest("give at least one keyword, a theme or a year", code="no_keywords")
    sets = [[w for w in dict.fromkeys(s)][:MAX_KEYWORDS] for s in sets]
    return _written(sets, length, n, [{}] * n, [{}] * n, None, settings, theme or "")


def acrostic(
    chars: str,
    length: int = DEFAULT_LENGTH,
    at: str = "head",
    theme: str | None = None,
    banner: str | None = None,
    n: int = 3,
    settings: Settings | None = None,
) -> list[WrittenCouplet]:
    """Up to ``n`` couplets hiding two characters: the first at the head (``at="head"``, 藏头) or the tail
    (``"tail"``, 藏尾) of the upper line, the second at the same place in the lower line. ``banner``: four
    characters to stand across the 横批 (a name, a wish) instead of a written one."""
    settings = settings or Settings.from_env()
    chars = chars.strip()
    if len(chars) != 2 or any(is_punct(c) or not _is_han(c) for c in chars):
        raise BadRequest(f"give two Chinese characters to hide, got {chars!r}", code="bad_chars")
    if chars[0] == chars[1]:
        raise BadRequest(
            "the two characters must differ: a lower line may not repeat the upper line's", code="bad_chars"
        )
    if at not in ("head", "tail"):
        raise BadRequest(f"at must be head or tail, got {at!r}", code="bad_position")
    _check_count(n, length)
    _checked_words([chars], length, settings)
    if banner is not None:
        banner = banner.strip()
        if len(banner) != 4 or not all(_is_han(c) for c in banner):
            raise BadRequest(f"a 横批 has four Chinese characters, got {banner!r}", code="bad_banner")
        _checked_words([banner], length, settings)
    place = 0 if at == "head" else length - 1
    if at == "tail":
        _check_tail_tones(chars)
    theme_words = load_themes().get(theme or "", ()) or ([theme] if theme else [])
    sets = [[chars[0], *([theme_words[k % len(theme_words)]] if theme_words else [])] for k in range(n)]
    upper_locks = [{place: chars[0]}] * n
    lower_locks = [{place: chars[1]}] * n
    return _written(sets, length, n, upper_locks, lower_locks, banner, settings, theme or "")


def unbannered(
    keywords: Sequence[str], n: int = 3, length: int = DEFAULT_LENGTH, settings: Settings | None = None
) -> list[WrittenCouplet]:
    """``write``'s couplets for the keywords alone, without a 横批 (their ``banner`` is empty): for a caller
    that chooses its own (the photo path, from the classic table)."""
    settings = settings or Settings.from_env()
    words = _checked_words(keywords, length, settings)
    _check_count(n, length)
    found = _couplets([words] * n, length, n, [{}] * n, [{}] * n, settings)
    return [WrittenCouplet(upper, lower, "", score, kept) for score, upper, lower, kept in found]


def _written(
    sets: list[list[str]],
    length: int,
    n: int,
    upper_locks: list[dict[int, str]],
    lower_locks: list[dict[int, str]],
    banner: str | None,
    settings: Settings,
    occasion: str = "",
) -> list[WrittenCouplet]:
    out, taken = [], set()
    for score, upper, lower, words in _couplets(sets, length, n, upper_locks, lower_locks, settings):
        text = banner or _banner(upper, lower, frozenset(taken), settings, occasion)
        taken.add(text)
        out.append(WrittenCouplet(upper, lower, text, score, words))
    return out


def _couplets(
    sets: list[list[str]],
    length: int,
    n: int,
    upper_locks: list[dict[int, str]],
    lower_locks: list[dict[int, str]],
    settings: Settings,
) -> list[tuple[float, str, str, tuple[str, ...]]]:
    """(score, upper, lower, keywords) of up to ``n`` diverse couplets without bad words, best first."""
    generator = get_generator(settings)
    # Each distinct (keywords, lock) search once; a keyword missing from the free search's lines gets a
    # search of its own with it locked at the head of the upper line.
    searches: dict[tuple, tuple[list[str], dict[int, str], dict[int, str]]] = {}
    for words, up, down in zip(sets, upper_locks, lower_locks, strict=True):
        searches.setdefault(_key(words, up), (words, up, down))
        if not up:
            for w in words:
                if len(w) < length:
                    searches.setdefault(
                        _key(words, {i: c for i, c in enumerate(w)}), (words, dict(enumerate(w)), down)
                    )
    plans = list(searches.values())
    avoid = ["".join(p[2].values()) for p in plans]  # what the lower line keeps, the upper may not hold
    found = generator.write_lines(
        [p[0] for p in plans], length, UPPER_ROWS, [p[1] for p in plans], avoid=avoid
    )
    uppers: list[tuple[str, float, list[str], dict[int, str]]] = []
    for (words, _, down), lines in zip(plans, found, strict=True):
        usable = list(lines)
        usable.sort(key=lambda us: (-_missing(words, us[0]), us[1]), reverse=True)
        picked = diverse([u for u, _ in usable], UPPERS_PER_COUPLET * n)[: UPPERS_PER_COUPLET * n]
        uppers += [(usable[k][0], usable[k][1], words, down) for k in picked]
    if not uppers:
        return []
    # The lower line: a keyword the upper line lacks is locked at the head of the lower line.
    locks = []
    for upper, _, words, down in uppers:
        lock = dict(down)
        missing = [w for w in words if w not in upper and not set(w) & set(upper)]
        # A keyword with a repeat of its own (声声) can stand in the lower line only where the upper repeats.
        if missing and not lock and len(missing[0]) < length and len(set(missing[0])) == len(missing[0]):
            lock = dict(enumerate(missing[0]))
        locks.append(lock)
    rows = max(DecodeOptions().beams, 3)
    lowers = generator.nbest([u for u, *_ in uppers], rows, DecodeOptions(beams=rows), locks)
    couplets = []
    for (upper, upper_score, words, _), ranked in zip(uppers, lowers, strict=True):
        ranked = [c for c in ranked if not broken_hard_rules(c.upper, c.lower)]
        good = [c for c in ranked if c.rules["lower_ends_ping"].passed] or ranked
        if not good:
            continue
        best = good[0]
        covered = len(words) - _missing(words, upper + best.lower)
        couplets.append((covered == len(words), upper_score + best.score, upper, best.lower, tuple(words)))
    couplets.sort(key=lambda c: (c[0], c[1]), reverse=True)
    chosen = diverse([c[2] for c in couplets], n)[:n]
    bad = get_badwords(settings)
    return [couplets[k][1:] for k in chosen if not bad.find(couplets[k][2]) and not bad.find(couplets[k][3])]


def _banner(upper: str, lower: str, taken: frozenset[str], settings: Settings, occasion: str) -> str:
    found = banners(upper, lower, 1, settings, avoid=taken, context=[occasion] if occasion else [])
    return found[0].text if found else ""


def _key(words: list[str], lock: dict[int, str]) -> tuple:
    return (tuple(words), tuple(sorted(lock.items())))


def _missing(words: Sequence[str], text: str) -> int:
    return sum(w not in text for w in words)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _checked_words(words: Sequence[str], length: int, settings: Settings) -> list[str]:
    out = []
    for word in words:
        word = word.strip()
        if not word:
            continue
        if not all(_is_han(c) for c in word):
            raise BadRequest(f"keywords are Chinese words, got {word!r}", code="bad_keyword")
        if len(word) >= length:
            raise BadRequest(
                f"the keyword {word} does not fit a line of {length} characters", code="bad_keyword"
            )
        if get_badwords(settings).find(word):
            raise BadRequest(f"the keyword {word} contains a blocked word", code="bad_word")
        out.append(word)
    if len(out) > MAX_KEYWORDS:
        raise BadRequest(f"give at most {MAX_KEYWORDS} keywords, got {len(out)}", code="bad_keyword")
    return out


def _check_count(n: int, length: int) -> None:
    if not 1 <= n <= 10:
        raise BadRequest(f"n must be between 1 and 10, got {n}", code="bad_n")
    if length not in LENGTHS:
        raise BadRequest(
            f"length must be between {LENGTHS[0]} and {LENGTHS[-1]}, got {length}", code="bad_length"
        )


def _check_tail_tones(chars: str) -> None:
    """藏尾 puts the characters where the tones are fixed: the upper line ends on 仄, the lower on 平."""
    for ch, wanted, line in ((chars[0], ZE, "upper"), (chars[1], PING, "lower")):
        tone = tones(ch)[0]
        if tone is not None and tone != wanted:
            raise BadRequest(
                f"{ch} reads {tone}, but the {line} line must end on {wanted}: swap the characters or hide them "
                "at the heads",
                code="bad_tones",
            )
