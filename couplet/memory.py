"""Known couplets: the training corpus as a memory of lower lines people already wrote.

When an upper line is nearly one of the corpus (same length, most of its characters shared), the
human lower line of that corpus line is usually a better answer than anything a small model writes,
so the generator offers it as a candidate (when it passes the hard rules). Lines unlike anything in
the corpus get no help from here. The lines, their lower lines and the character postings are those
of the corpus store (couplet/corpus.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from couplet.corpus import Corpus, distinct_chars

# Share of the query's distinct characters a corpus upper line must hold to count as "nearly the
# same line"; on the leak-free test split, 0.6 is where the remembered lower line starts to beat the
# model on BLEU (benchmarks/generator.py).
MIN_OVERLAP = 0.6


@dataclass(frozen=True)
class Recall:
    upper: str
    """The corpus upper line that matched."""
    lower: str
    overlap: float
    """Share of the query's distinct characters found in ``upper``."""


class CorpusMemory:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def recall(self, upper: str, min_overlap: float = MIN_OVERLAP) -> Recall | None:
        """The first corpus pair whose upper line shares most distinct characters with ``upper``, if enough."""
        chars = distinct_chars(upper)
        best, shared = self.corpus.nearest(upper)
        if best < 0 or shared / len(chars) < min_overlap:
            return None
        return Recall(upper=self.corpus.lines[best], lower=self.corpus.lowers_of(best)[0], overlap=shared / len(chars))
