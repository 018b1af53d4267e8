"""Stand-ins: the words couplets say for a thing they never name (standins.tsv: 披萨 → 佳肴 美味).

A tag word with stand-ins is queried and counted as them, sharing its weight among them; the tag is still
what the photo's tags show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from couplet.matching.query import QueryWord

TABLE = Path(__file__).with_name("standins.tsv")


def parse(text: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, sep, rest = line.partition("\t")
        if not sep or not rest.split() or word in table:
            raise ValueError(f"stand-ins line {number}: expected a new 'word<TAB>stand-ins', got {raw!r}")
        table[word] = tuple(rest.split())
    return table


@cache
def load_standins(path: Path = TABLE) -> dict[str, tuple[str, ...]]:
    return parse(path.read_text(encoding="utf-8"))


def stand_in(words: Sequence[QueryWord], table: dict[str, tuple[str, ...]]) -> list[QueryWord]:
    """The query words with each tag that has stand-ins replaced by them (its weight shared equally, its
    kind kept); a word reached twice adds its weights. Best first, as parse_tags orders them."""
    weights: dict[str, float] = defaultdict(float)
    kinds: dict[str, str] = {}
    for word in words:
        subs = table.get(word.text, (word.text,))
        for text in subs:
            weights[text] += word.weight / len(subs)
            kinds.setdefault(text, word.kind)
    merged = (QueryWord(text, weight, kinds[text]) for text, weight in weights.items())
    return sorted(merged, key=lambda w: (-w.weight, w.text))
