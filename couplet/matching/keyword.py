"""The keyword matcher: an inverted index from characters and character bigrams to lines, score = hits.

It is the teaching case's baseline and the matcher's fallback when the vector index or the encoder is
missing; as a fallback it also looks for the classical words a tag stands for (狗 -> 犬).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from couplet.corpus import Postings
from couplet.rules import is_punct


def keys(text: str) -> set[str]:
    """The distinct characters and character bigrams of ``text``, punctuation left out."""
    out: set[str] = set()
    for clause in "".join(" " if is_punct(ch) or ch.isspace() else ch for ch in text).split():
        out.update(clause)
        out.update(clause[i : i + 2] for i in range(len(clause) - 1))
    return out


class KeywordIndex:
    def __init__(self, lines: Sequence[str]) -> None:
        self.size = len(lines)
        self.postings = Postings.build(lines, keys)

    def hits(self, text: str) -> np.ndarray:
        """float32 per line: how many of the characters and bigrams of ``text`` the line holds."""
        score = np.zeros(self.size, dtype=np.float32)
        for key in keys(text):
            score[self.postings.get(key)] += 1.0
        return score

    def scores(self, concepts: Sequence[tuple[Sequence[str], float]]) -> np.ndarray:
        """Weighted hits of a query: for each (forms, weight), the best-hitting form counts, times weight."""
        total = np.zeros(self.size, dtype=np.float32)
        for forms, weight in concepts:
            total += weight * np.max([self.hits(form) for form in forms], axis=0)
        return total


def top(scores: np.ndarray, allowed: np.ndarray | None, n: int) -> np.ndarray:
    """Ids of the ``n`` best-scoring allowed lines with a positive score, best first (ties: lower id)."""
    masked = np.where(allowed, scores, 0.0) if allowed is not None else scores
    candidates = np.flatnonzero(masked > 0)
    if len(candidates) > n:
        candidates = candidates[np.argpartition(-masked[candidates], n - 1)[:n]]
    return candidates[np.lexsort((candidates, -masked[candidates]))]
