"""Generated couplets for the generator's tests (a module of its own: `conftest` is ambiguous when several
test folders run together)."""

from __future__ import annotations

import random

UPPER_CHARS = "春风花雨山水月云天地日星江河松竹梅兰书画琴棋诗酒茶"
LOWER_CHARS = "秋霜草雪海湖年夜草木时辰川泉柳菊桃李墨笔歌舞词曲烟"


def synthetic_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Pairs of equal length with punctuation in the same place and disjoint character pools."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        length = rng.choice([5, 7, 7, 9])
        upper = "".join(rng.choice(UPPER_CHARS) for _ in range(length))
        lower = "".join(rng.choice(LOWER_CHARS) for _ in range(length))
        if length == 9:
            upper, lower = upper[:4] + "，" + upper[5:], lower[:4] + "，" + lower[5:]
        pairs.append((upper, lower))
    return pairs
