"""Choosing the 横批 (the horizontal scroll) for a couplet from a list of classic four-character ones.

With the matcher's sentence encoder shipped, a 横批 is scored by the cosine similarity of its embedding
to that of the photo's tags plus the couplet, plus a small bonus when its theme is a tag's, so that one
naming the subject (犬守平安 over a dog) wins over a generic one (人寿年丰) that is about as close; without
the encoder, by the characters it shares with the tags (weighted by their confidence) and the couplet, plus
a bonus when its theme is a tag's theme. The
three candidates of a photo get three different 横批. Without a seed the best one is taken; with a
seed one of the best few is drawn, favouring the better ones, so a regeneration brings variety.

Only a 横批 of a tag's theme (山, 水, 动物, 景 …) or a general one (吉祥) is drawn, so that it speaks of what
the photo shows: the encoder, which reads characters, put 车水马龙 over a cow at pasture and 翰墨丹青 over
macaws. Left out too: a 横批 written for an occasion (百年好合 for a wedding, 门庭若市 for a shop, 金蛇狂舞 for a
year of the snake): a photo shows a scene, not the occasion, and on one the idiom says something false
(the blind reviews found 门庭若市 on a quiet town, 白头偕老 on a train); and one that says a word of the
couplet again (琼楼玉宇 under 玉宇琼楼天尺五), or one that contradicts the photo: of a time of day it does not
show (皓月当空 under a blue sky, 晴空万里 over a night: couplet.matching.clash), or a temple's (佛光普照, by
the devotional markers of couplet/register.tsv) where no temple shows; nor one that names a plant, a creature
or weather that neither the tags nor the couplet show (荷香满塘 over a row of houses, 鹤舞祥云 over a cow,
蛙鸣稻香 over macaws, 桃红柳绿 over taxis: a 横批 of the right theme that pictures something else), a drink
(茶香四溢 over a burger) or a place (万里长城 over the theatre of Athens) they do not show. Sharing single
characters is fine: 云山雾海 over a couplet of lakes, hills and clouds echoes it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from core.errors import DataError
from core.settings import Settings
from couplet.banner import Classic, load_table, repeats_words, table_vectors
from couplet.matching.clash import clash, clashing
from couplet.matching.matcher import asked_topics
from couplet.matching.synonyms import load_synonyms
from couplet.register import load_lexicon
from couplet.rules import is_punct

log = logging.getLogger(__name__)

POOL = 8  # a seeded choice draws from this many of the best
W_LINE_CHAR = (
    0.3  # a character shared with the couplet counts this much; one shared with a tag, its confidence
)
W_THEME = 1.0  # a tag's theme (动物, 水 …) says more than a shared character, which may mean something else
GENERAL_THEME = "吉祥"  # fits any photo: a small prior so that they win when nothing else matches
W_GENERAL = 0.05
W_SUBJECT = 0.1
"""Added to a 横批's cosine (with the encoder) when it is of a tag's theme and names no emblem: a generic
横批 (吉祥) fits any photo and so says nothing of this one, and on the 96 photos of the review sheet it was
drawn over a woman with her dog (人寿年丰), a coffee (丰衣足食) and cyclists in a forest (福满人间), each by 0.1
of cosine or less against the best 横批 of the subject's theme (犬守平安, 口齿留香, 绿树成荫): a round value of
that size. Every tag's theme earns the same, so the themed 横批 keep their order among themselves (weighing
it by the tag's confidence changed 25 of the 96 drawings, mostly landscapes whose 水 or 山 lost to 景). A 横批
that names an emblem (龙飞凤舞, 鹏程万里) is of the 动物 theme only figuratively: over a cat it names the
wrong creature, so it earns nothing."""
THING_SECTIONS = frozenset({"草木", "鸟兽虫鱼"})
"""The synonym table's sections whose words name a plant or a creature one would see in the photo."""
EMBLEMS = frozenset({"龙", "凤", "鹏"})
"""Creatures no photo shows: a 横批 names them as emblems (龙马精神 speaks of vigour, 鹏程万里 of a career)."""
WEATHER = tuple("雪冰霜雨雾虹")
DRINKS = ("茶", "酒", "佳酿")
"""A drink is a thing one sees too: 茶香四溢 or 美酒飘香 over a burger names what is not on the table."""
PLACES = ("长城", "江南", "北国", "华夏")
"""Places the table's 横批 name (万里长城, 烟雨江南, 北国风光, 华夏瑰宝): true of one place, false of any other
(万里长城 over the theatre of Athens)."""


def _tag_fields(tag: Any) -> tuple[str, float, str | None]:
    if isinstance(tag, tuple):
        return tag[0], float(tag[1]), None
    return tag.name, float(tag.confidence), getattr(tag, "theme", None)


def overlap_scores(items: Sequence[Classic], tags: Sequence[Any], upper: str, lower: str) -> np.ndarray:
    """Score of each 横批 by shared characters and theme; tags: Tag objects or (name, confidence) tuples."""
    char_weight: dict[str, float] = {}
    theme_weight: dict[str, float] = {}
    for name, confidence, theme in map(_tag_fields, tags):
        for ch in name:
            char_weight[ch] = max(char_weight.get(ch, 0.0), confidence)
        if theme:
            theme_weight[theme] = max(theme_weight.get(theme, 0.0), confidence)
    line_chars = {ch for ch in upper + lower if not is_punct(ch)}
    scores = np.zeros(len(items), dtype=np.float32)
    for i, item in enumerate(items):
        shared = set(item.text)
        scores[i] = (
            sum(char_weight.get(ch, 0.0) for ch in shared)
            + W_LINE_CHAR * len(shared & line_chars)
            + W_THEME * theme_weight.get(item.theme, 0.0)
            + (W_GENERAL if item.theme == GENERAL_THEME else 0.0)
        )
    return scores


def choose(scores: np.ndarray, taken: set[int], rng: random.Random | None) -> int:
    """The best index not taken; with rng, one of the POOL best, drawn with weight 1/rank."""
    order = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in taken]
    if rng is None:
        return order[0]
    pool = order[:POOL]
    return rng.choices(pool, weights=[1 / (rank + 1) for rank in range(len(pool))])[0]


def _embedding_scores(
    tags: Sequence[Any], couplets: Sequence[tuple[str, str]], settings: Settings
) -> np.ndarray | None:
    """Cosine similarities (couplets × 横批), or None while no encoder is shipped."""
    from couplet.matching import encode

    try:
        table = table_vectors(settings)  # the same table, in the same order
        words = " ".join(_tag_fields(t)[0] for t in tags)
        queries = encode([f"{words} {upper} {lower}" for upper, lower in couplets], settings=settings)
    except DataError as e:
        log.debug("横批 by character overlap: %s", e)
        return None
    return queries @ table.T


def _barred(items: Sequence[Classic], tags: Sequence[Any]) -> set[int]:
    """The 横批 this photo never gets, whatever its couplets: of another theme than its tags' (吉祥 fits any),
    written for an occasion, of a time of day it contradicts, or a temple's where it shows none."""
    names = [_tag_fields(t)[0] for t in tags]
    themes = {theme for _, _, theme in map(_tag_fields, tags) if theme}
    untimely = clashing((name, getattr(t, "kind", "object")) for name, t in zip(names, tags, strict=True))
    lexicon = load_lexicon()
    temple_lines_fit = "devotional" in asked_topics(names)

    def barred(item: Classic) -> bool:
        off_theme = bool(themes) and item.theme not in themes | {GENERAL_THEME}
        temple_line = not temple_lines_fit and lexicon.marked("devotional", item.text)
        return off_theme or bool(item.occasion) or clash(item.text, untimely) or temple_line

    return {i for i, item in enumerate(items) if barred(item)}


def _of_subject(items: Sequence[Classic], tags: Sequence[Any]) -> np.ndarray:
    """1.0 per 横批 of a tag's theme that names no emblem, else 0.0 (a generic one: 吉祥 is no tag's theme)."""
    themes = {theme for _, _, theme in map(_tag_fields, tags)}
    return np.array(
        [item.theme in themes and not any(e in item.text for e in EMBLEMS) for item in items],
        dtype=np.float32,
    )


@cache
def _thing_words() -> tuple[str, ...]:
    sections = load_synonyms().sections.items()
    words = (word for word, section in sections if section in THING_SECTIONS and word not in EMBLEMS)
    return (*words, *WEATHER, *DRINKS, *PLACES)


def shown_words(tags: Sequence[Any]) -> str:
    """The tags' words and the classical words they stand for (狗 → 犬), joined: what the photo shows."""
    synonyms = load_synonyms()
    return " ".join(form for tag in tags for form in synonyms.concept(_tag_fields(tag)[0]))


@cache
def named_things(text: str) -> tuple[str, ...]:
    """The plants, creatures, weather, drinks and places ``text`` names (cached: the 横批 table's texts recur
    per photo)."""
    return tuple(word for word in _thing_words() if word in text)


def names_unseen(text: str, shown: str) -> bool:
    """Whether ``text`` names a plant, a creature, weather, a drink or a place that ``shown`` (the tags' words
    and the couplet) does not."""
    return any(word not in shown for word in named_things(text))


def pick_horizontals(
    tags: Sequence[Any], couplets: Sequence[tuple[str, str]], settings: Settings, seed: int | None = None
) -> list[str]:
    """One 横批 per (upper, lower) couplet, all different."""
    items = load_table()
    barred = _barred(items, tags)
    similarity = _embedding_scores(tags, couplets, settings)
    if similarity is not None:
        similarity = similarity + W_SUBJECT * _of_subject(items, tags)
    rng = random.Random(seed) if seed is not None else None
    seen = shown_words(tags)
    chosen: list[int] = []
    for k, (upper, lower) in enumerate(couplets):
        scores = similarity[k] if similarity is not None else overlap_scores(items, tags, upper, lower)
        shown = f"{seen} {upper} {lower}"
        unfit = {
            i
            for i, item in enumerate(items)
            if repeats_words(item.text, upper, lower) or names_unseen(item.text, shown)
        }
        chosen.append(choose(scores, set(chosen) | barred | unfit, rng))
    return [items[i].text for i in chosen]
