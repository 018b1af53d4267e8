"""The ImageNet-1k → Chinese table (imagenet_zh.tsv), written by hand for couplet-friendly words.

Rows are in the standard class order (sorted WNIDs: 0 = n01440764 tench … 999 = n15075141 toilet
tissue), which is the order of the classifier's outputs. Several classes share a word (every dog breed
is 狗), so the local tagger adds their probabilities up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import DataError
from vision.tables import read_table

TABLE_PATH = Path(__file__).with_name("imagenet_zh.tsv")
COLUMNS = ["class_index", "wnid", "class_name_en", "zh", "theme"]
THEMES = frozenset(
    {"动物", "植物", "山", "水", "建筑", "交通", "饮食", "服饰", "器物", "文艺", "运动", "人物"}
)
N_CLASSES = 1000


@dataclass(frozen=True)
class ClassLabel:
    index: int
    wnid: str
    name_en: str
    zh: str
    theme: str


@cache
def load_table(path: Path = TABLE_PATH) -> tuple[ClassLabel, ...]:
    """All 1000 rows, checked: a damaged table would silently give wrong tags, so it fails loudly."""
    rows = read_table(path, COLUMNS, "ImageNet Chinese table")
    labels = []
    for line, row in rows:
        if len(row) != len(COLUMNS) or not row[0].isdigit():
            raise DataError(f"{path}:{line}: expected {len(COLUMNS)} tab-separated columns, got {row}")
        label = ClassLabel(int(row[0]), row[1], row[2], row[3].strip(), row[4].strip())
        if label.index != len(labels):
            raise DataError(f"{path}:{line}: class_index {label.index} is out of order")
        if not label.zh or label.theme not in THEMES:
            raise DataError(f"{path}:{line}: empty Chinese word or unknown theme {label.theme!r}")
        labels.append(label)
    if len(labels) != N_CLASSES:
        raise DataError(f"{path}: {len(labels)} classes instead of {N_CLASSES}")
    wnids = [label.wnid for label in labels]
    if wnids != sorted(wnids):
        raise DataError(f"{path}: rows are not in sorted-WNID order, so they would not match the model")
    return tuple(labels)
