"""The corpus bad-word list: finding bad words in a line, and which characters would complete one between
what is written before them and what is kept after them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BadWords:
    words: frozenset[str]
    _by_first: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _completions: dict[tuple[str, str], frozenset[str]] = field(init=False, repr=False, compare=False)
    _max_len: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_first: dict[str, list[str]] = defaultdict(list)
        completions: dict[tuple[str, str], set[str]] = defaultdict(set)
        for w in self.words:
            by_first[w[0]].append(w)
            for k, ch in enumerate(w):
                completions[w[:k], w[k + 1 :]].add(ch)
        object.__setattr__(self, "_by_first", {k: tuple(v) for k, v in by_first.items()})
        object.__setattr__(self, "_completions", {k: frozenset(v) for k, v in completions.items()})
        object.__setattr__(self, "_max_len", max((len(w) for w in self.words), default=1))

    @classmethod
    def load(cls, path: Path) -> BadWords:
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls(frozenset(w.strip() for w in lines if w.strip()))

    def find(self, text: str) -> str | None:
        """The first bad word that occurs in ``text``, or None."""
        for i, ch in enumerate(text):
            for w in self._by_first.get(ch, ()):
                if text.startswith(w, i):
                    return w
        return None

    def completions(self, prefix: str, suffix: str = "") -> set[str]:
        """Characters that, put between ``prefix`` and ``suffix``, would complete a bad word that includes
        them."""
        banned: set[str] = set()
        for before in range(min(len(prefix), self._max_len - 1) + 1):
            head = prefix[len(prefix) - before :]
            for after in range(min(len(suffix), self._max_len - 1 - before) + 1):
                banned |= self._completions.get((head, suffix[:after]), frozenset())
        return banned
