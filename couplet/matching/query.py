"""Turning tags into weighted query words, and making training queries out of corpus lines."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import UserError
from couplet.matching.synonyms import Synonyms
from couplet.rules import is_hanzi, is_punct

MAX_TAGS = 20
MAX_TAG_LEN = 8
KIND_WEIGHTS = {"object": 1.0, "scene": 0.5, "mood": 0.5}
"""A tag's confidence is multiplied by its kind's weight before the query's weights are normalised. A scene
or mood tag's confidence is a share of pixels or the summed probability of many classes (天空 0.9 for a
third of blue sky), not one class's probability, and it says less about what to write: halved, a scene
tag at 0.9 weighs as much as an object tag at 0.45, so a strong object leads the query and the scene
colours it."""
# Function words carry no picture: a tagger never says 之 or 不再, so training queries leave them out.
FUNCTION_CHARS = frozenset(
    "之乎者也矣焉哉兮而以于於其不无未莫勿非是为与及且则乃所若如何此彼斯兹我你他她吾尔汝余予"
    "自皆都亦又还已曾将欲可能得的地了着过把被让向从在个些么谁哪这那就才只便即虽但却因故再更最很"
)


class BadTags(UserError):
    code = "bad_tags"


@dataclass(frozen=True)
class QueryWord:
    text: str
    weight: float
    """The tag's confidence times its kind's weight, rescaled so the weights of a query sum to 1."""
    kind: str = "object"


def _fields(tag: Any) -> tuple[Any, Any, Any]:
    """(name, confidence, kind) of a tag given as a pair, a triple or an object (vision.Tag)."""
    if isinstance(tag, tuple | list) and len(tag) in (2, 3):
        return tag[0], tag[1], tag[2] if len(tag) == 3 else "object"
    if hasattr(tag, "name") and hasattr(tag, "confidence"):
        return tag.name, tag.confidence, getattr(tag, "kind", "object")
    raise BadTags(
        "a tag must be a (name, confidence[, kind]) tuple or have .name and .confidence, got " + repr(tag)
    )


def parse_tags(tags: Sequence[Any]) -> list[QueryWord]:
    """Validated query words, one per distinct tag name (the highest confidence wins, with its kind), best
    first."""
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise BadTags("tags must be a list of (name, confidence) pairs")
    if not tags:
        raise BadTags("the tag list is empty")
    if len(tags) > MAX_TAGS:
        raise BadTags(f"at most {MAX_TAGS} tags are allowed, got {len(tags)}")
    best: dict[str, tuple[float, str]] = {}
    for tag in tags:
        name, confidence, kind = _fields(tag)
        if not isinstance(name, str) or not name.strip():
            raise BadTags(f"a tag name must be a non-empty string, got {name!r}")
        name = name.strip()
        if len(name) > MAX_TAG_LEN or not all(is_hanzi(ch) for ch in name):
            raise BadTags(f"tag {name!r} must be 1 to {MAX_TAG_LEN} Chinese characters")
        if isinstance(confidence, bool) or not isinstance(confidence, int | float):
            raise BadTags(f"the confidence of tag {name!r} must be a number, got {confidence!r}")
        if math.isnan(confidence) or not 0.0 <= confidence <= 1.0:
            raise BadTags(f"the confidence of tag {name!r} must be within 0..1, got {confidence!r}")
        if kind not in KIND_WEIGHTS:
            raise BadTags(f"the kind of tag {name!r} must be one of {', '.join(KIND_WEIGHTS)}, got {kind!r}")
        if name not in best or confidence > best[name][0]:
            best[name] = (float(confidence), kind)
    raw = {n: c * KIND_WEIGHTS[kind] for n, (c, kind) in best.items()}
    total = sum(raw.values())
    # All-zero confidences still name what the photo shows: weigh those tags equally.
    weights = {n: (r / total if total > 0 else 1 / len(raw)) for n, r in raw.items()}
    return [
        QueryWord(n, w, best[n][1]) for n, w in sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    ]


def line_units(line: str, words: Sequence[str]) -> list[str]:
    """The query-able units of a line: its segmented words, without punctuation, non-Chinese tokens or
    function words."""
    return [
        w
        for w in dict.fromkeys(words)
        if w
        and all(map(is_hanzi, w))
        and not any(is_punct(ch) for ch in w)
        and not all(ch in FUNCTION_CHARS for ch in w)
    ]


def training_query(
    units: Sequence[str],
    synonyms: Synonyms,
    rng: random.Random,
    max_words: int = 3,
    p_char: float = 0.3,
    p_modern: float = 0.5,
) -> str:
    """A query for a line made of 1 to ``max_words`` of its units, as a tagger might say them.

    A unit may be shortened to one of its characters (tags are often single characters: 山, 湖) and
    replaced by a modern near-synonym (月 -> 月亮), so the encoder learns to reach classical wording.
    Units that the synonym table knows are drawn first half the time, so the table is well covered.
    """
    known = [u for u in units if u in synonyms.modern or any(ch in synonyms.modern for ch in u)]
    pool = known if known and rng.random() < 0.5 else list(units)
    picked = rng.sample(pool, min(len(pool), rng.randint(1, max_words)))
    words = []
    for unit in picked:
        if len(unit) > 1 and rng.random() < p_char:
            unit = rng.choice([ch for ch in unit if ch in synonyms.modern] or list(unit))
        if unit in synonyms.modern and rng.random() < p_modern:
            unit = rng.choice(synonyms.modern[unit])
        words.append(unit)
    return " ".join(words)
