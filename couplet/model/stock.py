"""Stock phrases: lower-line words the corpus writes only when the upper line calls for them.

    .venv/bin/python -m couplet.model.stock [PREPARED_DIR]

rewrites stock_phrases.tsv beside this module from the prepared train split.

The generator's weakest lines answer an upper line with a slogan (和谐, 小康, 振兴) it does not call for.
In the corpus those words are not loose: 和谐 follows 发展, 文明, 幸福 … in the upper line. So each
frequent lower-line word gets its cues, the upper-line words after which it is far likelier than usual,
and a lower line is penalised for such a word when its upper line holds none of the word's cues:

- words are jieba's (no HMM) of two or more Chinese characters, counted once per line;
- a candidate is a word in at least MIN_LOWER lower lines, and in at least as many lower lines as upper
  lines: what the lower line reaches for (its 平 ending and closing phrases), not shared imagery;
- a cue of word w is an upper-line word c seen with w at least MIN_JOINT times and with lift
  P(w in lower | c in upper) / P(w in lower) of at least MIN_LIFT;
- the word's weight is the share of its corpus lower lines whose upper line holds one of its cues: how
  strictly people reserve it for upper lines that ask for it. Words under MIN_CALLED (不知, 水流: said
  anywhere) are left out, and so are the cues beyond a word's MAX_CUES most frequent, which keeps the file
  small at a cost of a few percent of each word's called lines.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jieba

from couplet.rules import is_hanzi

TABLE = Path(__file__).with_name("stock_phrases.tsv")
MIN_LOWER = 200
MIN_JOINT = 5
MIN_LIFT = 4.0
MIN_CALLED = 0.4
MAX_CUES = 100
HEADER = "# word<TAB>weight<TAB>cues, from the prepared train split by `python -m couplet.model.stock`\n"


@lru_cache(maxsize=65536)
def words(line: str) -> frozenset[str]:
    """The line's words of two or more Chinese characters (jieba without HMM, as couplet.measures)."""
    jieba.setLogLevel(logging.WARNING)
    return frozenset(w for w in jieba.lcut(line, HMM=False) if len(w) > 1 and all(map(is_hanzi, w)))


@dataclass(frozen=True)
class StockPhrase:
    word: str
    weight: float
    """The share of the word's corpus lower lines whose upper line holds one of its cues."""
    cues: frozenset[str]


@dataclass(frozen=True)
class StockPhrases:
    phrases: dict[str, StockPhrase]

    def uncalled(self, upper: str, lower: str) -> list[StockPhrase]:
        """The stock phrases of ``lower`` for which ``upper`` holds no cue."""
        said = words(upper)
        return [p for w in sorted(words(lower)) if (p := self.phrases.get(w)) and not p.cues & said]

    def penalty(self, upper: str, lower: str) -> float:
        return sum(p.weight for p in self.uncalled(upper, lower))

    def to_tsv(self) -> str:
        rows = sorted(self.phrases.values(), key=lambda p: (-p.weight, p.word))
        return HEADER + "".join(f"{p.word}\t{p.weight:.3f}\t{' '.join(sorted(p.cues))}\n" for p in rows)

    @classmethod
    def parse(cls, text: str) -> StockPhrases:
        phrases = {}
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(
                    f"stock phrases line {number}: expected 'word<TAB>weight<TAB>cues', got {line!r}"
                )
            phrases[parts[0]] = StockPhrase(parts[0], float(parts[1]), frozenset(parts[2].split()))
        return cls(phrases)


def derive(pairs: Iterable[tuple[str, str]]) -> StockPhrases:
    """The stock phrases of a corpus of (upper, lower) pairs, by the rules in the module's docstring."""
    uppers, lowers = [], []
    for upper, lower in pairs:
        uppers.append(words(upper))
        lowers.append(words(lower))
    in_upper = Counter(w for line in uppers for w in line)
    in_lower = Counter(w for line in lowers for w in line)
    candidates = {w for w, n in in_lower.items() if n >= MIN_LOWER and n >= in_upper[w]}
    joint: Counter[tuple[str, str]] = Counter()
    for up, low in zip(uppers, lowers, strict=True):
        joint.update((c, w) for w in low & candidates for c in up)
    total = len(lowers)
    cues: dict[str, set[str]] = defaultdict(set)
    for (c, w), n in joint.items():
        if n >= MIN_JOINT and n * total >= MIN_LIFT * in_upper[c] * in_lower[w]:
            cues[w].add(c)
    kept = {w: frozenset(sorted(cs, key=lambda c: (-joint[c, w], c))[:MAX_CUES]) for w, cs in cues.items()}
    called: Counter[str] = Counter()
    for up, low in zip(uppers, lowers, strict=True):
        called.update(w for w in low & candidates if up & kept.get(w, frozenset()))
    phrases = {
        w: StockPhrase(w, called[w] / in_lower[w], kept[w])
        for w in sorted(candidates)
        if called[w] >= MIN_CALLED * in_lower[w]
    }
    return StockPhrases(phrases)


@cache
def load_stock_phrases(path: Path = TABLE) -> StockPhrases:
    return StockPhrases.parse(path.read_text(encoding="utf-8"))


def main() -> None:
    from core.settings import Settings
    from couplet.prepare import read_split

    prepared = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().prepared_dir
    phrases = derive(read_split(prepared, "train"))
    TABLE.write_text(phrases.to_tsv(), encoding="utf-8")
    print(f"{len(phrases.phrases)} stock phrases written to {TABLE}")


if __name__ == "__main__":
    main()
