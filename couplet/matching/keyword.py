"""Keyword matching: the matcher's fallback, and the teaching case's baseline it replaced.

`word_hits` is the fallback when the vector index or the encoder is missing: the weighted share of the
tags' concepts (a tag and the classical words it stands for: 狗 -> 犬) that a line says as whole words of its
own segmentation, from the corpus store's word postings (memory-mapped, so a worker holds no index of its
own). `KeywordIndex` is the baseline the benchmark still measures: characters and character bigrams, score
= hits, which counts 面包 in 铁面包公 (铁面 / 包公).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from couplet.corpus import Corpus, Postings
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


def said_by(forms: Iterable[str], corpus: Corpus) -> np.ndarray:
    """Ascending ids of the lines that have one of ``forms`` as a word."""
    postings = [corpus.words.get(form) for form in forms]
    if len(postings) == 1:
        return postings[0]
    # A union through a mask: sorting the concatenated postings costs more.
    mask = np.zeros(len(corpus), dtype=bool)
    for ids in postings:
        mask[ids] = True
    return np.flatnonzero(mask)


def word_hits(concepts: Sequence[tuple[Iterable[str], float]], corpus: Corpus) -> np.ndarray:
    """float32 per line: the summed weights of the concepts (forms, weight) the line says as a word."""
    total = np.zeros(len(corpus), dtype=np.float32)
    for forms, weight in concepts:
        total[said_by(forms, corpus)] += weight
    return total


def top(scores: np.ndarray, allowed: np.ndarray | None, n: int) -> np.ndarray:
    """Ids of the ``n`` best-scoring allowed lines with a positive score, best first (ties: lower id)."""
    masked = np.where(allowed, scores, 0.0) if allowed is not None else scores
    candidates = np.flatnonzero(masked > 0)
    if len(candidates) > n:
        candidates = candidates[np.argpartition(-masked[candidates], n - 1)[:n]]
    return candidates[np.lexsort((candidates, -masked[candidates]))]
