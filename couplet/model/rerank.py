"""How the generator ranks its lower lines: one score of the model's log-probability and rule features,
and a choice of n candidates that are not near copies of each other. Pure functions.

The score adds to the model's mean log-probability per token (nats) a weighted sum of features:
- lower_ends_ping and tone_opposition: couplet.rules' scores (0..1);
- parallelism: the share of aligned positions whose parts of speech agree (couplet.measures);
- stock: the weights of the lower line's stock phrases its upper line does not call for (couplet.model.stock);
- hezhang (合掌): aligned words of the two lines that are synonyms, which says the same thing twice where a
  couplet should answer. Identical words cannot occur (no_reuse), so only synonyms are looked for: two
  words are synonyms when the matcher's table (couplet/matching/synonyms.tsv) names one as a modern word
  of the other or names a modern word for both (日/阳 share 太阳, 舟/船, 浪/涛, 晨/朝), unless that modern
  word is a compound of the two (茶杯 joins 茶 and 杯; 读书 joins 读 and 书), and except the pairs that
  couplets set against each other by custom (青山/绿水, 江/河, 琴/瑟: CUSTOMARY). The table covers the
  imagery a photo shows, not every word, so this finds some 合掌, never all (把酒/悬觞 escapes it).
The weights were chosen on the dev split (benchmarks/rerank.py; README, "Reranking").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba

from couplet.matching.synonyms import Synonyms
from couplet.measures import differing, parallelism
from couplet.model.stock import StockPhrases
from couplet.rules import RuleResult, is_punct

CUSTOMARY = frozenset(
    frozenset(pair) for pair in ("青绿", "青碧", "青蓝", "青翠", "绿翠", "碧蓝", "江河", "琴瑟")
)


@dataclass(frozen=True)
class Weights:
    """Nats of the model's score per unit of each feature; the defaults are the rules' two terms alone, the
    rerank before issue #18 (the generator's are in couplet.model.generator.WEIGHTS)."""

    ends_ping: float = 0.3
    tone_opposition: float = 0.2
    parallelism: float = 0.0
    stock: float = 0.0
    hezhang: float = 0.0


@dataclass(frozen=True)
class Features:
    ends_ping: float
    tone_opposition: float
    parallelism: float
    stock: float
    hezhang: int

    def signed(self) -> dict[str, float]:
        """Each feature by its weight's name, with the sign it counts with: the faults count against."""
        return {
            "ends_ping": self.ends_ping,
            "tone_opposition": self.tone_opposition,
            "parallelism": self.parallelism,
            "stock": -self.stock,
            "hezhang": -self.hezhang,
        }

    def bonus(self, w: Weights) -> float:
        """What the features add to the model's score."""
        return sum(getattr(w, name) * value for name, value in self.signed().items())


def features(
    upper: str,
    lower: str,
    rules: dict[str, RuleResult],
    stock: StockPhrases,
    synonyms: frozenset[frozenset[str]],
) -> Features:
    return Features(
        ends_ping=rules["lower_ends_ping"].score,
        tone_opposition=rules["tone_opposition"].score,
        parallelism=parallelism(upper, lower).rate or 0.0,
        stock=stock.penalty(upper, lower),
        hezhang=len(hezhang(upper, lower, synonyms)),
    )


def synonym_pairs(table: Synonyms) -> frozenset[frozenset[str]]:
    """Pairs of words the synonyms table makes near-synonyms (see the module's docstring)."""
    pairs = set()
    for word, moderns in table.modern.items():
        for modern in moderns:
            pairs.add(frozenset((word, modern)))
            pairs |= {
                frozenset((word, other))
                for other in table.classical[modern]
                if other != word and not (word in modern and other in modern)
            }
    return frozenset(p for p in pairs if len(p) == 2 and p not in CUSTOMARY)


@lru_cache(maxsize=65536)
def _spans(line: str) -> tuple[tuple[int, str], ...]:
    """(start, word) of jieba's words of the line (no HMM, as couplet.measures)."""
    jieba.setLogLevel(logging.WARNING)
    out, start = [], 0
    for word in jieba.lcut(line, HMM=False):
        out.append((start, word))
        start += len(word)
    return tuple(out)


def hezhang(upper: str, lower: str, synonyms: frozenset[frozenset[str]]) -> list[tuple[str, str]]:
    """Synonyms at the same place in both lines: aligned characters, and words spanning the same positions."""
    found = [
        (a, b)
        for a, b in zip(upper, lower, strict=False)
        if not is_punct(a) and frozenset((a, b)) in synonyms
    ]
    words = dict(_spans(upper))
    for start, word in _spans(lower):
        other = words.get(start)
        if (
            len(word) > 1
            and other is not None
            and len(other) == len(word)
            and frozenset((other, word)) in synonyms
        ):
            found.append((other, word))
    return found


def min_differing(line: str) -> int:
    """Positions two answers must differ in not to be near copies: 2, or a third of a short line's characters."""
    chars = sum(not is_punct(ch) for ch in line)
    return min(2, -(-chars // 3))


def diverse(ranked: Sequence[str], n: int) -> list[int]:
    """The order in which to offer ``ranked`` lines (best first): first the best ``n`` that differ pairwise
    in at least min_differing positions, in rank order, then the rest in rank order. Near copies make up
    the ``n`` (best first) only when the list offers too few others."""
    chosen: list[int] = []
    for k, line in enumerate(ranked):
        if len(chosen) == n:
            break
        if all(differing(line, ranked[j]) >= min_differing(line) for j in chosen):
            chosen.append(k)
    rest = [k for k in range(len(ranked)) if k not in chosen]
    chosen = sorted(chosen + rest[: n - len(chosen)])
    return chosen + [k for k in rest if k not in chosen]
