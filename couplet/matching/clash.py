"""Lines whose time of day or season contradicts the photo: the moon, the stars or dusk over a blue midday
sky, the sun over a night scene, snow and ice over green trees and fields.

Couplets are full of the moon (明月, 月落西山), and the imagery bonus rewards it like any other thing one
can see; but on a photo of a clear day it names what is not there. The blind reviews of the photo sheet
faulted it more than any other single word (月落西山云放手 over the Golden Gate at noon, 余晖 and 暮色 over a
midday lighthouse, 星月同辉 over the Forbidden City by day). The local tagger says 天空 for a blue sky, 云 for
a pale lit one and 夜 for a dark one (vision.scene's colour rules); 夕阳 and 晨 keep the glow of dusk and dawn
fitting. Snow is the same fault in another form (几树梅花几树雪 over a palm beach and a green summer palace,
梅花 and 雪 over a summer meadow): where the photo shows trees, fields or flowers and no 雪 tag, snow and ice
are not in it. Only a photo's scene and mood tags make it a view that can contradict a line: words typed to
/api/couplet/match (object tags) say nothing of the time or the season.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

NIGHT = frozenset("月夜星宵暮昏霞")
"""What a line of the night, dusk or dawn says (霞 is the glow of a low sun)."""
DAY = frozenset("晴旭曙午")
"""What a line of the bright day says."""
WINTER = frozenset("雪冰")
"""What a line of snow and ice says."""
LIT_SKY = frozenset({"天空", "云"})
LOW_SUN = frozenset({"夕阳", "晨"})
GROWTH = frozenset({"树", "森林", "田野", "花", "春花"})
"""Tags of green growth (树 and 花 are object tags, the others scene and mood ones)."""


def clashing(tags: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The characters that contradict the photo's time of day and season, given its tags as (word, kind)
    pairs."""
    tags = list(tags)
    views = {name for name, kind in tags if kind != "object"}
    if not views:
        return frozenset()
    names = {name for name, _ in tags}
    out: set[str] = set()
    if "夜" in views:
        out |= DAY
    elif views & LIT_SKY and not views & LOW_SUN:
        out |= NIGHT
    if names & GROWTH and "雪" not in names:
        out |= WINTER
    return frozenset(out)


def clashes(lines: Sequence[str], chars: frozenset[str]) -> np.ndarray:
    """bool per line: it holds one of ``chars``."""
    return np.array([not chars.isdisjoint(line) for line in lines], dtype=bool)
