"""The keyword matcher: an inverted index from characters and character bigrams to lines, score = hits.

It is the teaching case's baseline and the matcher's fallback when the vector index or the encoder is
missing; as a fallback it also looks for the classical words a tag stands for (狗 -> 犬).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from couplet.rules import is_punct


def keys(text: str) -> set[str]:
    """The distinct characters and character bigrams of ``text``, punctuation left out."""
    out: set[str] = set()
    for clause in "".join(" " if is_punct(ch) or ch.isspace() else ch for ch in text).split():
        out.update(clause)
        out.update(clause[i : i + 2] for i in range(len(clause) - 1))
    return out


class Postings:
    """An inverted index from string keys to the ascending ids of the lines that hold them.

    One array of line ids sorted by key, cut by offsets: no Python object per key or per posting.
    """

    def __init__(self, keys: list[str], offsets: np.ndarray, ids: np.ndarray) -> None:
        self.keys = keys
        self.offsets = offsets
        self.ids = ids
        self._key_ids = {key: k for k, key in enumerate(keys)}

    @classmethod
    def build(cls, lines: Iterable[str], keys_of: Callable[[str], Iterable[str]]) -> Postings:
        key_ids: dict[str, int] = {}
        entry_keys, entry_lines = array("i"), array("i")
        for i, line in enumerate(lines):
            for key in keys_of(line):
                entry_keys.append(key_ids.setdefault(key, len(key_ids)))
                entry_lines.append(i)
        by_key = np.frombuffer(entry_keys, dtype=np.int32)
        order = np.argsort(by_key, kind="stable")  # stable: ids stay ascending within a key
        offsets = np.concatenate([[0], np.cumsum(np.bincount(by_key, minlength=len(key_ids)))])
        return cls(list(key_ids), offsets, np.frombuffer(entry_lines, dtype=np.int32)[order])

    def get(self, key: str) -> np.ndarray:
        k = self._key_ids.get(key)
        if k is None:
            return self.ids[:0]
        return self.ids[self.offsets[k] : self.offsets[k + 1]]


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
