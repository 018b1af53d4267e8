"""Lines whose time of day or season contradicts the photo: the moon, the stars or dusk over a blue midday
sky, the sun or its glow over a night scene, snow and ice over green trees and fields.

Couplets are full of the moon (明月, 月落西山), and the imagery bonus rewards it like any other thing one
can see; but on a photo of a clear day it names what is not there. The blind reviews of the photo sheet
faulted it more than any other single word (月落西山云放手 over the Golden Gate at noon, 余晖 and 暮色 over a
midday lighthouse, 星月同辉 over the Forbidden City by day). The local tagger says 天空 for a blue sky, 云 for
a pale lit one and 夜 for a dark one (vision.scene's colour rules); 夕阳 and 晨 keep the glow of dusk and dawn
fitting. Snow is the same fault in another form (几树梅花几树雪 over a palm beach and a green summer palace,
梅花 and 雪 over a summer meadow): where the photo shows trees, fields or flowers and no 雪 tag, snow and ice
are not in it. Only a photo's scene and mood tags make it a view that can contradict a line: words typed to
/api/couplet/match (object tags) say nothing of the time or the season.

A dish or a drink is the other case: no couplet names a pizza or an espresso, so the matcher asks for its
stand-ins (couplet.matching.standins: 佳肴, 美味, 香, 杯), and those draw in their collocates, a drink that is not on
the table (旨酒佳肴 and 茶香 over a pizza, 杯里酒 over an espresso). Whether the tags are typed or tagged, a
line of wine or tea under them names what is not there, unless a tag names that drink.

A word in which such a character means something else says nothing of the sky (FIGURES): 岁月 is the
years, 风月 the scenery, 春花秋月 the seasons going round, 日夜 all the time, 明星 a celebrity. The blind
review kept 湖山一棹红尘远，风月无边白发多 over a fjord at noon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from couplet.matching.standins import load_standins

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
DRINKS = frozenset("酒茶茗醪醴觞")
"""What a line of wine or tea says (醪 and 醴 are wines, 觞 a wine cup)."""
FARE = frozenset({"佳肴", "美味", "甜", "香"})
"""The stand-ins of the dishes, sweets and drinks of the stand-in table (披萨 → 佳肴 美味, 咖啡 → 香 杯): a tag
whose stand-ins include one of them is something to eat or drink."""
GLOW = frozenset("霞")
"""What a line of a low sun's glow says: not in a night sky (晚霞如火 over the Milky Way)."""
NIGHT_WORDS = re.compile("三更|五更|更深|深更|更阑|河汉|银汉")
"""Words of the night with no character of NIGHT (the watches, 三更: 更 alone means "more"; the Milky Way,
河汉): read as 夜. The blind reviews faulted 野渡三更柳絮飞 under sunlit houses and 天空河汉暗 over the Temple
of Heaven at noon."""
SUNSET_WORDS = re.compile("夕阳|斜阳|残阳|落日|余晖|夕照|晚照")
"""Words of the setting sun with no character of NIGHT or GLOW: read as 霞, the glow, which neither a midday
sky (余晖斜落云峰外 over a midday lighthouse, faulted by the blind review) nor a night sky shows."""
FIGURES = re.compile("岁月|年月|日月|风月|春花秋月|秋月春风|日夜|昼夜|明星|福星|寿星|星火|零星")
"""Words that hold a character of the night or the day and do not mean the sky."""


def clashing(tags: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The characters that contradict the photo's time of day and season, or name a drink that is not on
    its table, given its tags as (word, kind) pairs."""
    tags = list(tags)
    names = {name for name, _ in tags}
    out = set(_unserved(names))
    views = {name for name, kind in tags if kind != "object"}
    if not views:
        return frozenset(out)
    if "夜" in views:
        out |= DAY if views & LOW_SUN else DAY | GLOW
    elif views & LIT_SKY and not views & LOW_SUN:
        out |= NIGHT
    if names & GROWTH and "雪" not in names:
        out |= WINTER
    return frozenset(out)


def _unserved(names: set[str]) -> frozenset[str]:
    """The drinks a line must not name over a dish or a drink the tags name: those no tag names."""
    standins = load_standins()
    if not any(FARE.intersection(standins.get(name, ())) for name in names):
        return frozenset()
    return DRINKS - {ch for name in names for ch in name}


def clashes(lines: Sequence[str], chars: frozenset[str]) -> np.ndarray:
    """bool per line: whether it clashes (``clash``)."""
    return np.array([clash(line, chars) for line in lines], dtype=bool)


def clash(line: str, chars: frozenset[str]) -> bool:
    """Whether the line holds one of ``chars``, outside the words that do not mean the sky (FIGURES) and
    with the words of the night (NIGHT_WORDS) read as 夜 and those of the setting sun (SUNSET_WORDS) as 霞."""
    if not chars:  # most photos contradict nothing: no need to read the line
        return False
    return not chars.isdisjoint(SUNSET_WORDS.sub("霞", NIGHT_WORDS.sub("夜", FIGURES.sub("", line))))
