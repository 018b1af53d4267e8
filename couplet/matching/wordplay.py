"""Homophone word games: lines built on characters that sound alike, side by side.

暑鼠凉梁笔，描猫惊暑鼠 (shǔ shǔ, liáng liáng) is a tongue-twister: a game of sounds, not a picture, and on a
photo of a cat it reads as a joke on the user. The register signal (couplet.register) learnt jokes from words,
so such games slip through it. Two neighbours read alike (pypinyin, tone included) happen by chance, once in
a line now and then (世事, 意义); two such pairs in one line are a game: 0.03% of the corpus's training lines
(蒙朦看世事, 拾市适时适世十施仕试, 赤岩研药研岩赤), none of them verse one would hang over a photo.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cache

import numpy as np
from pypinyin import Style, lazy_pinyin

from couplet.rules import is_hanzi

GAME_PAIRS = 2
"""Neighbouring homophone pairs that make a line a game."""


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


def homophone_games(lines: Sequence[str]) -> np.ndarray:
    """bool per line: it is a homophone game."""
    return np.array([homophone_pairs(line) >= GAME_PAIRS for line in lines], dtype=bool)
