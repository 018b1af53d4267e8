"""Word games the learnt register (couplet.register) does not catch: it learnt jokes from words, and these
are games of sound and order.

- Homophones side by side: 暑鼠凉梁笔，描猫惊暑鼠 (shǔ shǔ, liáng liáng) is a tongue-twister, a game of
  sounds, not a picture, and on a photo of a cat it reads as a joke on the user. Two neighbours read alike
  (pypinyin, tone included) happen by chance, once in a line now and then (世事, 意义); two such pairs in
  one line are a game: 0.03% of the corpus's training lines (蒙朦看世事, 拾市适时适世十施仕试,
  赤岩研药研岩赤), none of them verse one would hang over a photo.
- A pair said again reversed in one clause (回环): 穿云石树云穿树, 雾锁山头山锁雾, 久不开会开不久. 0.42% of
  the training split's upper lines, none of the 4,498 lines of the classic couplets; the regatta on the
  review sheet drew 穿云石树云穿树 / 映日荷花日映花, which reads as a game, not as the race.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import cache

import numpy as np
from pypinyin import Style, lazy_pinyin

from couplet.register import clauses
from couplet.rules import is_hanzi

GAME_PAIRS = 2
"""Neighbouring homophone pairs that make a line a game."""
MIRROR = re.compile(r"(.)(?!\1)(.).+?\2\1")
"""In a clause: two different characters, at least one more character, and the two reversed; reversed right
after itself (致富年年富: 富年, 年富) a pair is a reduplication."""


@cache
def reading(ch: str) -> str:
    """A character's usual reading with its tone (pypinyin), cached: a line is read character by character."""
    return lazy_pinyin(ch, style=Style.TONE3)[0]


def homophone_pairs(line: str) -> int:
    """How many neighbouring pairs of different Chinese characters read alike, tone included."""
    return sum(
        a != b and is_hanzi(a) and is_hanzi(b) and reading(a) == reading(b)
        for a, b in itertools.pairwise(line)
    )


def mirrored(line: str) -> bool:
    """A clause of the line says two different characters side by side and, later, the two reversed."""
    # A line that repeats no character (most do not) holds no reversed pair: only the others are split.
    return len(set(line)) < len(line) and any(MIRROR.search(clause) for clause in clauses(line))


def word_games(lines: Sequence[str]) -> np.ndarray:
    """bool per line: it is a homophone game or says a pair again reversed."""
    return np.array([homophone_pairs(line) >= GAME_PAIRS or mirrored(line) for line in lines], dtype=bool)
