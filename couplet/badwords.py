"""The corpus bad-word list: finding bad words in a line, and which next characters would complete one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BadWords:
    words: frozenset[str]
    _by_first: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _completions: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    _max_len: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_first: dict[str, list[str]] = defaultdict(list)
        completions: dict[str, set[str]] = defaultdict(set)
        for w in self.words:
            by_first[w[0]].append(w)
            completions[w[:-1]].add(w[-1])
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

    def completions(self, prefix: str) -> set[str]:
        """Characters that, appended to ``prefix``, would make it end with a bad word."""
        banned: set[str] = set()
        for k in range(min(len(prefix), self._max_len - 1) + 1):
            banned |= self._completions.get(prefix[len(prefix) - k :], frozenset())
        return banned

