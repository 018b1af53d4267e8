"""Reading the prepared splits (``upper<TAB>lower`` per line), apart from the code that writes them.

The serving path reads the train split to build the corpus store; keeping the reader here lets it do so
without importing the cleaning and download code of `couplet.prepare` and `couplet.fetch`.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import DataError

SPLITS = ("train", "dev", "test", "test_novel", "classic")

Pair = tuple[str, str]


def split_path(prepared_dir: Path, split: str) -> Path:
    """The file of a prepared split; DataError if it has not been prepared."""
    path = prepared_dir / f"{split}.tsv"
    if not path.exists():
        raise DataError(f"{path} does not exist: run `couplet data fetch` and `couplet data prepare` first")
    return path


def read_split(prepared_dir: Path, split: str) -> list[Pair]:
    with split_path(prepared_dir, split).open(encoding="utf-8") as f:
        return [(p[0], p[1]) for p in (line.rstrip("\n").split("\t") for line in f) if len(p) >= 2]
