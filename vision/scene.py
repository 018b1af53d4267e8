"""Scene and mood tags of the local tagger, from what its ImageNet classifier already computes and from
measured colours (vision.colours).

Scene and object concepts (山, 海, 古建筑, 人, 花 …) sum the probabilities of their ImageNet classes
(scene_classes.tsv): ImageNet has no "mountain" or "person" class, but alp, valley and cliff together
say 山, a bonnet, a suit or a scuba diver say 人, and a whale, a shark or a sea lion say 海. The landscape
concepts in REGIONAL also take their classes' sum in each cell of a 3×3 grid (vision.local), so a lake in
the lower third counts. People, trees, snow, a city and a field also come from a small head on the
classifier's features (vision.scene_head), trained on photos labelled for what they show. Moods (夜, 夕阳,
雾, 秋叶) and the sky (天空, 云) come from colours where they are measured: dark, warm, white, grey or blue
pixels in the top or bottom third. Colours alone mislead on close-ups (a red hat is not a sunset), so the colour
rules are skipped when the classifier is sure of one object. Snow has no colour rule: white ground is
as often stone, sand, surf or white flowers (README.md, "Scene and mood tags").

Landscape lookalikes (城堡 for rock towers, 迷宫 for terraced fields, 屏 for a framed dark sky, 火山 for
any peak) are dropped as object tags when they are weak and the photo shows a scene; their probability
still counts towards their scene concept (迷宫 → 田野, 火山 → 山). Every threshold is a named constant
below, and README.md says how each was chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from core.errors import DataError
from vision.colours import ColourStats
from vision.concepts import concept
from vision.labels import load_table
from vision.scene_head import THRESHOLD, load_head
from vision.tables import read_table
from vision.tags import Tag, merge_tags

TABLE_PATH = Path(__file__).with_name("scene_classes.tsv")
COLUMNS = ["class_name_en", "concepts", "lookalike"]

CLASS_MIN = 0.1
"""A concept needs this much summed probability of its classes: twice the object tags' own floor
(LocalTagger.min_confidence), since a concept pools many classes' small tails."""
OBJECT_SURE = 0.5
"""A class at least this likely means a close-up of that object: colour rules do not apply."""
LOOKALIKE_WEAK = 0.3
"""A landscape lookalike class below this is dropped as an object tag when the photo shows a scene."""
SCENE_TOP_K = 4
"""Scene and mood tags kept beside the object tags, best first."""
REGIONAL = frozenset({"山", "湖", "江河", "瀑布", "村庄", "田野", "雪"})
"""Concepts that also count their classes in each grid cell: those whose firing rate on the 1,000
ImageNet sample photos stays within about 2% with the cells (the colour rules' bound). 海, 街道 and 古建筑
would fire on 2.3–4.1% (a ship, a taxi or a church in a corner of an object photo), so they count the
whole photo only."""

# Colour rules: the share of the named pixels (vision.colours) that triggers each tag.
SKY_BLUE = 0.35  # 天空: blue sky covers a third of the top third
CLOUD = 0.3  # 云: white or grey in a smooth (sky-like) top third
SMOOTH_SKY = 0.5  # how smooth a top third must be to be sky rather than a wall of leaves or stones
NIGHT_BRIGHTNESS = 0.3  # 夜: the whole photo and its top third (the sky) darker than this, …
NIGHT_SKY = 0.1  # … or, in a view, a smooth top third darker than this: a black sky over lit streets or ice
SUNSET_WARM = 0.2  # 夕阳: warm colours in the top third, the sky no darker than the ground …
SUNSET_BRIGHTNESS = 0.3  # … in a photo that is not dark (a dark photo is night, not 夕阳)
FOG_CONTRAST = 0.12  # 雾: low contrast …
FOG_SATURATION = 0.2  # … in washed-out colours …
FOG_BRIGHTNESS = (0.35, 0.85)  # … neither dark nor blown out
AUTUMN_FOLIAGE = 0.25  # 秋叶: strong red, orange and yellow over the photo …
AUTUMN_TEXTURED = 0.5  # … in textured areas (leaves), not a smooth painted door
TREE_GREEN = 0.25  # 树: green in the top third …
TREE_TEXTURED = 0.4  # … that is textured (a canopy), not smooth (a green wall)
FIELD_GREEN = 0.5  # 田野: green ground in the bottom third of a view, rougher than a sky (calm water is not)


@dataclass(frozen=True)
class ModelOutput:
    """What the local classifier computes for a photo."""

    probs: np.ndarray
    """Softmax over the 1000 ImageNet classes for the whole photo."""
    regions: np.ndarray | None = None
    """cells × 1000: the softmax of each cell of the grid, where computed."""
    features: np.ndarray | None = None
    """The feature map pooled by its mean (what the classes are computed from) and by its max, end to end,
    where computed."""


@dataclass(frozen=True)
class ClassTable:
    groups: dict[str, np.ndarray]
    """Concept → the indices of its ImageNet classes."""
    lookalikes: frozenset[int]


@cache
def load_class_table(path: Path = TABLE_PATH) -> ClassTable:
    """scene_classes.tsv, checked against the ImageNet table: a misspelt class would silently count nothing."""
    rows = read_table(path, COLUMNS, "scene class table")
    indices: dict[str, list[int]] = {}
    for label in load_table():
        indices.setdefault(label.name_en, []).append(label.index)
    groups: dict[str, list[int]] = {}
    lookalikes: set[int] = set()
    for line, row in rows:
        if len(row) != len(COLUMNS) or row[0] not in indices or row[2] not in ("yes", "no"):
            raise DataError(f"{path}:{line}: expected an ImageNet class name, concepts and yes/no, got {row}")
        for name in filter(None, row[1].split(";")):
            try:
                concept(name)
            except KeyError:
                raise DataError(f"{path}:{line}: {name!r} is not in the concept table") from None
            groups.setdefault(name, []).extend(indices[row[0]])
        if row[2] == "yes":
            lookalikes.update(indices[row[0]])
    return ClassTable({name: np.array(sorted(set(ix))) for name, ix in groups.items()}, frozenset(lookalikes))


def _tag(name: str, confidence: float, source: str) -> Tag:
    c = concept(name)
    return Tag(name, float(min(1.0, max(0.0, confidence))), source, theme=c.theme, kind=c.kind)


def class_concepts(output: ModelOutput, source: str = "local") -> list[Tag]:
    """The concepts whose classes add up to CLASS_MIN or more, in the whole photo or (REGIONAL ones) in
    one cell of the grid."""
    table = load_class_table()
    masses = {name: float(output.probs[ix].sum()) for name, ix in table.groups.items()}
    if output.regions is not None:
        for name in REGIONAL & masses.keys():
            masses[name] = max(masses[name], float(output.regions[:, table.groups[name]].sum(1).max()))
    return [_tag(name, mass, source) for name, mass in masses.items() if mass >= CLASS_MIN]


def head_concepts(features: np.ndarray | None, source: str = "local") -> list[Tag]:
    """The scene head's concepts at THRESHOLD or more (none without features)."""
    if features is None:
        return []
    found = load_head().probabilities(features).items()
    return [_tag(name, p, source) for name, p in found if p >= THRESHOLD]


def _view(stats: ColourStats, scenes: list[Tag]) -> bool:
    """A landscape or street view rather than a close-up: a scene concept, or blue sky in the top third.
    A plain top alone is no view: object photos on white or grey backgrounds have one."""
    return any(t.kind == "scene" for t in scenes) or stats.top.sky_blue >= SKY_BLUE


Rule = Callable[[ColourStats, bool], float]
"""A colour rule: the photo's stats and whether it is a view → the tag's confidence, 0 for no tag."""


def _sky(s: ColourStats, view: bool) -> float:
    return s.top.sky_blue if s.top.sky_blue >= SKY_BLUE else 0.0


def _cloud(s: ColourStats, view: bool) -> float:
    pale = s.top.white + s.top.grey
    return pale if view and pale >= CLOUD and s.top.smooth >= SMOOTH_SKY else 0.0


def _night(s: ColourStats, view: bool) -> float:
    dark = max(s.whole.brightness, s.top.brightness) < NIGHT_BRIGHTNESS
    black_sky = view and s.top.brightness < NIGHT_SKY and s.top.smooth >= SMOOTH_SKY
    return 1.0 - s.whole.brightness if dark or black_sky else 0.0


def _sunset(s: ColourStats, view: bool) -> float:
    lit_sky = s.top.brightness >= s.bottom.brightness and s.whole.brightness >= SUNSET_BRIGHTNESS
    return s.top.warm if view and lit_sky and s.top.warm >= SUNSET_WARM else 0.0


def _fog(s: ColourStats, view: bool) -> float:
    low, high = FOG_BRIGHTNESS
    washed = s.contrast < FOG_CONTRAST and s.whole.saturation < FOG_SATURATION
    return s.whole.white + s.whole.grey if view and washed and low <= s.whole.brightness <= high else 0.0


def _autumn(s: ColourStats, view: bool) -> float:
    textured = s.whole.smooth < AUTUMN_TEXTURED
    return s.whole.foliage if textured and s.whole.foliage >= AUTUMN_FOLIAGE else 0.0


def _tree(s: ColourStats, view: bool) -> float:
    return s.top.green if s.top.green >= TREE_GREEN and s.top.smooth < TREE_TEXTURED else 0.0


def _field(s: ColourStats, view: bool) -> float:
    ground = view and s.bottom.green >= FIELD_GREEN and s.bottom.smooth < SMOOTH_SKY
    return s.bottom.green if ground else 0.0


COLOUR_RULES: dict[str, Rule] = {
    "天空": _sky,
    "云": _cloud,
    "夜": _night,
    "夕阳": _sunset,
    "雾": _fog,
    "秋叶": _autumn,
    "树": _tree,
    "田野": _field,
}


def colour_concepts(stats: ColourStats, view: bool, source: str = "local") -> list[Tag]:
    found = ((name, rule(stats, view)) for name, rule in COLOUR_RULES.items())
    return [_tag(name, confidence, source) for name, confidence in found if confidence > 0]


def with_scene(
    objects: list[Tag], output: ModelOutput, stats: ColourStats, source: str = "local"
) -> list[Tag]:
    """The object tags with the photo's scene and mood tags beside them (at most SCENE_TOP_K), and
    weak landscape lookalikes dropped where a scene is seen. A concept word that is also an object tag
    (湖 from lakeside) is one tag, of the concept's kind."""
    from_model = merge_tags(
        class_concepts(output, source) + head_concepts(output.features, source), combine="max"
    )
    sure = float(output.probs.max()) >= OBJECT_SURE
    from_colours = [] if sure else colour_concepts(stats, _view(stats, from_model), source)
    concepts = merge_tags(from_model + from_colours, combine="max")
    shown = [t for t in concepts if t.kind != "object"][:SCENE_TOP_K] + [
        t for t in concepts if t.kind == "object"
    ]
    names = {t.name for t in shown}
    lookalikes = _lookalike_words() if any(t.kind == "scene" for t in shown) else frozenset()
    kept = [
        t
        for t in objects
        if t.name not in names and not (t.name in lookalikes and t.confidence < LOOKALIKE_WEAK)
    ]
    return merge_tags(kept + shown, combine="max") or objects[:1]


@cache
def _lookalike_words() -> frozenset[str]:
    labels = load_table()
    return frozenset(labels[i].zh for i in load_class_table().lookalikes)
