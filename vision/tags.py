"""The tag type, the tagger protocol and duplicate merging, shared by every tagging client."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, Protocol, get_args, runtime_checkable

Kind = Literal["object", "scene", "mood"]
"""What a tag names: a thing in the photo, the place or landscape it shows, or its time, season or weather."""
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class Tag:
    name: str
    """Chinese word, e.g. 狗, 湖, 山."""
    confidence: float
    """0..1; for the local classifier a probability, for cloud services their own score."""
    source: str
    """Which tagger said it: local, azure, baidu or a plug-in's name."""
    name_en: str | None = None
    """English class name where the tagger has one (the ImageNet class of the local tagger)."""
    theme: str | None = None
    """Coarse theme (动物, 水, 山, 植物 …) where the tagger knows it; cloud services leave it None."""
    kind: Kind = "object"

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a tag needs a name")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} of tag {self.name!r} is not one of {', '.join(KINDS)}")
        if not (0.0 <= self.confidence <= 1.0) or math.isnan(self.confidence):
            raise ValueError(f"confidence {self.confidence!r} of tag {self.name!r} is not within 0..1")


@runtime_checkable
class Tagger(Protocol):
    def tag(self, image_bytes: bytes) -> list[Tag]:
        """Chinese tags of the image, best first. Raises ImageError or TaggerError."""
        ...


def merge_tags(tags: Iterable[Tag], combine: Literal["max", "sum"] = "max") -> list[Tag]:
    """One tag per Chinese name, sorted by confidence (best first, then by name for a stable order).

    `sum` suits probabilities of one softmax over disjoint classes (several dog breeds add up to the
    probability of 狗); `max` suits independent scores, e.g. the same word from two services. Sums are
    capped at 1. The merged tag keeps source, name_en, theme and kind of its strongest contributor.
    """
    best: dict[str, Tag] = {}
    total: dict[str, float] = {}
    for tag in tags:
        if tag.name not in best or tag.confidence > best[tag.name].confidence:
            best[tag.name] = tag
        if combine == "sum":
            total[tag.name] = total.get(tag.name, 0.0) + tag.confidence
        elif combine != "max":
            raise ValueError(f"unknown combine {combine!r}: use max or sum")
    merged = [
        replace(tag, confidence=min(1.0, total[name])) if combine == "sum" else tag
        for name, tag in best.items()
    ]
    return sorted(merged, key=lambda t: (-t.confidence, t.name))
