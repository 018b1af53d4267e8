"""The table of modern near-synonyms for classical words (synonyms.tsv), and the concepts it defines.

A concept is a word together with every classical word it can stand for: the tag 月亮 is the concept
{月亮, 月}, the tag 狗 is {狗, 犬}. Training replaces classical words by modern ones; matching and the
benchmark use concepts to tell whether a line says what a tag means.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("synonyms.tsv")


@dataclass(frozen=True)
class Synonyms:
    modern: dict[str, tuple[str, ...]]
    """Classical word -> its modern near-synonyms."""
    classical: dict[str, tuple[str, ...]]
    """Modern word -> the classical words it stands for."""
    sections: dict[str, str]
    """Classical word -> the heading of its section (天象与时令, 草木, 人物 …): a comment line "# 标题"."""

    @classmethod
    def parse(cls, text: str) -> Synonyms:
        modern: dict[str, tuple[str, ...]] = {}
        classical: dict[str, list[str]] = defaultdict(list)
        sections: dict[str, str] = {}
        section = ""
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            heading = line.removeprefix("#").strip()
            if line.startswith("#") and heading and " " not in heading:
                section = heading
            if not line or line.startswith("#"):
                continue
            word, sep, rest = line.partition("\t")
            words = tuple(rest.split())
            if not sep or not words:
                raise ValueError(f"synonyms line {number}: expected 'word<TAB>modern words', got {raw!r}")
            if word in modern:
                raise ValueError(f"synonyms line {number}: {word!r} is listed twice")
            modern[word] = words
            sections[word] = section
            for w in words:
                classical[w].append(word)
        return cls(modern, {w: tuple(c) for w, c in classical.items()}, sections)

    def concept(self, word: str) -> frozenset[str]:
        """The word and every classical word it stands for."""
        return frozenset((word, *self.classical.get(word, ())))


@cache
def load_synonyms(path: Path = TABLE) -> Synonyms:
    return Synonyms.parse(path.read_text(encoding="utf-8"))
