"""Scoring tags against English ground truth: which Chinese tag words count as a hit for a label word.

label_concepts.tsv lists, for each English word of the labelled photo sets (labels like mountain, snow,
people, and description words like misty, dusk), the tag words that name it; `@主题` stands for every
tag of that theme (@动物 for any animal). Recall: the share of a photo's scored label words that one of
its tags hits. Precision of scene and mood tags: the share of them that some word of the photo's labels
or description supports, so that recall bought with noise shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import DataError
from vision.tables import read_table
from vision.tags import Tag

TABLE_PATH = Path(__file__).with_name("label_concepts.tsv")
COLUMNS = ["english", "hits"]


@cache
def load_label_table(path: Path = TABLE_PATH) -> dict[str, frozenset[str]]:
    """English word (lower case) → the tag words (and @themes) that count as naming it."""
    rows = read_table(path, COLUMNS, "label table")
    table: dict[str, frozenset[str]] = {}
    for line, row in rows:
        if len(row) != len(COLUMNS) or not row[0].strip() or not row[1].split():
            raise DataError(f"{path}:{line}: expected an English word and its tag words, got {row}")
        table[row[0].strip().lower()] = frozenset(row[1].split())
    return table


def hits(word: str, tag: Tag, table: dict[str, frozenset[str]]) -> bool:
    words = table.get(word.lower(), frozenset())
    return tag.name in words or (tag.theme is not None and "@" + tag.theme in words)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


@dataclass(frozen=True)
class PhotoScore:
    found: tuple[str, ...]
    """Label words that a tag hits."""
    missed: tuple[str, ...]
    unscored: tuple[str, ...]
    """Label words the table does not know (grayscale, indoor): they count neither way."""
    supported: tuple[str, ...]
    """Scene and mood tags that a label or description word supports."""
    unsupported: tuple[str, ...]


def score_photo(
    labels: Iterable[str], description: str, tags: list[Tag], table: dict[str, frozenset[str]] | None = None
) -> PhotoScore:
    table = load_label_table() if table is None else table
    labels = [label.strip().lower() for label in labels if label.strip()]
    scored = [label for label in labels if label in table]
    found = tuple(label for label in scored if any(hits(label, tag, table) for tag in tags))
    evidence = labels + words_of(description)
    views = [tag for tag in tags if tag.kind != "object"]
    supported = tuple(tag.name for tag in views if any(hits(word, tag, table) for word in evidence))
    return PhotoScore(
        found=found,
        missed=tuple(label for label in scored if label not in found),
        unscored=tuple(label for label in labels if label not in table),
        supported=supported,
        unsupported=tuple(tag.name for tag in views if tag.name not in supported),
    )
