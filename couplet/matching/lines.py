"""The lines the matcher picks from: the distinct upper lines of the training split, with their filters.

Working out which line ends on 仄 takes about a minute over the whole corpus (pypinyin), so the table
is cached under the index folder and rebuilt only when train.tsv changes (its sha256 is the stamp).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.download import sha256_file
from couplet.charindex import distinct_chars
from couplet.matching.keyword import Postings
from couplet.rules import upper_ends_ze
from couplet.splits import read_split

log = logging.getLogger(__name__)

LINES_FILE = "lines.txt"
ATTRS_FILE = "lines.npz"
STAMP_FILE = "lines.json"
TABLE_VERSION = 2  # bump when the table's contents change, so cached tables are rebuilt


class PackedLines(Sequence[str]):
    """Lines kept as one UTF-8 buffer with offsets: about a tenth of the memory of 540k str objects."""

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == ord("\n"))
        self._starts = np.concatenate([[0], ends[:-1] + 1])
        self._ends = ends

    @classmethod
    def pack(cls, lines: Sequence[str]) -> PackedLines:
        return cls("".join(f"{line}\n" for line in lines).encode("utf-8"))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._blob[self._starts[i] : self._ends[i]].decode("utf-8")

    def __iter__(self):
        return iter(self._blob.decode("utf-8").split("\n")[:-1])

    @property
    def blob(self) -> bytes:
        return self._blob


@dataclass(frozen=True, eq=False)
class LineTable:
    lines: PackedLines
    lengths: np.ndarray
    """int16, characters per line (punctuation included, as the length filter counts them)."""
    ends_ze: np.ndarray
    """bool, the line's last character has a 仄 tone."""
    chars: Postings
    """Which lines hold each character (punctuation left out)."""
    corpus_sha256: str

    def allowed(self, min_len: int, max_len: int, ze_only: bool) -> np.ndarray:
        """bool mask of the lines that pass the length range and, if asked, end on 仄."""
        return _mask(self, min_len, max_len, ze_only)

    def __len__(self) -> int:
        return len(self.lines)


@lru_cache(maxsize=8)
def _mask(table: LineTable, min_len: int, max_len: int, ze_only: bool) -> np.ndarray:
    mask = (table.lengths >= min_len) & (table.lengths <= max_len)
    return mask & table.ends_ze if ze_only else mask


def distinct_uppers(prepared_dir: Path) -> list[str]:
    """The distinct upper lines of train.tsv, in the order they first occur."""
    return list(dict.fromkeys(upper for upper, _ in read_split(prepared_dir, "train")))


def corpus_hash(prepared_dir: Path) -> str:
    return sha256_file(prepared_dir / "train.tsv")


def build_line_table(prepared_dir: Path, out_dir: Path) -> LineTable:
    """Compute the table from the corpus and write it to ``out_dir``."""
    digest = corpus_hash(prepared_dir)
    lines = distinct_uppers(prepared_dir)
    ze = np.fromiter((upper_ends_ze(line, "").passed for line in tqdm(lines, desc="tones", unit="line", mininterval=2)),
                     dtype=bool, count=len(lines))
    packed = PackedLines.pack(lines)
    chars = Postings.build(lines, distinct_chars)
    table = LineTable(packed, np.fromiter(map(len, lines), dtype=np.int16, count=len(lines)), ze, chars, digest)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / LINES_FILE).write_bytes(packed.blob)
    np.savez(out_dir / ATTRS_FILE, lengths=table.lengths, ends_ze=table.ends_ze, chars=np.array("".join(chars.keys)),
             char_offsets=chars.offsets, char_ids=chars.ids)
    (out_dir / STAMP_FILE).write_text(json.dumps({"corpus_sha256": digest, "version": TABLE_VERSION, "lines": len(lines)}))
    log.info("line table: %d distinct upper lines, %.1f%% end on 仄", len(lines), 100 * ze.mean())
    return table


def load_line_table(prepared_dir: Path, out_dir: Path) -> LineTable:
    """The cached table if it matches the corpus, else a freshly built one."""
    digest = corpus_hash(prepared_dir)
    stamp = out_dir / STAMP_FILE
    old = json.loads(stamp.read_text()) if stamp.exists() else {}
    if (old.get("corpus_sha256"), old.get("version")) == (digest, TABLE_VERSION):
        attrs = np.load(out_dir / ATTRS_FILE)
        chars = Postings(list(str(attrs["chars"])), attrs["char_offsets"], attrs["char_ids"])
        return LineTable(PackedLines((out_dir / LINES_FILE).read_bytes()), attrs["lengths"], attrs["ends_ze"], chars,
                         digest)
    return build_line_table(prepared_dir, out_dir)
