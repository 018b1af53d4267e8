"""Lines whose time of day contradicts the photo: the moon, the stars or dusk over a blue midday sky, the
sun over a night scene.

Couplets are full of the moon (明月, 月落西山), and the imagery bonus rewards it like any other thing one
can see; but on a photo of a clear day it names what is not there. The blind reviews of the photo sheet
faulted it more than any other single word (月落西山云放手 over the Golden Gate at noon, 余晖 and 暮色 over a
midday lighthouse, 星月同辉 over the Forbidden City by day). The local tagger says 天空 for a blue sky, 云 for
a pale lit one and 夜 for a dark one (vision.scene's colour rules); 夕阳 keeps dusk words fitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

NIGHT_CHARS = frozenset("月夜星宵暮昏")
"""What a line of the night or dusk says."""
DAY_CHARS = frozenset("晴旭曙午")
"""What a line of the bright day says."""
LIT_SKY = frozenset({"天空", "云"})


def clashing_chars(tags: Iterable[str]) -> frozenset[str]:
    """The characters that contradict the photo's time of day, given its tag words."""
    names = set(tags)
    if "夜" in names:
        return DAY_CHARS
    if names & LIT_SKY and "夕阳" not in names:
        return NIGHT_CHARS
    return frozenset()


def clashes(lines: Sequence[str], chars: frozenset[str]) -> np.ndarray:
    """bool per line: it holds one of ``chars``."""
    return np.array([not chars.isdisjoint(line) for line in lines], dtype=bool)
