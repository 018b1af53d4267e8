"""Known couplets: the training corpus as a memory of lower lines people already wrote.

When an upper line is nearly one of the corpus (same length, most of its characters shared), the
human lower line of that corpus line is usually a better answer than anything a small model writes,
so the generator offers it as a candidate (when it passes the hard rules). Lines unlike anything in
the corpus get no help from here.

The memory is a character inverted index over the distinct train upper lines, stored as flat numpy
arrays that are memory-mapped, so every gunicorn worker shares one copy through the page cache.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.download import sha256_file
from couplet.charindex import distinct_chars
from couplet.splits import read_split

log = logging.getLogger(__name__)

FORMAT = 1
# Share of the query's distinct characters a corpus upper line must hold to count as "nearly the
# same line"; on the leak-free test split, 0.6 is where the remembered lower line starts to beat the
# model on BLEU (benchmarks/generator.py).
MIN_OVERLAP = 0.6


@dataclass(frozen=True)
class Recall:
    upper: str
    """The corpus upper line that matched."""
    lower: str
    overlap: float
    """Share of the query's distinct characters found in ``upper``."""


class CorpusMemory:
    def __init__(self, folder: Path) -> None:
        self.keys: dict[str, list[int]] = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
        self.postings = np.load(folder / "postings.npy", mmap_mode="r")
        self.offsets = np.load(folder / "offsets.npy", mmap_mode="r")
        self.pairs = np.load(folder / "pairs.npy", mmap_mode="r")

    def _pair(self, i: int) -> tuple[str, str]:
        raw = bytes(self.pairs[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")
        upper, lower = raw.split("\t")
        return upper, lower

    def recall(self, upper: str, min_overlap: float = MIN_OVERLAP) -> Recall | None:
        """The corpus pair whose upper line shares most distinct characters with ``upper``, if enough."""
        chars = distinct_chars(upper)
        spans = [self.keys[k] for ch in chars if (k := f"{len(upper)}:{ch}") in self.keys]
        if not chars or not spans:
            return None
        counts = np.bincount(np.concatenate([self.postings[a:b] for a, b in spans]))
        best = int(counts.argmax())
        overlap = counts[best] / len(chars)
        if overlap < min_overlap:
            return None
        known_upper, lower = self._pair(best)
        return Recall(upper=known_upper, lower=lower, overlap=float(overlap))


def build_memory(prepared_dir: Path, folder: Path, force: bool = False) -> bool:
    """Write the memory of ``prepared_dir``'s train split into ``folder``; False if it was up to date.

    Safe to call from several processes at once: one builds, the others wait and find it done.
    """
    folder.mkdir(parents=True, exist_ok=True)
    train = prepared_dir / "train.tsv"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        source = sha256_file(train)
        meta_path = folder / "meta.json"
        if not force and meta_path.exists():
            meta = json.loads(meta_path.read_text())
            if meta.get("train_sha256") == source and meta.get("format") == FORMAT:
                return False
        log.info("building the corpus memory from %s", train)
        first_lower: dict[str, str] = {}
        for upper, lower in read_split(prepared_dir, "train"):
            first_lower.setdefault(upper, lower)
        postings: dict[str, list[int]] = defaultdict(list)
        blob, offsets = bytearray(), [0]
        for i, (upper, lower) in enumerate(tqdm(first_lower.items(), desc="memory", unit="line")):
            for ch in distinct_chars(upper):
                postings[f"{len(upper)}:{ch}"].append(i)
            blob += f"{upper}\t{lower}".encode()
            offsets.append(len(blob))
        keys, flat, start = {}, [], 0
        for key, ids in postings.items():
            keys[key] = [start, start + len(ids)]
            flat.append(np.asarray(ids, dtype=np.int32))
            start += len(ids)
        np.save(folder / "postings.npy", np.concatenate(flat))
        np.save(folder / "offsets.npy", np.asarray(offsets, dtype=np.int64))
        np.save(folder / "pairs.npy", np.frombuffer(bytes(blob), dtype=np.uint8))
        (folder / "keys.json").write_text(json.dumps(keys, ensure_ascii=False), encoding="utf-8")
        meta_path.write_text(json.dumps({"format": FORMAT, "train_sha256": source, "lines": len(first_lower)}))
        log.info("corpus memory: %d distinct upper lines in %s", len(first_lower), folder)
        return True
