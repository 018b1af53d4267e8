"""Fetch, prepare and evaluate end to end on a small generated mirror, through the domain functions and the CLI.

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
import shutil
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import couplet.fetch
import couplet.prepare
from app.cli import main
from core.errors import DataError
from couplet.bleu import char_bleu, references_by_upper
from couplet.charindex import CharIndex, distinct_chars
from couplet.evaluate import evaluate_source
from couplet.fetch import fetch_all
from couplet.prepare import prepare, read_split
from couplet.rules import RULES

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


@pytest.fixture(scope="module")
def corpus() -> FakeCorpus:
    return make_corpus()


@pytest.fixture
def mirror(tmp_path: Path, corpus: FakeCorpus, monkeypatch: pytest.MonkeyPatch) -> Mirror:
    """A fresh fake mirror, its sources.json in effect, COUPLET_DATA_DIR at tmp_path/data."""
    m = make_mirror(tmp_path / "mirror", corpus, tmp_path / "sources.json")
    use_sources(monkeypatch, m.sources_path)
    monkeypatch.setattr(couplet.prepare, "DEV_UPPERS", DEV_UPPERS)
    monkeypatch.setenv("COUPLET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COUPLET_DATA_MIRROR", raising=False)
    return m


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, corpus: FakeCorpus) -> Path:
    """Data dir with raw/ fetched from a fake mirror and prepared/ built once for the module's read-only tests."""
    root = tmp_path_factory.mktemp("prepared")
    m = make_mirror(root / "mirror", corpus, root / "sources.json")
    with pytest.MonkeyPatch.context() as mp:
        use_sources(mp, m.sources_path)
        mp.setattr(couplet.prepare, "DEV_UPPERS", DEV_UPPERS)
        fetch_all(root / "data" / "raw", m.root)
        prepare(root / "data" / "raw", root / "data" / "prepared")
    return root / "data"


def cli(args: list[str], data_dir: Path | None = None) -> Result:
    env = {"COUPLET_DATA_DIR": str(data_dir)} if data_dir is not None else {}
    return CliRunner().invoke(main, args, env=env)


def tsv(path: Path) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in path.read_text(encoding="utf-8").splitlines()]


# --- fetch -----------------------------------------------------------------------------------------


def test_fetch_copies_and_verifies(mirror: Mirror, tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    hashes = fetch_all(raw, mirror.root)
    assert set(hashes) == {"couplet.tar.gz", "badwords.txt", "classic.tsv"}
    for name, entry in mirror.sources.items():
        copied = raw / name
        assert copied.read_bytes() == (mirror.root / entry["mirror_path"]).read_bytes()
        assert hashes[name] == entry["sha256"][0] == sha256(copied.read_bytes())
    assert sorted(p.name for p in raw.iterdir()) == ["badwords.txt", "classic.tsv", "couplet.tar.gz"]


def test_fetch_keeps_verified_copies_and_replaces_bad_ones(mirror: Mirror, tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    fetch_all(raw, mirror.root)
    (raw / "badwords.txt").write_text("tampered\n", encoding="utf-8")
    kept = raw / "couplet.tar.gz"
    before = kept.stat().st_mtime_ns
    fetch_all(raw, mirror.root)
    assert kept.stat().st_mtime_ns == before
    assert (raw / "badwords.txt").read_bytes() == (mirror.root / "couplet" / "badwords.txt").read_bytes()


def test_cli_fetch_from_mirror(mirror: Mirror, tmp_path: Path) -> None:
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 0, result.output
    lines = dict(line.split("\t") for line in result.stdout.splitlines())
    assert lines == {name: e["sha256"][0] for name, e in mirror.sources.items()}
    assert (tmp_path / "data" / "raw" / "couplet.tar.gz").read_bytes() == mirror.archive.read_bytes()


def test_cli_fetch_uses_mirror_from_environment(mirror: Mirror, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["data", "fetch"],
        env={"COUPLET_DATA_DIR": str(tmp_path / "data"), "COUPLET_DATA_MIRROR": str(mirror.root)},
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "raw" / "classic.tsv").exists()


def test_cli_fetch_wrong_checksum(mirror: Mirror, tmp_path: Path) -> None:
    (mirror.root / "couplet" / "badwords.txt").write_text("妖魔\n别的\n", encoding="utf-8")
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "badwords.txt: checksum mismatch" in result.stderr
    assert mirror.sources["badwords.txt"]["sha256"][0] in result.stderr
    assert "Traceback" not in result.output
    raw = tmp_path / "data" / "raw"
    assert not (raw / "badwords.txt").exists()
    assert not list(raw.glob("*.part"))


def test_cli_fetch_missing_mirror(mirror: Mirror, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-mirror"
    result = cli(["data", "fetch", "--from", str(missing)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.stderr
    assert str(missing) in result.stderr


def test_cli_fetch_file_missing_from_mirror(mirror: Mirror, tmp_path: Path) -> None:
    (mirror.root / "couplet" / "classic" / "classic.tsv").unlink()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "classic.tsv: not found in the mirror" in result.stderr


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


def _corruptions(archive: bytes) -> dict[str, bytes]:
    return {
        "truncated": archive[: len(archive) // 2],
        "not_gzip": b"this is not a gzip file\n" * 20,
        "bad_deflate_stream": _find_corruption(archive, zlib.error),
    }


@pytest.mark.parametrize("kind", ["truncated", "not_gzip", "bad_deflate_stream"])
def test_cli_fetch_corrupt_archive_with_recorded_checksum(mirror: Mirror, tmp_path: Path, kind: str) -> None:
    # The corrupt bytes' own checksum is recorded, so only the members check can catch them.
    mirror.replace_archive(_corruptions(mirror.archive.read_bytes())[kind])
    mirror.save_sources()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "couplet.tar.gz: corrupt archive" in result.stderr
    raw = tmp_path / "data" / "raw"
    assert not (raw / "couplet.tar.gz").exists()
    assert not list(raw.glob("couplet.tar.gz*")), "a rejected archive must not be left behind"


def test_cli_fetch_archive_with_wrong_member(mirror: Mirror, tmp_path: Path) -> None:
    members = dict(mirror.members)
    members["couplet/test/out.txt"] = members["couplet/test/out.txt"].replace("春".encode(), "夏".encode())
    mirror.replace_archive(build_archive(members))
    mirror.save_sources()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "couplet/test/out.txt has sha256" in result.stderr
    assert mirror.sources["couplet.tar.gz"]["members_sha256"]["couplet/test/out.txt"] in result.stderr
    raw = tmp_path / "data" / "raw"
    assert not list(raw.glob("couplet.tar.gz*")), "a rejected archive must not be left behind"


def test_cli_fetch_archive_missing_a_member(mirror: Mirror, tmp_path: Path) -> None:
    members = {k: v for k, v in mirror.members.items() if k != "couplet/vocabs"}
    mirror.replace_archive(build_archive(members))
    mirror.save_sources()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "couplet/vocabs" in result.stderr
    assert not list((tmp_path / "data" / "raw").glob("couplet.tar.gz*"))


# --- prepare ---------------------------------------------------------------------------------------


def manifest(data_dir: Path) -> dict:
    return json.loads((data_dir / "prepared" / "manifest.json").read_text(encoding="utf-8"))


def test_prepare_counts_and_drop_reasons(prepared: Path, corpus: FakeCorpus) -> None:
    m = manifest(prepared)
    assert m["dropped"]["train"] == dict(corpus.dropped_train)
    assert m["dropped"]["test"] == dict(corpus.dropped_test)
    counts = m["counts"]
    assert counts["raw_train"] == len(corpus.train)
    assert counts["raw_test"] == len(corpus.test)
    assert (
        counts["train"] + counts["dev"]
        == len(corpus.clean_train)
        == len(corpus.train) - sum(corpus.dropped_train.values())
    )
    assert counts["test_before_leak_filter"] == len(corpus.test) - sum(corpus.dropped_test.values())
    assert counts["test"] == len(corpus.clean_test)
    assert counts["classic"] == corpus.classic_kept
    for split in ("train", "dev", "test", "test_novel", "classic"):
        assert counts[split] == len(tsv(prepared / "prepared" / f"{split}.tsv")), split


def test_prepare_keeps_exactly_the_clean_pairs(prepared: Path, corpus: FakeCorpus) -> None:
    out = prepared / "prepared"
    train, dev = read_split(out, "train"), read_split(out, "dev")
    assert sorted(train + dev) == sorted(corpus.clean_train)
    assert len(set(train + dev)) == len(train + dev)  # duplicates removed
    for upper, lower in train + dev:
        assert UNK not in upper + lower
        assert len(upper) == len(lower) <= 32
        assert not any(w in upper + lower for w in BAD_WORDS)
    assert sorted(read_split(out, "test")) == sorted(corpus.clean_test)


def test_prepare_keeps_several_lowers_per_upper(prepared: Path, corpus: FakeCorpus) -> None:
    out = prepared / "prepared"
    refs = references_by_upper(read_split(out, "train") + read_split(out, "dev"))
    assert corpus.multi_lower
    for upper, lowers in corpus.multi_lower.items():
        assert set(refs[upper]) == lowers
    test_refs = references_by_upper(read_split(out, "test"))
    assert max(len(v) for v in test_refs.values()) == 2


def test_prepare_dev_uppers_are_unseen_in_train(prepared: Path) -> None:
    out = prepared / "prepared"
    train_uppers = {u for u, _ in read_split(out, "train")}
    dev_uppers = {u for u, _ in read_split(out, "dev")}
    assert len(dev_uppers) == DEV_UPPERS
    assert not dev_uppers & train_uppers
    assert manifest(prepared)["counts"]["distinct_train_uppers"] == len(train_uppers)


def test_prepare_test_split_is_leak_free(prepared: Path, corpus: FakeCorpus) -> None:
    out = prepared / "prepared"
    seen = {u for u, _ in read_split(out, "train") + read_split(out, "dev")}
    test_uppers = {u for u, _ in read_split(out, "test")}
    assert test_uppers
    assert not test_uppers & seen
    assert not test_uppers & corpus.leaked_uppers


def test_prepare_novel_subset(prepared: Path, corpus: FakeCorpus) -> None:
    out = prepared / "prepared"
    train_uppers = [u for u, _ in read_split(out, "train")]
    test, novel = read_split(out, "test"), read_split(out, "test_novel")
    assert set(novel) <= set(test)
    # Brute force: novel means sharing under half the distinct characters with every same-length train upper.
    expected = []
    for pair in test:
        chars = distinct_chars(pair[0])
        shared = max(
            (len(chars & distinct_chars(t)) for t in train_uppers if len(t) == len(pair[0])), default=0
        )
        if shared * 2 < len(chars):
            expected.append(pair)
    assert novel == expected
    novel_uppers = {u for u, _ in novel}
    assert corpus.novel_pool_uppers <= novel_uppers
    assert novel_uppers != {u for u, _ in test}  # the near copies of train uppers are not novel


def test_prepare_classic(prepared: Path) -> None:
    rows = tsv(prepared / "prepared" / "classic.tsv")
    assert rows == [("云", "雨", "声律启蒙"), ("晚照", "晴空", "声律启蒙"), ("春风", "秋月", "")]


def test_prepare_manifest_hashes_match_outputs(prepared: Path) -> None:
    m = manifest(prepared)
    out = prepared / "prepared"
    assert set(m["outputs_sha256"]) == {f"{s}.tsv" for s in couplet.prepare.SPLITS}
    for name, digest in m["outputs_sha256"].items():
        assert sha256((out / name).read_bytes()) == digest, name
    for name, digest in m["inputs_sha256"].items():
        assert sha256((prepared / "raw" / name).read_bytes()) == digest, name
    assert m["version"] == couplet.prepare.PREPARE_VERSION
    assert sum(m["train_length_histogram"].values()) == m["counts"]["train"]
    assert not list(out.glob("*.tmp"))


def test_prepare_second_run_is_a_no_op(mirror: Mirror, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(["data", "fetch", "--from", str(mirror.root)], data).exit_code == 0
    first = cli(["data", "prepare"], data)
    assert first.exit_code == 0, first.output
    assert "up to date" not in first.stdout
    out = data / "prepared"
    files = sorted(out.iterdir())
    mtimes = {p.name: p.stat().st_mtime_ns for p in files}

    second = cli(["data", "prepare"], data)
    assert second.exit_code == 0, second.output
    assert "is up to date (nothing to do)" in second.stdout
    assert {p.name: p.stat().st_mtime_ns for p in sorted(out.iterdir())} == mtimes
    printed = json.loads(second.stdout[second.stdout.index("{") :])
    assert printed == manifest(data)

    result = prepare(data / "raw", out)
    assert result.skipped


def test_prepare_reruns_when_an_output_changed_or_forced(mirror: Mirror, tmp_path: Path) -> None:
    raw, out = tmp_path / "data" / "raw", tmp_path / "data" / "prepared"
    fetch_all(raw, mirror.root)
    first = prepare(raw, out)
    assert not first.skipped
    (out / "dev.tsv").write_text("tampered\ttampered\n", encoding="utf-8")
    again = prepare(raw, out)
    assert not again.skipped
    assert again.manifest == first.manifest
    assert prepare(raw, out, force=True).skipped is False


def test_cli_prepare_without_fetch(mirror: Mirror, tmp_path: Path) -> None:
    result = cli(["data", "prepare"], tmp_path / "data")
    assert result.exit_code == 2
    assert "couplet data fetch" in result.stderr


@pytest.mark.parametrize("kind", ["truncated", "not_gzip", "bad_deflate_stream"])
def test_cli_prepare_corrupt_archive(mirror: Mirror, tmp_path: Path, kind: str) -> None:
    # Without members to check, fetch accepts the recorded bytes; prepare must still refuse cleanly.
    mirror.replace_archive(_corruptions(mirror.archive.read_bytes())[kind], members_sha256={})
    mirror.save_sources()
    data = tmp_path / "data"
    assert cli(["data", "fetch", "--from", str(mirror.root)], data).exit_code == 0
    result = cli(["data", "prepare"], data)
    assert result.exit_code == 2, result.output
    assert "corpus archive is corrupt" in result.stderr
    assert not (data / "prepared" / "manifest.json").exists()


def test_cli_prepare_archive_missing_a_split_file(mirror: Mirror, tmp_path: Path) -> None:
    members = {k: v for k, v in mirror.members.items() if k != "couplet/train/out.txt"}
    mirror.replace_archive(build_archive(members))
    mirror.save_sources()
    data = tmp_path / "data"
    assert cli(["data", "fetch", "--from", str(mirror.root)], data).exit_code == 0
    result = cli(["data", "prepare"], data)
    assert result.exit_code == 2, result.output
    assert "couplet/train/out.txt is missing from the corpus archive" in result.stderr


def test_cli_prepare_mismatched_line_counts(mirror: Mirror, tmp_path: Path) -> None:
    members = dict(mirror.members)
    members["couplet/train/out.txt"] += "春 风\n".encode()
    mirror.replace_archive(build_archive(members))
    mirror.save_sources()
    data = tmp_path / "data"
    assert cli(["data", "fetch", "--from", str(mirror.root)], data).exit_code == 0
    result = cli(["data", "prepare"], data)
    assert result.exit_code == 2, result.output
    assert "train: in.txt has" in result.stderr


# --- evaluate --------------------------------------------------------------------------------------

REPORT_KEYS = {"bleu", "bleu_novel", "n", "n_novel", "rules", "split"}


@pytest.mark.parametrize("baseline", ["copy", "retrieval"])
def test_cli_evaluate_baseline_json(prepared: Path, baseline: str) -> None:
    result = cli(["evaluate", "--baseline", baseline, "--json"], prepared)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= REPORT_KEYS
    out = prepared / "prepared"
    assert report["split"] == "test"
    assert report["baseline"] == baseline
    assert report["n"] == len(references_by_upper(read_split(out, "test")))
    assert report["n_novel"] == len(references_by_upper(read_split(out, "test_novel")))
    assert set(report["rules"]) == set(RULES)
    assert 0.0 <= report["bleu"] <= 100.0 and 0.0 <= report["bleu_novel"] <= 100.0
    assert all(0.0 <= v <= 1.0 for v in report["rules"].values())
    if baseline == "copy":
        assert report["rules"]["equal_length"] == 1.0
        assert report["rules"]["no_reuse"] == 0.0
        assert report["exact"] == 0.0


def test_retrieval_baseline_answers_with_train_lowers(prepared: Path) -> None:
    out = prepared / "prepared"
    report = evaluate_source(out, "test", baseline="retrieval")
    assert report["rules"]["equal_length"] == 1.0  # same-length neighbours, or the upper itself
    assert report == evaluate_source(out, "test", baseline="retrieval")  # deterministic


def test_cli_evaluate_text_report(prepared: Path) -> None:
    result = cli(["evaluate", "--baseline", "copy"], prepared)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("split test: ")
    assert "BLEU novel" in result.stdout
    assert "exact match" in result.stdout


def test_cli_evaluate_other_splits(prepared: Path) -> None:
    for split in ("dev", "classic"):
        result = cli(["evaluate", "--baseline", "copy", "--split", split, "--json"], prepared)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["split"] == split
        assert "bleu_novel" not in report
        assert report["n"] == len(references_by_upper(read_split(prepared / "prepared", split)))


def test_cli_evaluate_references_score_100(prepared: Path, tmp_path: Path) -> None:
    refs = references_by_upper(read_split(prepared / "prepared", "test"))
    predictions = tmp_path / "predictions.tsv"
    lines = [f"{u}\t{lowers[-1]}" for u, lowers in refs.items()]
    predictions.write_text("\n".join(lines) + "\n\n", encoding="utf-8")  # a trailing blank line is fine
    result = cli(["evaluate", str(predictions), "--json"], prepared)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["bleu"] == pytest.approx(100.0)
    assert report["bleu_novel"] == pytest.approx(100.0)
    assert report["exact"] == 1.0
    assert report["exact_novel"] == 1.0
    assert "baseline" not in report


def test_cli_evaluate_malformed_predictions(prepared: Path, tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.tsv"
    predictions.write_text("春风\t秋月\n没有制表符的一行\n", encoding="utf-8")
    result = cli(["evaluate", str(predictions)], prepared)
    assert result.exit_code == 2, result.output
    assert "predictions.tsv:2: expected 'upper<TAB>lower'" in result.stderr


def test_cli_evaluate_incomplete_predictions(prepared: Path, tmp_path: Path) -> None:
    refs = references_by_upper(read_split(prepared / "prepared", "test"))
    predictions = tmp_path / "predictions.tsv"
    predictions.write_text("".join(f"{u}\t{v[0]}\n" for u, v in list(refs.items())[1:]), encoding="utf-8")
    result = cli(["evaluate", str(predictions)], prepared)
    assert result.exit_code == 2, result.output
    assert "1 upper lines of the split have no prediction" in result.stderr


def test_cli_evaluate_argument_errors(prepared: Path, tmp_path: Path) -> None:
    neither = cli(["evaluate"], prepared)
    assert neither.exit_code == 2
    assert "either a predictions file or --baseline" in neither.stderr
    missing = cli(["evaluate", str(tmp_path / "nope.tsv")], prepared)
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_cli_evaluate_without_prepared_data(tmp_path: Path) -> None:
    result = cli(["evaluate", "--baseline", "copy"], tmp_path / "empty")
    assert result.exit_code == 2
    assert "couplet data prepare" in result.stderr


# --- CharIndex -------------------------------------------------------------------------------------


def test_charindex_best_same_length_most_shared() -> None:
    index = CharIndex(["春风秋月", "春风", "海阔天空", "春花秋月", "春风秋雨冬雪"])
    assert index.best("春花秋水") == (3, 3)
    assert index.best("春风秋月") == (0, 4)
    assert index.best("春雨") == (1, 1)  # 春风 is the only two-character line
    assert index.best("春风秋月冬雪") == (4, 5)


def test_charindex_best_none_and_punctuation() -> None:
    index = CharIndex(["春风，秋月", "海阔天空"])
    assert index.best("甲乙丙丁") == (-1, 0)  # same length, nothing shared
    assert index.best("春风秋") == (-1, 0)  # no line of that length
    assert index.best("春雨，冬雪") == (0, 1)  # the comma is not a shared character
    assert index.best("，。，。，") == (-1, 0)
    assert CharIndex([]).best("春") == (-1, 0)


def test_charindex_counts_distinct_characters() -> None:
    index = CharIndex(["年年有余", "年丰有余"])
    # 年 counts once: 年年有余 shares {年, 有, 余} with both lines, and ties go to the first line.
    assert index.best("年年有余") == (0, 3)
    assert index.best("岁丰有余") == (1, 3)


# --- char_bleu -------------------------------------------------------------------------------------


def test_char_bleu_identical_is_100() -> None:
    assert char_bleu(["海阔凭鱼跃", "天高任鸟飞"], [["海阔凭鱼跃"], ["天高任鸟飞"]]) == pytest.approx(100.0)


def test_char_bleu_matches_any_reference() -> None:
    hyps = ["秋月无边照九州", "春风得意马蹄疾"]
    refs = [["夏雨连绵润万物", "秋月无边照九州"], ["春风得意马蹄疾"]]  # ragged reference lists
    assert char_bleu(hyps, refs) == pytest.approx(100.0)
    only_first = char_bleu(hyps, [[r[0]] for r in refs])
    assert only_first < 100.0
    assert char_bleu(hyps, refs) > only_first


def test_char_bleu_more_references_never_lower() -> None:
    hyps = ["春风拂柳绿千条", "明月照松间清泉"]
    one = [["春风吹柳绿万条"], ["明月松间照流水"]]
    two = [["春风吹柳绿万条", "春雨拂花红千朵"], ["明月松间照流水", "清泉石上流"]]
    assert 0.0 < char_bleu(hyps, one) <= char_bleu(hyps, two) < 100.0


def test_char_bleu_disjoint_and_empty() -> None:
    assert char_bleu(["甲乙丙丁戊"], [["春夏秋冬风"]]) == 0.0
    assert char_bleu([], []) == 0.0


# --- leftovers -------------------------------------------------------------------------------------


def test_fixture_mirror_layout_matches_real_one(mirror: Mirror) -> None:
    with tarfile.open(mirror.archive, "r:gz") as tar:
        names = set(tar.getnames())
    assert {
        "couplet/train/in.txt",
        "couplet/train/out.txt",
        "couplet/test/in.txt",
        "couplet/test/out.txt",
        "couplet/vocabs",
    } <= names
    assert (mirror.root / "couplet" / "badwords.txt").is_file()
    assert (mirror.root / "couplet" / "classic" / "classic.tsv").is_file()


def test_fetch_raises_data_error_in_process(mirror: Mirror, tmp_path: Path) -> None:
    shutil.rmtree(mirror.root / "couplet" / "classic")
    with pytest.raises(DataError, match="classic.tsv"):
        fetch_all(tmp_path / "raw", mirror.root)
