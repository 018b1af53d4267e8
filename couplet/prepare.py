"""Clean the raw corpus and split it into train / dev / leak-free test, plus the classic evaluation set.

Outputs (``upper<TAB>lower`` per line) go to the prepared folder with a manifest of counts, the
length histogram and the sha256 of every output; the corpus store of the train split (couplet/corpus.py)
is built from them. A second run on the same inputs does nothing.
"""

from __future__ import annotations

import json
import logging
import random
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from core.download import sha256_file
from core.errors import DataError
from couplet.badwords import BadWords
from couplet.corpus import Corpus, build_corpus, distinct_chars, load_corpus
from couplet.rules import MAX_LEN
from couplet.splits import Pair

log = logging.getLogger(__name__)

PREPARE_VERSION = 1  # bump when the cleaning rules change, so old outputs are rebuilt
DEV_UPPERS = 2000
SEED = 1234


@dataclass(frozen=True)
class PrepareResult:
    manifest: dict
    skipped: bool
    corpus_built: bool
    """The corpus store was (re)built: it was missing or stale, or forced."""


def read_pairs(tar: tarfile.TarFile, split: str) -> list[Pair]:
    def lines(name: str) -> list[str]:
        try:
            f = tar.extractfile(f"couplet/{split}/{name}")
        except KeyError:  # not in the archive at all (None means present but not a regular file)
            f = None
        if f is None:
            raise DataError(f"couplet/{split}/{name} is missing from the corpus archive")
        return ["".join(line.split()) for line in f.read().decode("utf-8").splitlines()]

    uppers, lowers = lines("in.txt"), lines("out.txt")
    if len(uppers) != len(lowers):
        raise DataError(f"{split}: in.txt has {len(uppers)} lines but out.txt has {len(lowers)}")
    return list(zip(uppers, lowers, strict=True))


def drop_reason(pair: Pair, bad: BadWords) -> str | None:
    upper, lower = pair
    if "[UNK]" in upper or "[UNK]" in lower:
        return "unk"
    if not upper or not lower:
        return "empty"
    if len(upper) != len(lower):
        return "unequal_length"
    if len(upper) > MAX_LEN:
        return "too_long"
    if bad.find(upper) or bad.find(lower):
        return "bad_word"
    return None


def clean(pairs: list[Pair], bad: BadWords, desc: str) -> tuple[list[Pair], Counter]:
    """Drop bad pairs and exact duplicates (several lower lines per upper line are kept)."""
    kept, seen, dropped = [], set(), Counter()
    for pair in tqdm(pairs, desc=f"clean {desc}", unit="pair", mininterval=1.0):
        reason = drop_reason(pair, bad)
        if reason is None and pair in seen:
            reason = "duplicate"
        if reason:
            dropped[reason] += 1
            continue
        seen.add(pair)
        kept.append(pair)
    return kept, dropped


def carve_dev(train: list[Pair], n_uppers: int, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Move every pair of ``n_uppers`` random upper lines out of train, so dev uppers are unseen."""
    uppers = sorted({u for u, _ in train})
    chosen = set(random.Random(seed).sample(uppers, min(n_uppers, len(uppers))))
    return [p for p in train if p[0] not in chosen], [p for p in train if p[0] in chosen]


def novel_subset(test: list[Pair], train: Corpus) -> list[Pair]:
    """Test pairs whose upper line shares under half its distinct characters with every same-length train upper."""
    novel = []
    for pair in tqdm(test, desc="novelty", unit="pair", mininterval=1.0):
        _, shared = train.nearest(pair[0])
        if shared * 2 < len(distinct_chars(pair[0])):
            novel.append(pair)
    return novel


def read_classic(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] and len(parts[0]) == len(parts[1]):
            rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return rows


def write_tsv(path: Path, rows: list[tuple[str, ...]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def prepare(raw_dir: Path, out_dir: Path, corpus_dir: Path, force: bool = False) -> PrepareResult:
    """Write the splits to ``out_dir`` and the corpus store to ``corpus_dir``, each unless up to date."""
    inputs = {name: raw_dir / name for name in ("couplet.tar.gz", "badwords.txt", "classic.tsv")}
    for path in inputs.values():
        if not path.exists():
            raise DataError(f"{path} is missing: run `couplet data fetch` first")
    input_hashes = {name: sha256_file(p) for name, p in inputs.items()}
    manifest_path = out_dir / "manifest.json"
    if not force and _up_to_date(manifest_path, out_dir, input_hashes):
        log.info("prepared data in %s is up to date; nothing to do", out_dir)
        return PrepareResult(
            json.loads(manifest_path.read_text()),
            skipped=True,
            corpus_built=build_corpus(out_dir, corpus_dir),
        )

    bad = BadWords.load(inputs["badwords.txt"])
    try:
        with tarfile.open(inputs["couplet.tar.gz"], "r:gz") as tar:
            raw_train, raw_test = read_pairs(tar, "train"), read_pairs(tar, "test")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DataError(f"corpus archive is corrupt ({exc}): run `couplet data fetch --force`") from exc

    train_all, dropped_train = clean(raw_train, bad, "train")
    test_clean, dropped_test = clean(raw_test, bad, "test")
    train, dev = carve_dev(train_all, DEV_UPPERS, SEED)
    seen_uppers = {u for u, _ in train_all}
    test = [p for p in test_clean if p[0] not in seen_uppers]
    classic = read_classic(inputs["classic.tsv"])

    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"train": train, "dev": dev, "test": test, "classic": classic}
    for split, rows in outputs.items():
        write_tsv(out_dir / f"{split}.tsv", rows)
    # The novel subset is measured against the store of the train split just written.
    corpus_built = build_corpus(out_dir, corpus_dir, force)
    outputs["test_novel"] = novel_subset(test, load_corpus(out_dir, corpus_dir))
    write_tsv(out_dir / "test_novel.tsv", outputs["test_novel"])
    manifest = {
        "version": PREPARE_VERSION,
        "inputs_sha256": input_hashes,
        "counts": {
            "raw_train": len(raw_train),
            "raw_test": len(raw_test),
            **{split: len(rows) for split, rows in outputs.items()},
            "test_before_leak_filter": len(test_clean),
            "distinct_train_uppers": len({u for u, _ in train}),
        },
        "dropped": {"train": dict(dropped_train), "test": dict(dropped_test)},
        "train_length_histogram": dict(sorted(Counter(len(u) for u, _ in train).items())),
        "outputs_sha256": {f"{split}.tsv": sha256_file(out_dir / f"{split}.tsv") for split in outputs},
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return PrepareResult(manifest, skipped=False, corpus_built=corpus_built)


def _up_to_date(manifest_path: Path, out_dir: Path, input_hashes: dict[str, str]) -> bool:
    if not manifest_path.exists():
        return False
    old = json.loads(manifest_path.read_text())
    if old.get("version") != PREPARE_VERSION or old.get("inputs_sha256") != input_hashes:
        return False
    return all(
        (out_dir / name).exists() and sha256_file(out_dir / name) == digest
        for name, digest in old.get("outputs_sha256", {}).items()
    )
