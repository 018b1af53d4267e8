"""An inverted index from characters to lines, for "which line of the same length shares most characters".

Used for the novelty split of the test set and for the nearest-neighbour baseline; numpy posting lists
keep a query to a few milliseconds over ~700k lines.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from couplet.rules import is_punct


def distinct_chars(line: str) -> set[str]:
    return {ch for ch in line if not is_punct(ch)}


class CharIndex:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        postings: dict[tuple[int, str], list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            for ch in distinct_chars(line):
                postings[(len(line), ch)].append(i)
        self._postings = {k: np.asarray(v, dtype=np.int32) for k, v in postings.items()}

    def best(self, query: str) -> tuple[int, int]:
        """(line id, shared distinct characters) of the same-length line sharing most; (-1, 0) if none."""
        lists = [self._postings[k] for ch in distinct_chars(query) if (k := (len(query), ch)) in self._postings]
        if not lists:
            return -1, 0
        counts = np.bincount(np.concatenate(lists))
        best = int(counts.argmax())
        return best, int(counts[best])
