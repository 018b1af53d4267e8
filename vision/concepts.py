"""The scene and mood vocabulary (concepts.tsv): the Chinese concept words every tagger speaks.

Each concept has a kind (scene: the place or landscape; mood: time of day, season, weather; object: a
few broad things such as 人 and 花 that services name in many words), a theme for the 横批 picker, and
aliases: the English and Chinese words cloud services use for it. `concept_tags` renames a service's
tags to the concept words, so Azure's "sunset" and Baidu's 日落 both become the mood tag 夕阳, and the
local tagger's scene and mood tags (vision.scene) use the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from core.errors import DataError
from vision.labels import THEMES
from vision.tables import read_table
from vision.tags import KINDS, Kind, Tag, merge_tags

TABLE_PATH = Path(__file__).with_name("concepts.tsv")
COLUMNS = ["concept", "kind", "theme", "aliases"]
SCENERY_THEME = "景"
"""The 横批 table's theme for sky, weather and seasons, which the ImageNet themes lack."""


@dataclass(frozen=True)
class Concept:
    name: str
    kind: Kind
    theme: str
    aliases: tuple[str, ...]


@cache
def load_concepts(path: Path = TABLE_PATH) -> tuple[Concept, ...]:
    rows = read_table(path, COLUMNS, "concept table")
    concepts = []
    for line, row in rows:
        if len(row) != len(COLUMNS):
            raise DataError(f"{path}:{line}: expected {len(COLUMNS)} tab-separated columns, got {row}")
        name, kind, theme, aliases = (cell.strip() for cell in row)
        if not name or kind not in KINDS or theme not in THEMES | {SCENERY_THEME}:
            raise DataError(f"{path}:{line}: empty concept, unknown kind {kind!r} or unknown theme {theme!r}")
        words = tuple(word.strip() for word in aliases.split(";") if word.strip())
        concepts.append(Concept(name, kind, theme, (name, *words)))
    if len({c.name for c in concepts}) != len(concepts):
        raise DataError(f"{path}: a concept is listed twice")
    return tuple(concepts)


@cache
def _by_alias() -> dict[str, tuple[Concept, ...]]:
    index: dict[str, list[Concept]] = {}
    for concept in load_concepts():
        for alias in concept.aliases:
            index.setdefault(alias.casefold(), []).append(concept)
    return {alias: tuple(concepts) for alias, concepts in index.items()}


def concept(name: str) -> Concept:
    """The concept called `name` (a concept word, not an alias); KeyError if there is none."""
    for candidate in load_concepts():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def concepts_of(word: str) -> tuple[Concept, ...]:
    """The concepts a service's word names (雪山 names 山 and 雪), case-insensitive; () for other words."""
    return _by_alias().get(word.strip().casefold(), ())


def concept_tags(tags: Iterable[Tag]) -> list[Tag]:
    """A cloud service's tags in the concept vocabulary: a word that names concepts becomes those
    concept tags (with their kind and theme), other words stay object tags; duplicates merge by max."""
    renamed = []
    for tag in tags:
        named = concepts_of(tag.name)
        if not named:
            renamed.append(tag)
        renamed += [replace(tag, name=c.name, kind=c.kind, theme=c.theme) for c in named]
    return merge_tags(renamed, combine="max")
