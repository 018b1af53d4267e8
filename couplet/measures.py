"""Measures of a couplet that BLEU misses, as pure functions over (upper, lower) pairs or n-best lists.

- 对仗 parallelism: jieba.posseg tags both lines; each character takes its word's tag, folded into a coarse
  class (COARSE), and a position agrees when the two lines' classes there are the same.
- 平仄相对 tone opposition: at the 2nd, 4th and 6th character of each clause (as rules.tone_opposition) and at
  each clause's last character, the two lines' tones differ; under 中华新韵 and 平水韵 (couplet.tones). A
  position where either character is ambiguous (多音字) or unknown is left undecided, not guessed.
- diversity of an n-best list: how many positions two candidates differ in; near copies differ in one.
- copying: lower lines that occur verbatim as a lower line of the training corpus.

Rates over many pairs are shares of positions (or of lines), so long lines weigh more than short ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import combinations

import jieba
import jieba.posseg

from couplet.rules import clause_spans, is_punct
from couplet.tones import AMBIGUOUS, STANDARDS, line_tones

# jieba's tags by their first letter, folded where couplet practice pairs them: 时间 (t), 处所 (s), 方位 (f)
# words and abbreviations (j) with nouns; 区别词 (b) and 状态词 (z) with adjectives; numerals with measure
# words (数量对); idioms (i) with set phrases (l). Other letters are classes of their own: d adverb, p
# preposition, c conjunction, u particle, r pronoun, o onomatopoeia, e/y interjections.
COARSE = {
    "n": "n",
    "t": "n",
    "s": "n",
    "f": "n",
    "j": "n",
    "v": "v",
    "a": "a",
    "b": "a",
    "z": "a",
    "m": "m",
    "q": "m",
    "i": "i",
    "l": "i",
}
PASS, FAIL, UNDECIDED = "pass", "fail", "undecided"


@dataclass(frozen=True)
class Tally:
    """Positions that pass, out of those judged; ``undecided`` were looked at but could not be judged."""

    hits: int = 0
    judged: int = 0
    undecided: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.hits + other.hits, self.judged + other.judged, self.undecided + other.undecided)

    @property
    def rate(self) -> float | None:
        return self.hits / self.judged if self.judged else None


@lru_cache(maxsize=65536)
def pos_classes(line: str) -> tuple[str | None, ...]:
    """The coarse part-of-speech class of each character's word; None for punctuation."""
    jieba.setLogLevel(logging.WARNING)  # not its dictionary-loading chatter on every command's stderr
    out: list[str | None] = []
    for word, flag in jieba.posseg.lcut(line, HMM=False):
        # No HMM: it merges unknown classical characters into made-up words (依山 as one noun).
        out += [None if is_punct(ch) else COARSE.get(flag[:1], flag[:1]) for ch in word]
    return tuple(out)


def parallelism(upper: str, lower: str) -> Tally:
    """Aligned positions (neither punctuation) whose two characters have the same coarse class."""
    agree = judged = 0
    for a, b in zip(pos_classes(upper), pos_classes(lower), strict=False):
        if a is not None and b is not None:
            judged += 1
            agree += a == b
    return Tally(agree, judged)


def checked_positions(upper: str) -> list[int]:
    """The 2nd, 4th and 6th character of each clause and its last one."""
    positions: set[int] = set()
    for start, end in clause_spans(upper):
        positions |= {start + offset for offset in (1, 3, 5) if start + offset < end} | {end - 1}
    return sorted(positions)


def verdict(upper_tone: str | None, lower_tone: str | None) -> str:
    if upper_tone is None or lower_tone is None or AMBIGUOUS in (upper_tone, lower_tone):
        return UNDECIDED
    return PASS if upper_tone != lower_tone else FAIL


def tone_opposition(upper: str, lower: str, standard: str) -> Tally:
    """The checked positions whose tones are opposed under ``standard`` (couplet.tones.XINYUN or PINGSHUI)."""
    tu, tl = line_tones(upper, standard), line_tones(lower, standard)
    verdicts = [verdict(tu[i], tl[i]) for i in checked_positions(upper) if i < len(lower)]
    return Tally(verdicts.count(PASS), verdicts.count(PASS) + verdicts.count(FAIL), verdicts.count(UNDECIDED))


@dataclass(frozen=True)
class PositionNote:
    """Why one position passes or fails, for a page to show: tones by standard, the verdict where checked."""

    index: int
    upper: str
    lower: str
    upper_tones: dict[str, str | None]
    lower_tones: dict[str, str | None]
    checked: bool
    verdicts: dict[str, str] | None  # by standard: pass, fail or undecided; None where the rule does not look


def explain(upper: str, lower: str) -> list[dict]:
    """One JSON-able note per aligned position of the pair."""
    tones_up = {s: line_tones(upper, s) for s in STANDARDS}
    tones_low = {s: line_tones(lower, s) for s in STANDARDS}
    checked = set(checked_positions(upper))
    notes = []
    for i in range(min(len(upper), len(lower))):
        up = {s: tones_up[s][i] for s in STANDARDS}
        low = {s: tones_low[s][i] for s in STANDARDS}
        verdicts = {s: verdict(up[s], low[s]) for s in STANDARDS} if i in checked else None
        notes.append(asdict(PositionNote(i, upper[i], lower[i], up, low, i in checked, verdicts)))
    return notes


def differing(a: str, b: str) -> int:
    """Positions at which two lines differ (a missing character counts as a difference)."""
    return sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))


def is_near_copy(a: str, b: str) -> bool:
    return len(a) == len(b) and differing(a, b) == 1


@dataclass(frozen=True)
class Diversity:
    answers: int
    """n-best lists with at least two lines."""
    mean_differing: float | None
    """Mean over lists of the mean positions two of its lines differ in."""
    near_copy_share: float | None
    """Lists holding two lines that differ in exactly one character."""


def diversity(answers: Iterable[list[str]]) -> Diversity:
    means, near = [], 0
    for lines in answers:
        pairs = list(combinations(lines, 2))
        if not pairs:
            continue
        means.append(sum(differing(a, b) for a, b in pairs) / len(pairs))
        near += any(is_near_copy(a, b) for a, b in pairs)
    if not means:
        return Diversity(0, None, None)
    return Diversity(len(means), sum(means) / len(means), near / len(means))


def copying(lowers: list[str], corpus_lowers: frozenset[str] | set[str]) -> float:
    """The share of ``lowers`` that occur verbatim among the corpus's lower lines."""
    return sum(line in corpus_lowers for line in lowers) / max(len(lowers), 1)


def summarise(pairs: list[tuple[str, str]], corpus_lowers: frozenset[str] | set[str]) -> dict:
    """Every pair measure over ``pairs``: rates, and the share of checked tone positions left undecided."""
    par, tone = Tally(), {s: Tally() for s in STANDARDS}
    for upper, lower in pairs:
        par += parallelism(upper, lower)
        for s in STANDARDS:
            tone[s] += tone_opposition(upper, lower, s)
    return {
        "n": len(pairs),
        "parallelism": par.rate,
        "tone_opposition": {s: tone[s].rate for s in STANDARDS},
        "tone_undecided": {s: t.undecided / max(t.judged + t.undecided, 1) for s, t in tone.items()},
        "copying": copying([lower for _, lower in pairs], corpus_lowers),
    }
