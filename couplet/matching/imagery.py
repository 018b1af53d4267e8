"""How much of a line names things a photo can show: its share of imagery characters.

A line for a photo should paint it: 云树千山，风泉万壑 is clouds, trees, hills, wind, springs and gorges;
让人终有人夸好 (a maxim) and 足协扯球蛋 (a jibe) name nothing one can see, though either may say a tag's
word. The imagery characters are those of the synonym table's visible sections (sky and seasons, hills
and waters, plants, creatures, buildings, things, colours), the words a tagger's tags stand for; people,
feelings and doings are left out, since lines about them are mostly maxims. On the corpus the share is
0.26 on average, 0.30 on the classic set; on 20 lines of the last review sheet that I judged scenic and fitting it
averaged 0.48, on 29 I judged doggerel, maxims or place-name boasts 0.29.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from couplet.matching.synonyms import load_synonyms
from couplet.rules import is_hanzi

VISIBLE_SECTIONS = frozenset({"天象与时令", "山水地理", "草木", "鸟兽虫鱼", "居处与建筑", "器物", "颜色"})


@cache
def imagery_chars() -> frozenset[str]:
    synonyms = load_synonyms()
    return frozenset(
        ch for word, section in synonyms.sections.items() if section in VISIBLE_SECTIONS for ch in word
    )


def imagery(lines: Sequence[str]) -> np.ndarray:
    """float32 per line: its distinct imagery characters over its Chinese characters (0 for none). Distinct:
    a word game that repeats one thing (树、大树、参天大树; 田家田里田田叶) paints no more than it names."""
    chars = imagery_chars()
    out = np.zeros(len(lines), dtype=np.float32)
    for i, line in enumerate(lines):
        hanzi = [ch for ch in line if is_hanzi(ch)]
        if hanzi:
            out[i] = len(chars.intersection(hanzi)) / len(hanzi)
    return out
