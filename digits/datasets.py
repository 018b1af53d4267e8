"""Training data as in-memory arrays: MNIST from its idx files, math symbols from the 45×45 archive.

Symbol images go through the same preprocessing as any user picture (``digits.preprocess``) and are
cached as 28×28 uint8 under the prepared-data folder. One image in ten (by a hash of its file name)
is held out for testing.
"""

from __future__ import annotations

import logging
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from core.errors import DataError
from digits import SYMBOLS
from digits.idx import load_mnist
from digits.preprocess import clean_ink, ink_of, load_grey, prepare_character

log = logging.getLogger(__name__)

FOLDER_TO_CHAR = {
    **{d: d for d in "0123456789"},
    "+": "+",
    "-": "-",
    "=": "=",
    "times": "×",
    "div": "÷",
    "(": "(",
    ")": ")",
}
CACHE_VERSION = 3


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, 0 background, 255 ink
    labels: np.ndarray  # (N,) int64 class indices


def is_held_out(name: str) -> bool:
    return zlib.crc32(name.encode("utf-8")) % 10 == 0


def mnist(raw_dir: Path, split: str) -> Split:
    images, labels = load_mnist(raw_dir, split)
    return Split(images, labels)


def to_uint8(field: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((field + 0.5) * 255), 0, 255).astype(np.uint8)


def build_symbol_cache(archive: Path, cache: Path, limit_per_class: int | None = None) -> None:
    """Preprocess every image of the symbol archive into ``cache`` (an .npz)."""
    if not archive.is_file():
        raise DataError(f"{archive} is missing: run `couplet digits fetch --from PATH`")
    images, labels, held = [], [], []
    counts: dict[str, int] = {}
    skipped = 0
    with tarfile.open(archive, "r:xz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.lower().endswith((".jpg", ".png"))]
        for member in tqdm(members, desc="symbols", unit="img"):
            parts = Path(member.name).parts
            folder = parts[-2] if len(parts) >= 2 else ""
            char = FOLDER_TO_CHAR.get(folder)
            if char is None:
                continue
            if limit_per_class is not None and counts.get(char, 0) >= limit_per_class:
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            data = f.read()
            if char == "÷" and not looks_like_division(data):
                skipped += 1  # the source's label noise: a slash or a tick filed as ÷
                continue
            prepared = prepare_character(data)
            if prepared.field is None:
                continue
            counts[char] = counts.get(char, 0) + 1
            images.append(to_uint8(prepared.field))
            labels.append(SYMBOLS.index(char))
            held.append(is_held_out(Path(member.name).name))
    if not images:
        raise DataError(f"{archive} holds no symbol images in the expected layout (symbols/<class>/*.jpg)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.stem + ".tmp.npz")
    np.savez_compressed(
        tmp,
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        held_out=np.array(held),
        version=CACHE_VERSION,
    )
    tmp.replace(cache)
    log.info(
        "symbol cache %s: %d images (%d ÷ images without a bar and dots skipped)", cache, len(images), skipped
    )


def looks_like_division(image: bytes) -> bool:
    """A ÷ picture has a bar (a wide, flat stroke) and something else (its dots). The source files some
    slashes and ticks as ÷: they fail this."""
    found = ink_of(load_grey(image))
    ink = clean_ink(found.ink, found.contrast, min_part=0.0)
    labels, n = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if n < 2:
        return False
    width = ink.shape[1]
    for rows, cols in ndimage.find_objects(labels):
        w, h = cols.stop - cols.start, rows.stop - rows.start
        if w >= 2 * h and w >= 0.3 * width:
            return True
    return False


def symbols(archive: Path, cache: Path, split: str) -> Split:
    """The symbol images of ``split`` ("train" or "test"), built into the cache on first use."""
    if not cache.is_file() or (archive.is_file() and archive.stat().st_mtime > cache.stat().st_mtime):
        build_symbol_cache(archive, cache)
    data = np.load(cache)
    if int(data["version"]) != CACHE_VERSION:
        build_symbol_cache(archive, cache)
        data = np.load(cache)
    mask = data["held_out"] if split == "test" else ~data["held_out"]
    return Split(data["images"][mask], data["labels"][mask])
