"""Known couplets: the lower lines people wrote for an upper line the training corpus holds.

Only the same upper line counts (punctuation aside): a line that merely shares most of its characters
is a different line, and its lower line answers that one, not the line asked for. The generator
scores the remembered lines as it scores its own and ranks them all together.
"""

from __future__ import annotations

from couplet.corpus import Corpus
from couplet.rules import is_punct

MAX_RECALLED = 20
"""Lower lines of one upper line offered at most: each is scored by a forward pass, and one corpus line
has 173 (240-440 ms scored all together, against about 40 ms for 20)."""


def relaid(upper: str, lower: str) -> str | None:
    """``lower``'s characters laid out in ``upper``'s punctuation, or None if their counts differ."""
    chars = [ch for ch in lower if not is_punct(ch)]
    if len(chars) != sum(not is_punct(ch) for ch in upper):
        return None
    rest = iter(chars)
    return "".join(ch if is_punct(ch) else next(rest) for ch in upper)


class CorpusMemory:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def recall(self, upper: str, limit: int = MAX_RECALLED) -> list[str]:
        """The corpus's lower lines of ``upper`` (any corpus line that is ``upper`` with other punctuation
        counts too), the first ``limit`` in corpus order without repeats; [] for a line the corpus lacks.

        A lower line of a line punctuated otherwise is laid out in ``upper``'s punctuation, as the
        model writes its own lines; one that cannot be (its own punctuation is off) is left out.
        """
        found = []
        for i in self.corpus.find(upper):
            same = self.corpus.lines[i] == upper
            found += [lower if same else relaid(upper, lower) for lower in self.corpus.lowers_of(i)]
        return list(dict.fromkeys(lower for lower in found if lower))[:limit]
