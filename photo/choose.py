"""Which of a photo's candidate couplets is drawn first: one score per candidate, best first.

The score adds what the matcher and the generator already measure:
- fit: the matcher's relevance of the upper line to the photo's tags (cosine similarity to the tags'
  query, in which scene and mood tags take part, plus its bonus for saying the tags' concepts);
- line: the generator's score of the lower line (mean log-probability per character plus its rule
  terms: ends on 平, tone opposition, 对仗, stock phrases), LINE_WEIGHT to one;
- less the lower line's register: the matcher's penalty for each register signal whose marker the lower
  line holds (couplet.matching.matcher.marked_penalty). The upper line's register is in its fit already,
  but a lower line that a person wrote for it is kept as written, and some are a New Year's (玉兔春回大地新
  under Machu Picchu) or a jibe (拍马溜羊喜叫牛 under a cat);
- variety: an upper line that was drawn first for one of the last RECENT photos of this process goes
  after the others, so that the same line does not lead on every mountain photo (the person still sees
  it among the three).

Before all of these, a couplet that contradicts the photo (couplet.matching.clash: the moon or dusk under a
blue midday sky, snow over green fields, in either line or the 横批) goes after those that do not. The
matcher and the written lower lines already keep clear of such words, but a lower line that a person wrote
for the upper line (the corpus's own answer) is kept as it is, and a good upper line can still say one:
on the 96 photos of the review sheet 12 drawn couplets did (竹院月敲诗 over Niagara by day, 寒江月冷水长流
over horses on a grassland at noon), each with a candidate that did not, which the reviewers often named
as the better one.

LINE_WEIGHT is a round value set from the two scales, not fitted to photos: one nat per character of
the generator's score counts half the matcher's bonus for saying every tag's concept (0.5). A typical
spread among a photo's three candidates is 0.05–0.15 of fit and 0.1–0.5 nats of line score, so both
decide. (Without the vector index the matcher's keyword fallback scores in weighted hits,
a larger scale: there the fit decides nearly alone.)
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from couplet.rules import Couplet

LINE_WEIGHT = 0.25
RECENT = 32


@dataclass(frozen=True)
class Option:
    couplet: Couplet
    fit: float
    """The matcher's relevance of the upper line to the tags."""
    line: float
    """The generator's score of the lower line."""
    clashes: bool = False
    """Whether the couplet says something the photo contradicts (couplet.matching.clash)."""
    lower_penalty: float = 0.0
    """What the lower line's register takes off the fit (couplet.matching.matcher.marked_penalty)."""


class RecentPicks:
    """The upper lines drawn first for the last `size` photos (per process; threads share it)."""

    def __init__(self, size: int = RECENT) -> None:
        self._lines: deque[str] = deque(maxlen=size)
        self._lock = threading.Lock()

    def __contains__(self, upper: object) -> bool:
        with self._lock:
            return upper in self._lines

    def add(self, upper: str) -> None:
        with self._lock:
            self._lines.append(upper)

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()


def score(option: Option) -> float:
    return option.fit - option.lower_penalty + LINE_WEIGHT * option.line


def ranked(options: Sequence[Option], recent: RecentPicks) -> list[Couplet]:
    """The couplets best first: those that contradict the photo last, then those drawn first lately after
    the others (ties keep the matcher's order)."""
    return [
        o.couplet for o in sorted(options, key=lambda o: (o.clashes, o.couplet.upper in recent, -score(o)))
    ]


def photo_seed(data: bytes) -> int:
    """A seed from the photo's bytes: the same photo gets the same lines, another photo others."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") >> 1
