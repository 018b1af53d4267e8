"""What prepare writes from the fake corpus: the splits, what it drops, the manifest."""

from __future__ import annotations

from pathlib import Path

from fakemirror import BAD_WORDS, DEV_UPPERS, UNK, FakeCorpus, manifest, sha256, tsv

import couplet.prepare
from couplet.bleu import references_by_upper
from couplet.corpus import distinct_chars
from couplet.splits import SPLITS, read_split


def test_prepare_counts_and_drop_reasons(fake_data: Path, corpus: FakeCorpus) -> None:
    m = manifest(fake_data)
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
        assert counts[split] == len(tsv(fake_data / "prepared" / f"{split}.tsv")), split


def test_prepare_keeps_exactly_the_clean_pairs(fake_data: Path, corpus: FakeCorpus) -> None:
    out = fake_data / "prepared"
    train, dev = read_split(out, "train"), read_split(out, "dev")
    assert sorted(train + dev) == sorted(corpus.clean_train)
    assert len(set(train + dev)) == len(train + dev)  # duplicates removed
    for upper, lower in train + dev:
        assert UNK not in upper + lower
        assert len(upper) == len(lower) <= 32
        assert not any(w in upper + lower for w in BAD_WORDS)
    assert sorted(read_split(out, "test")) == sorted(corpus.clean_test)


def test_prepare_keeps_several_lowers_per_upper(fake_data: Path, corpus: FakeCorpus) -> None:
    out = fake_data / "prepared"
    refs = references_by_upper(read_split(out, "train") + read_split(out, "dev"))
    assert corpus.multi_lower
    for upper, lowers in corpus.multi_lower.items():
        assert set(refs[upper]) == lowers
    test_refs = references_by_upper(read_split(out, "test"))
    assert max(len(v) for v in test_refs.values()) == 2


def test_prepare_dev_uppers_are_unseen_in_train(fake_data: Path) -> None:
    out = fake_data / "prepared"
    train_uppers = {u for u, _ in read_split(out, "train")}
    dev_uppers = {u for u, _ in read_split(out, "dev")}
    assert len(dev_uppers) == DEV_UPPERS
    assert not dev_uppers & train_uppers
    assert manifest(fake_data)["counts"]["distinct_train_uppers"] == len(train_uppers)


def test_prepare_test_split_is_leak_free(fake_data: Path, corpus: FakeCorpus) -> None:
    out = fake_data / "prepared"
    seen = {u for u, _ in read_split(out, "train") + read_split(out, "dev")}
    test_uppers = {u for u, _ in read_split(out, "test")}
    assert test_uppers
    assert not test_uppers & seen
    assert not test_uppers & corpus.leaked_uppers


def test_prepare_novel_subset(fake_data: Path, corpus: FakeCorpus) -> None:
    out = fake_data / "prepared"
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


def test_prepare_classic(fake_data: Path) -> None:
    rows = tsv(fake_data / "prepared" / "classic.tsv")
    assert rows == [("云", "雨", "声律启蒙"), ("晚照", "晴空", "声律启蒙"), ("春风", "秋月", "")]


def test_prepare_manifest_hashes_match_outputs(fake_data: Path) -> None:
    m = manifest(fake_data)
    out = fake_data / "prepared"
    assert set(m["outputs_sha256"]) == {f"{s}.tsv" for s in SPLITS}
    for name, digest in m["outputs_sha256"].items():
        assert sha256((out / name).read_bytes()) == digest, name
    for name, digest in m["inputs_sha256"].items():
        assert sha256((fake_data / "raw" / name).read_bytes()) == digest, name
    assert m["version"] == couplet.prepare.PREPARE_VERSION
    assert sum(m["train_length_histogram"].values()) == m["counts"]["train"]
    assert not list(out.glob("*.tmp"))
