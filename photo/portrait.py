"""Couplets for a close-up of a person: written from the words couplets say of a face, not matched.

The corpus pictures a person in a photo as a visitor to its scene (人 is asked for as 游人:
couplet/matching/standins.tsv), which suits a hiker under a peak but not a close-up, which shows no scene:
the blind reviews of the 96-photo sheet faulted 石洞游人行且止 over a studio portrait, 秋高气爽游人醉 over a
face-painted child and 山巅胜景游人醉 over a living statue. The corpus's lines about a person as such are
maxims, ageing or romance (人养高风人自贵, 红颜易老), and those of a smile or a face slogans and laments. The
generator's write task (couplet.writing) writes fluent couplets from a face's words instead: 春风笑脸花光好 /
细雨舒心柳色新.

KEYWORDS were chosen by reading the writer's couplets for 30 words and pairs of a person's looks, not on
the photos. The tagger tells neither sex nor age, so the words must suit anyone: pairs with 春风 wrote the
most fluent couplets, but 春风 with 笑脸, 笑靥 or 风采 led to a woman's beauty (春风笑脸桃花面 / 细雨舒心柳叶眉),
which a blind reviewer found wrong over a man and a small child, and 春风 with 满面 led to wine at midnight
(三更明月酒盈杯, over a child); 笑脸 with 阳光 and 笑语 with 春风 write of a cheerful face in spring (春风笑脸花光好 /
细雨舒心柳色新, 春风笑语千山绿 / 旭日东升万户红). A single word drew New Year wishes (喜气盈门), and 神采, 风华,
精神 and 笑容 slogans (扬国粹, 国运昌). The photo's seed picks the pair, so that close-ups differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from core.settings import Settings
from couplet.matching.matcher import marked_penalty
from couplet.writing import WrittenCouplet, unbannered
from vision.tags import Tag

PERSON = "人"
SURE = 0.5
"""人 at this confidence or more: a person the tagger is sure of (OBJECT_SURE of vision.scene)."""
KEYWORDS = (("笑脸", "阳光"), ("笑语", "春风"))
PLANTS = frozenset({"树", "花"})
"""Object tags that put a person out among trees or flowers (the scene head says 树 for a forest path): a
scene of its own, which the matcher pictures."""


def shows_person(tags: Sequence[Tag]) -> bool:
    """Whether the tagger is sure of a person and of no tree or flower: with no scene or mood tag either
    (photo.pipeline.shows_scene), a close-up of the person."""
    sure = {t.name for t in tags if t.confidence >= SURE}
    return PERSON in sure and not sure & PLANTS


def portrait_couplets(tags: Sequence[Tag], seed: int, n: int, settings: Settings) -> list[WrittenCouplet]:
    """Up to ``n`` couplets written from the seed's KEYWORDS, best first; one more is written, so that a
    couplet with a festive or jokey marker (迎新岁, 庆小康) goes after the others and usually out."""
    written = _written(KEYWORDS[seed % len(KEYWORDS)], n + 1, settings)
    marked = marked_penalty(tags, [f"{c.upper}，{c.lower}" for c in written]) > 0
    return [c for _, c in sorted(zip(marked, written, strict=True), key=lambda mc: mc[0])][:n]


@lru_cache(maxsize=len(KEYWORDS) * 2)
def _written(keywords: tuple[str, ...], n: int, settings: Settings) -> tuple[WrittenCouplet, ...]:
    """The writer's couplets for the words: the same every time for the same words and models (its search is
    deterministic), so written once per process: writing costs about 250 ms, matching and its lower lines
    about 80."""
    return tuple(unbannered(keywords, n=n, settings=settings))
