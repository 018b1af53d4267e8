"""Lines whose time of day contradicts the photo: the moon, the stars or dusk over a blue midday sky, the
sun over a night scene.

Couplets are full of the moon (明月, 月落西山), and the imagery bonus rewards it like any other thing one
can see; but on a photo of a clear day it names what is not there. The blind reviews of the photo sheet
faulted it more than any other single word (月落西山云放手 over the Golden Gate at noon, 余晖 and 暮色 over a
midday lighthouse, 星月同辉 over the Forbidden City by day). The local tagger says 天空 for a blue sky, 云 for
a pale lit one and 夜 for a dark one (vision.scene's colour rules); 夕阳 keeps dusk words fitting. Only scene
and mood tags say the time: 云 typed as a word to /api/couplet/match (an object tag) says nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

NIGHT = frozenset("月夜星宵暮昏")
"""What a line of the night or dusk says."""
DAY = frozenset("晴旭曙午")
"""What a line of the bright day says."""
LIT_SKY = frozenset({"天空", "云"})


def clashing(tags: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The characters that contradict the photo's time of day, given its tags as (word, kind) pairs."""
    views = {name for name, kind in tags if kind != "object"}
    if "夜" in views:
        return DAY
    if views & LIT_SKY and "夕阳" not in views:
        return NIGHT
    return frozenset()


def clashes(lines: Sequence[str], chars: frozenset[str]) -> np.ndarray:
    """bool per line: it holds one of ``chars``."""
    return np.array([not chars.isdisjoint(line) for line in lines], dtype=bool)
