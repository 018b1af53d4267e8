"""A small generated couplet corpus in a mirror with the real one's layout, and helpers for the tests
of the data pipeline (fetch, prepare, evaluate).

The fake mirror has the real mirror's layout (couplet/couplet.tar.gz, couplet/badwords.txt,
couplet/classic/classic.tsv) and a sources.json of its own checksums.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import couplet.fetch
from app.cli import main

POOL = "春夏秋冬风花雪月山水江河湖海天地日星云雨松竹梅兰菊桃柳燕莺鹤龙虎马牛羊鱼鸟金木火土石玉诗书琴画酒茶心意情思梦乡家国城门"
NOVEL_POOL = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
BAD_WORDS = ("妖魔", "鬼怪", "屎")
DEV_UPPERS = 20
UNK = "[UNK]"

# --- the fake corpus -------------------------------------------------------------------------------


@dataclass
class FakeCorpus:
    train: list[tuple[str, str]] = field(default_factory=list)
    test: list[tuple[str, str]] = field(default_factory=list)
    dropped_train: Counter = field(default_factory=Counter)
    dropped_test: Counter = field(default_factory=Counter)
    clean_train: list[tuple[str, str]] = field(default_factory=list)  # distinct pairs that survive cleaning
    clean_test: list[tuple[str, str]] = field(default_factory=list)
    leaked_uppers: set[str] = field(default_factory=set)
    novel_pool_uppers: set[str] = field(default_factory=set)
    multi_lower: dict[str, set[str]] = field(default_factory=dict)
    classic_kept: int = 0


def _line(rng: random.Random, n: int, pool: str = POOL) -> str:
    return "".join(rng.choice(pool) for _ in range(n))


def _with_comma(rng: random.Random, half: int, mark: str = "，") -> str:
    return _line(rng, half) + mark + _line(rng, half)


def make_corpus(seed: int = 7) -> FakeCorpus:
    rng = random.Random(seed)
    c = FakeCorpus()

    # Clean train pairs: distinct uppers, the first 30 with two or three lower lines each.
    uppers: list[str] = []
    seen: set[str] = set()
    while len(uppers) < 240:
        kind = rng.choice(["5", "7", "7", "comma"])
        u = _with_comma(rng, 4) if kind == "comma" else _line(rng, int(kind))
        if u not in seen:
            seen.add(u)
            uppers.append(u)
    for k, u in enumerate(uppers):
        n_lowers = 1 + (k < 30) + (k < 10)
        lowers: set[str] = set()
        while len(lowers) < n_lowers:
            lowers.add(_line(rng, 4) + "；" + _line(rng, 4) if "，" in u else _line(rng, len(u)))
        for lower in sorted(lowers):
            c.clean_train.append((u, lower))
        if n_lowers > 1:
            c.multi_lower[u] = lowers

    bad_train: list[tuple[str, str]] = []
    for _ in range(6):  # [UNK] in either line
        u, lower = _line(rng, 5), _line(rng, 5)
        bad_train.append((u[:2] + UNK + u[3:], lower) if rng.random() < 0.5 else (u, lower[:4] + UNK))
        c.dropped_train["unk"] += 1
    for _ in range(4):
        bad_train.append((_line(rng, 7), _line(rng, 6)))
        c.dropped_train["unequal_length"] += 1
    for _ in range(2):
        bad_train.append((_line(rng, 33), _line(rng, 33)))
        c.dropped_train["too_long"] += 1
    bad_train.append(("", ""))
    c.dropped_train["empty"] += 1
    bad_train += [
        ("山中" + "妖魔" + "出没", _line(rng, 6)),
        (_line(rng, 4), "除尽鬼怪"),
        ("春风" + "屎" + "雨", _line(rng, 4)),
    ]
    c.dropped_train["bad_word"] += 3
    duplicates = rng.sample(c.clean_train, 5)
    c.dropped_train["duplicate"] += 5
    c.train = c.clean_train + bad_train + duplicates
    rng.shuffle(c.train)
    # The first copy of a duplicated pair is the one kept; order of the clean list as the file has it.
    kept_order, kept, clean = [], set(), set(c.clean_train)
    for pair in c.train:
        if pair in clean and pair not in kept:
            kept.add(pair)
            kept_order.append(pair)
    c.clean_train = kept_order

    # Test pairs: uppers seen in train (leaks), fresh uppers near or far from train ones, novel ones.
    train_uppers = [u for u, _ in c.clean_train]
    all_train_uppers = set(train_uppers)
    for u in rng.sample(sorted(all_train_uppers), 12):
        c.test.append((u, _line(rng, len(u))))
        c.leaked_uppers.add(u)
    fresh: list[str] = []
    while len(fresh) < 15:  # one character away from a train upper
        base = rng.choice(train_uppers)
        i = rng.randrange(len(base))
        if base[i] == "，":
            continue
        u = base[:i] + rng.choice(POOL) + base[i + 1 :]
        if u not in all_train_uppers and u not in fresh:
            fresh.append(u)
    while len(fresh) < 30:
        u = _line(rng, rng.choice([5, 7]))
        if u not in all_train_uppers and u not in fresh:
            fresh.append(u)
    for u in fresh:
        c.test.append((u, _line(rng, len(u))))
    while len(c.novel_pool_uppers) < 10:
        c.novel_pool_uppers.add(_line(rng, 7, NOVEL_POOL))
    for u in sorted(c.novel_pool_uppers):
        c.test.append((u, _line(rng, 7, NOVEL_POOL)))
    c.test.append((fresh[0], _line(rng, len(fresh[0]))))  # a second reference for one test upper
    c.clean_test = [p for p in c.test if p[0] not in c.leaked_uppers]
    c.test.append(c.test[-2])
    c.dropped_test["duplicate"] += 1
    c.test += [("妖魔" + _line(rng, 3), _line(rng, 5)), (_line(rng, 5), UNK + _line(rng, 4))]
    c.dropped_test.update({"bad_word": 1, "unk": 1})

    c.classic_kept = 3
    return c


def _spaced(line: str) -> str:
    """The corpus's format: one token per character, [UNK] as one token, separated by spaces."""
    return " ".join(re.findall(r"\[UNK\]|.", line))


def _split_files(pairs: list[tuple[str, str]]) -> tuple[bytes, bytes]:
    ins = "".join(_spaced(u) + "\n" for u, _ in pairs)
    outs = "".join(_spaced(lower) + "\n" for _, lower in pairs)
    return ins.encode("utf-8"), outs.encode("utf-8")


def build_archive(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for directory in ("couplet", "couplet/train", "couplet/test"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def corpus_members(c: FakeCorpus) -> dict[str, bytes]:
    train_in, train_out = _split_files(c.train)
    test_in, test_out = _split_files(c.test)
    vocabs = "\n".join(["<EOS>", "</EOS>", "。", "，", *sorted(set(POOL + NOVEL_POOL))]) + "\n"
    return {
        "couplet/test/in.txt": test_in,
        "couplet/test/out.txt": test_out,
        "couplet/train/in.txt": train_in,
        "couplet/train/out.txt": train_out,
        "couplet/vocabs": vocabs.encode("utf-8"),
    }


CLASSIC_TSV = "云\t雨\t声律启蒙\n晚照\t晴空\t声律启蒙\n春风\t秋月\n山高\t水\t笠翁对韵\n\n\t\t训蒙骈句\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the mirror ------------------------------------------------------------------------------------


@dataclass
class Mirror:
    root: Path
    corpus: FakeCorpus
    members: dict[str, bytes]
    sources: dict
    sources_path: Path

    @property
    def archive(self) -> Path:
        return self.root / "couplet" / "couplet.tar.gz"

    def save_sources(self) -> Path:
        """Write sources.json; the patched load_sources reads it on every call."""
        self.sources_path.write_text(json.dumps(self.sources, ensure_ascii=False, indent=2), encoding="utf-8")
        return self.sources_path

    def replace_archive(self, data: bytes, members_sha256: dict[str, str] | None = None) -> None:
        """Put ``data`` in the mirror and record its checksum, as if it were the genuine build."""
        self.archive.write_bytes(data)
        entry = self.sources["couplet.tar.gz"]
        entry["sha256"] = [sha256(data)]
        if members_sha256 is not None:
            entry["members_sha256"] = members_sha256


def make_mirror(root: Path, corpus: FakeCorpus, sources_path: Path) -> Mirror:
    members = corpus_members(corpus)
    archive = build_archive(members)
    badwords = ("\n".join(BAD_WORDS) + "\n\n").encode("utf-8")
    classic = CLASSIC_TSV.encode("utf-8")
    (root / "couplet" / "classic").mkdir(parents=True)
    (root / "couplet" / "couplet.tar.gz").write_bytes(archive)
    (root / "couplet" / "badwords.txt").write_bytes(badwords)
    (root / "couplet" / "classic" / "classic.tsv").write_bytes(classic)
    shared = ("couplet/test/in.txt", "couplet/test/out.txt", "couplet/vocabs")
    sources = {
        "couplet.tar.gz": {
            "url": "https://invalid.example/couplet.tar.gz",
            "mirror_path": "couplet/couplet.tar.gz",
            "sha256": [sha256(archive)],
            "members_sha256": {name: sha256(members[name]) for name in shared},
        },
        "badwords.txt": {
            "url": "https://invalid.example/badwords.txt",
            "mirror_path": "couplet/badwords.txt",
            "sha256": [sha256(badwords)],
        },
        "classic.tsv": {
            "url": "https://invalid.example/classic.zip",
            "mirror_path": "couplet/classic/classic.tsv",
            "sha256": [sha256(classic)],
        },
    }
    mirror = Mirror(root, corpus, members, sources, sources_path)
    mirror.save_sources()
    return mirror


def use_sources(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(couplet.fetch, "SOURCES_FILE", path)


# --- corrupt archives ------------------------------------------------------------------------------


def _find_corruption(archive: bytes, error: type[BaseException]) -> bytes:
    """``archive`` with a few bytes flipped at the first offset where reading the members raises ``error``."""
    for offset in range(64, len(archive) - 16, 7):
        data = bytearray(archive)
        for k in range(offset, offset + 4):
            data[k] ^= 0x5A
        try:
            with tarfile.open(fileobj=io.BytesIO(bytes(data)), mode="r:gz") as tar:
                for member in tar.getmembers():
                    if member.isfile():
                        tar.extractfile(member).read()
        except error:
            return bytes(data)
        except Exception:
            continue
    raise AssertionError(f"no corruption of the fixture archive raises {error.__name__}")


def corruptions(archive: bytes) -> dict[str, bytes]:
    return {
        "truncated": archive[: len(archive) // 2],
        "not_gzip": b"this is not a gzip file\n" * 20,
        "bad_deflate_stream": _find_corruption(archive, zlib.error),
    }


# --- running the CLI, reading what it wrote --------------------------------------------------------


def cli(args: list[str], data_dir: Path | None = None) -> Result:
    env = {"COUPLET_DATA_DIR": str(data_dir)} if data_dir is not None else {}
    return CliRunner().invoke(main, args, env=env)


def tsv(path: Path) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in path.read_text(encoding="utf-8").splitlines()]


def manifest(data_dir: Path) -> dict:
    return json.loads((data_dir / "prepared" / "manifest.json").read_text(encoding="utf-8"))
