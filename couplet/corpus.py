"""The corpus store: everything the code reads about the training corpus, built once from train.tsv.

For the distinct upper lines of the train split, in the order they first occur (a line's id is its
place in that order, and the matcher's vector index numbers its vectors the same way), one folder
(`Settings.corpus_dir`) holds:

- the lines, packed as one UTF-8 buffer with offsets;
- the corpus's lower lines of each line (the corpus memory);
- per-line fields worked out at build time (`FIELDS`: the length, whether the line ends on 仄, its
  segmentation into words as a bitmask of word ends; and the learnt scores of couplet.register, how
  jokey, how melancholy, how festive and how devotional it reads);
- postings: which lines hold each character, and which hold each word (as a word of the line's own
  segmentation), ids ascending;
- the hash of every line with its punctuation removed, sorted, to find a line whatever its punctuation.

Every array is an .npy file mapped read-only, so gunicorn workers share one copy through the page cache.
``meta.json`` stamps the store with the sha256 of train.tsv, `FORMAT` and the sha256 of what the learnt
scores are learnt from besides (the register lexicon and the classic set); `build_corpus` is a no-op while
they match, and `load_corpus` builds the store first when it is missing or stale.
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import json
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TypeVar

import numpy as np
from tqdm import tqdm

from core.download import sha256_file
from couplet import register
from couplet.rules import is_hanzi, is_punct, normalise, upper_ends_ze
from couplet.splits import Pair, read_split, split_path
from couplet.words import word_ends, words

T = TypeVar("T")

log = logging.getLogger(__name__)

FORMAT = 4
"""Bump when what the store holds changes (a field added to FIELDS, a new layout), so stores on disk are rebuilt."""
META_FILE = "meta.json"
ELEGANT_SPLIT = "classic"
"""The prepared split whose lines are the register's elegant seeds (couplet.register)."""
CHUNK = 20_000
"""Lines per step of the field computation: a field may work on a batch (a model scoring lines) and the
progress bar moves per step."""


def distinct_chars(line: str) -> set[str]:
    return {ch for ch in line if not is_punct(ch)}


def distinct_words(line: str, ends: int) -> set[str]:
    """The line's words (as its word-end mask cuts it), punctuation left out."""
    return {w for w in words(line, ends) if all(map(is_hanzi, w))}


def line_key(line: str) -> str:
    """What two lines must share to count as the same line: their characters, punctuation aside."""
    return "".join(ch for ch in normalise(line) if not is_punct(ch))


def _key_hash(key: str) -> np.uint64:
    # A fixed hash, unlike Python's, which changes from process to process.
    return np.uint64(int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little"))


class PackedLines(Sequence[str]):
    """Strings kept as one UTF-8 buffer, each ended by a newline, and the offsets of their starts (plus the
    end): about a tenth of the memory of the str objects, and the arrays can be read-only file maps."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        """uint8, the encoded strings, each followed by a newline."""
        self.offsets = offsets
        """int64, where each string starts in ``blob``, then the end of the last one."""

    @classmethod
    def pack(cls, lines: Iterable[str]) -> PackedLines:
        encoded = [f"{line}\n".encode() for line in lines]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i = i % len(self)
        return self.blob[self.offsets[i] : self.offsets[i + 1] - 1].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self.blob.tobytes().decode("utf-8").split("\n")[:-1])


class Postings:
    """An inverted index from string keys to the ascending ids of the lines that hold them.

    The keys sorted (found by bisection: a plain list, no dict on top; the store's 80,114 words take
    about 7 MB a process) and one array of line ids sorted by key, cut by offsets: no Python object per
    posting.
    """

    def __init__(self, keys: Sequence[str], offsets: np.ndarray, ids: np.ndarray) -> None:
        self.keys = keys
        """Ascending."""
        self.offsets = offsets
        self.ids = ids

    @classmethod
    def build(cls, lines: Iterable[T], keys_of: Callable[[T], Iterable[str]]) -> Postings:
        key_ids: dict[str, int] = {}
        entry_keys, entry_lines = array("i"), array("i")
        for i, line in enumerate(lines):
            for key in keys_of(line):
                entry_keys.append(key_ids.setdefault(key, len(key_ids)))
                entry_lines.append(i)
        keys = sorted(key_ids)
        rank = np.zeros(len(keys), dtype=np.int32)
        rank[[key_ids[k] for k in keys]] = np.arange(len(keys), dtype=np.int32)
        by_key = rank[np.frombuffer(entry_keys, dtype=np.int32)]
        order = np.argsort(by_key, kind="stable")  # stable: ids stay ascending within a key
        offsets = np.concatenate([[0], np.cumsum(np.bincount(by_key, minlength=len(keys)))])
        return cls(keys, offsets, np.frombuffer(entry_lines, dtype=np.int32)[order])

    def get(self, key: str) -> np.ndarray:
        k = bisect.bisect_left(self.keys, key)
        if k == len(self.keys) or self.keys[k] != key:
            return self.ids[:0]
        return self.ids[self.offsets[k] : self.offsets[k + 1]]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """What the store saves of it, named with ``prefix``."""
        keys = PackedLines.pack(self.keys)
        return {
            f"{prefix}_keys": keys.blob,
            f"{prefix}_key_offsets": keys.offsets,
            f"{prefix}_offsets": self.offsets,
            f"{prefix}_ids": self.ids,
        }

    @classmethod
    def mapped(cls, prefix: str, load: Callable[[str], np.ndarray]) -> Postings:
        """The postings the store saved with ``prefix``: the ids mapped, the keys decoded once (bisecting
        the packed keys would decode a slice per probe, 50 µs a lookup instead of 1)."""
        return cls(
            list(PackedLines(load(f"{prefix}_keys"), load(f"{prefix}_key_offsets"))),
            load(f"{prefix}_offsets"),
            load(f"{prefix}_ids"),
        )


@dataclass(frozen=True)
class LineField:
    """A value per line worked out once at build time, for what would be too slow to work out per request.

    ``compute`` gets a chunk of lines and returns one value for each. Values are fixed-size: the word
    segmentation is a uint32 bitmask of word ends, lines being at most 32 characters.
    """

    name: str
    dtype: type
    compute: Callable[[Sequence[str]], Iterable]


def _lengths(lines: Sequence[str]) -> list[int]:
    # Punctuation included, as the length filters count.
    return [len(line) for line in lines]


def _ends_ze(lines: Sequence[str]) -> list[bool]:
    # Tones come from pypinyin over the whole line: about a minute for the corpus, hence worked out once here.
    return [upper_ends_ze(line, "").passed for line in lines]


def _word_ends(lines: Sequence[str]) -> list[int]:
    return [word_ends(line) for line in lines]


FIELDS = (
    LineField("lengths", np.int16, _lengths),
    LineField("ends_ze", np.bool_, _ends_ze),
    LineField("word_ends", np.uint32, _word_ends),
)
"""Fields worked out from each line alone; the learnt scores (register.SIGNALS) join them at build time."""


@dataclass(frozen=True, eq=False)
class Corpus:
    lines: PackedLines
    """The distinct upper lines of the train split, in the order they first occur."""
    lowers: PackedLines
    """Entry i: the lower lines the corpus pairs with line i, in corpus order, joined by tabs."""
    fields: dict[str, np.ndarray]
    """One array per entry of FIELDS and per learnt score (register.SIGNALS), a value per line."""
    chars: Postings
    """Which lines hold each character (punctuation left out)."""
    words: Postings
    """Which lines hold each word, as a word of their own segmentation (punctuation left out)."""
    key_hashes: np.ndarray
    """uint64, ascending: the hash of each line's `line_key`."""
    key_ids: np.ndarray
    """int32: the line each entry of ``key_hashes`` belongs to."""
    corpus_sha256: str
    """sha256 of the train.tsv the store was built from."""

    @property
    def lengths(self) -> np.ndarray:
        """int16, characters per line."""
        return self.fields["lengths"]

    @property
    def ends_ze(self) -> np.ndarray:
        """bool, the line's last character has a 仄 tone."""
        return self.fields["ends_ze"]

    @property
    def jokey(self) -> np.ndarray:
        """float16 in 0..1, how jokey the line reads (jokes, insults, puns, sarcasm, slogans: couplet.register)."""
        return self.fields["jokey"]

    @property
    def melancholy(self) -> np.ndarray:
        """float16 in 0..1, how melancholy the line reads (mourning, grief, loss: couplet.register)."""
        return self.fields["melancholy"]

    @property
    def festive(self) -> np.ndarray:
        """float16 in 0..1, how much the line is written for an occasion (festivals, weddings, shops …:
        couplet.register)."""
        return self.fields["festive"]

    @property
    def devotional(self) -> np.ndarray:
        """float16 in 0..1, how much the line is a temple's (Buddhist and Daoist figures and teaching:
        couplet.register)."""
        return self.fields["devotional"]

    def words_of(self, i: int) -> list[str]:
        """Line i cut into its words, punctuation included, as the store segmented it."""
        return words(self.lines[i], int(self.fields["word_ends"][i]))

    def __len__(self) -> int:
        return len(self.lines)

    def allowed(self, min_len: int, max_len: int, ze_only: bool) -> np.ndarray:
        """bool mask of the lines that pass the length range and, if asked, end on 仄."""
        return _mask(self, min_len, max_len, ze_only)

    def lowers_of(self, i: int) -> list[str]:
        return self.lowers[i].split("\t")

    def find(self, line: str) -> list[int]:
        """Ids of the lines that are ``line`` once punctuation is removed (several when only punctuation
        tells them apart), ascending (the hashes were sorted stably)."""
        key = line_key(line)
        digest = _key_hash(key)
        lo, hi = (
            np.searchsorted(self.key_hashes, digest, "left"),
            np.searchsorted(self.key_hashes, digest, "right"),
        )
        return [int(i) for i in self.key_ids[lo:hi] if line_key(self.lines[i]) == key]

    def nearest(self, line: str) -> tuple[int, int]:
        """(id, shared distinct characters) of the line of ``line``'s length that shares most distinct
        characters with it, the first such line on a tie; (-1, 0) if none shares any."""
        postings = [self.chars.get(ch) for ch in distinct_chars(line)]
        ids = np.concatenate(postings) if postings else np.zeros(0, dtype=np.int32)
        ids = ids[self.lengths[ids] == len(line)]
        if not len(ids):
            return -1, 0
        counts = np.bincount(ids)
        best = int(counts.argmax())
        return best, int(counts[best])

    @classmethod
    def open(cls, folder: Path) -> Corpus:
        """The store in ``folder``, its arrays mapped read-only."""
        meta = json.loads((folder / META_FILE).read_text())

        def mapped(name: str) -> np.ndarray:
            return np.load(folder / f"{name}.npy", mmap_mode="r")

        return cls(
            lines=PackedLines(mapped("lines"), mapped("line_offsets")),
            lowers=PackedLines(mapped("lowers"), mapped("lower_offsets")),
            fields={name: mapped(name) for name in meta["fields"]},
            chars=Postings.mapped("char", mapped),
            words=Postings.mapped("word", mapped),
            key_hashes=mapped("key_hashes"),
            key_ids=mapped("key_ids"),
            corpus_sha256=meta["corpus_sha256"],
        )


@lru_cache(maxsize=8)
def _mask(corpus: Corpus, min_len: int, max_len: int, ze_only: bool) -> np.ndarray:
    mask = (corpus.lengths >= min_len) & (corpus.lengths <= max_len)
    return mask & corpus.ends_ze if ze_only else mask


def corpus_hash(prepared_dir: Path) -> str:
    """sha256 of the train split: the stamp of what is built from it (this store, the matcher's index)."""
    return sha256_file(split_path(prepared_dir, "train"))


def build_corpus(prepared_dir: Path, folder: Path, force: bool = False) -> bool:
    """Build the store of ``prepared_dir``'s train split in ``folder``; False if it was up to date.

    Safe to call from several processes at once: one builds, the others wait and find it done.
    """
    with _locked(folder):
        return _build_if_stale(prepared_dir, folder, force)


def load_corpus(prepared_dir: Path, folder: Path) -> Corpus:
    """The store of ``prepared_dir``'s train split, built first if it is missing or stale."""
    with _locked(folder):  # not opened half-way through another process's rebuild
        _build_if_stale(prepared_dir, folder, force=False)
        return Corpus.open(folder)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _elegant_lines(prepared_dir: Path) -> list[str]:
    """Both lines of every pair of the elegant split, or none where it has not been prepared."""
    if not (prepared_dir / f"{ELEGANT_SPLIT}.tsv").exists():
        return []
    return [line for pair in read_split(prepared_dir, ELEGANT_SPLIT) for line in pair]


def _signals_hash(prepared_dir: Path) -> str:
    """sha256 of what the learnt scores are learnt from besides train.tsv: the lexicon and the elegant split."""
    digest = hashlib.sha256(register.LEXICON.read_bytes())
    elegant = prepared_dir / f"{ELEGANT_SPLIT}.tsv"
    digest.update(elegant.read_bytes() if elegant.exists() else b"")
    return digest.hexdigest()


def _build_if_stale(prepared_dir: Path, folder: Path, force: bool) -> bool:
    stamp = {
        "format": FORMAT,
        "corpus_sha256": corpus_hash(prepared_dir),
        "signals_sha256": _signals_hash(prepared_dir),
    }
    meta_path = folder / META_FILE
    old = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if not force and all(old.get(key) == value for key, value in stamp.items()):
        return False
    log.info("building the corpus store in %s", folder)
    _write(read_split(prepared_dir, "train"), _elegant_lines(prepared_dir), folder, stamp)
    return True


def _write(pairs: list[Pair], elegant: list[str], folder: Path, stamp: dict[str, object]) -> None:
    lowers: dict[str, list[str]] = {}
    for upper, lower in pairs:
        lowers.setdefault(upper, []).append(lower)
    lines = list(lowers)
    log.info("learning the register and mood of %d lines", len(lines))
    signals = register.fit(lines, elegant)
    fields = FIELDS + tuple(
        LineField(name, np.float16, partial(signals.scores, name)) for name in register.SIGNALS
    )
    values: dict[str, list] = {f.name: [] for f in fields}
    with tqdm(total=len(lines), desc="corpus store", unit="line", mininterval=2) as bar:
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start : start + CHUNK]
            for f in fields:
                values[f.name].extend(f.compute(chunk))
            bar.update(len(chunk))
    hashes = np.fromiter((_key_hash(line_key(line)) for line in lines), dtype=np.uint64, count=len(lines))
    order = np.argsort(hashes, kind="stable")
    chars = Postings.build(lines, distinct_chars)
    line_words = Postings.build(
        zip(lines, values["word_ends"], strict=True), lambda item: distinct_words(*item)
    )
    packed, packed_lowers = (
        PackedLines.pack(lines),
        PackedLines.pack("\t".join(lowers[line]) for line in lines),
    )
    arrays = {
        "lines": packed.blob,
        "line_offsets": packed.offsets,
        "lowers": packed_lowers.blob,
        "lower_offsets": packed_lowers.offsets,
        **chars.arrays("char"),
        **line_words.arrays("word"),
        "key_hashes": hashes[order],
        "key_ids": order.astype(np.int32),
        **{f.name: np.asarray(values[f.name], dtype=f.dtype) for f in fields},
    }
    meta_path = folder / META_FILE
    meta_path.unlink(
        missing_ok=True
    )  # a build that dies half-way leaves no stamp, so the next call redoes it
    for name, data in arrays.items():
        _save(folder / f"{name}.npy", data)
    meta_path.write_text(
        json.dumps({**stamp, "lines": len(lines), "pairs": len(pairs), "fields": [f.name for f in fields]})
    )
    flagged = {
        name: float((arrays[name] >= register.FLAG).mean()) if lines else 0.0 for name in register.SIGNALS
    }
    log.info(
        "corpus store: %d distinct upper lines of %d pairs, %.1f%% end on 仄, %d words, %s",
        len(lines),
        len(pairs),
        100 * arrays["ends_ze"].mean() if lines else 0.0,
        len(line_words.keys),
        ", ".join(f"{100 * share:.1f}% {name}" for name, share in flagged.items()),
    )


def _save(path: Path, values: np.ndarray) -> None:
    # A new file renamed over the old one: a process that mapped the old file keeps reading it intact,
    # where writing in place would cut the file under its map.
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, values)
    tmp.replace(path)
