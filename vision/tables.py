"""Reading the tab-separated tables shipped with the tagger, checked: a damaged table would silently give
wrong tags, so it fails loudly with the file and line."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from core.errors import DataError


def read_table(path: Path, columns: Sequence[str], name: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row below the header, which must be ``columns``."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t"))
    except OSError as e:
        raise DataError(f"the {name} {path} cannot be read: {e}") from e
    if not rows or rows[0] != list(columns):
        raise DataError(f"{path}: the header should be {list(columns)}, not {rows[0] if rows else 'missing'}")
    return list(enumerate(rows[1:], start=2))
