"""Checks on the real corpus (COUPLET_DATA_MIRROR): rule compliance of the references, split sizes, baselines.

Skipped with a reason when the mirror is absent. The first run fetches and prepares into
COUPLET_DATA_DIR (default <repo>/data); later runs reuse it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings
from couplet.evaluate import evaluate_source, rule_rates
from couplet.splits import SPLITS, read_split

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def manifest(prepared_real: Path) -> dict:
    return json.loads((prepared_real / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def retrieval_report(prepared_real: Path) -> dict:
    return evaluate_source(prepared_real, Settings.from_env().corpus_dir, "test", baseline="retrieval")


def test_reference_test_pairs_follow_the_rules(prepared_real: Path) -> None:
    rates = rule_rates(read_split(prepared_real, "test"))
    assert rates["equal_length"] == 1.0
    assert rates["punctuation"] == 1.0
    assert rates["no_reuse"] >= 0.999
    assert rates["repeats_mirrored"] >= 0.99
    assert rates["lower_ends_ping"] >= 0.97


def test_manifest_counts_are_plausible(manifest: dict) -> None:
    counts = manifest["counts"]
    assert counts["train"] > 690_000
    assert 2_400 <= counts["test"] <= 2_800
    assert 1_200 <= counts["test_novel"] <= 1_800
    assert counts["test_novel"] < counts["test"] <= counts["test_before_leak_filter"] <= counts["raw_test"]
    assert counts["dev"] > 0
    assert counts["classic"] > 1_000
    dropped = manifest["dropped"]["train"]
    assert counts["train"] + counts["dev"] == counts["raw_train"] - sum(dropped.values())


def test_manifest_matches_the_files(prepared_real: Path, manifest: dict) -> None:
    assert set(manifest["outputs_sha256"]) == {f"{s}.tsv" for s in SPLITS}
    for split in ("dev", "test", "test_novel", "classic"):
        assert len(read_split(prepared_real, split)) == manifest["counts"][split], split


def test_train_has_no_unk(prepared_real: Path) -> None:
    with (prepared_real / "train.tsv").open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            assert "[UNK]" not in line, f"train.tsv:{number}: {line!r}"


def test_test_and_dev_are_leak_free(prepared_real: Path) -> None:
    train_uppers = {u for u, _ in read_split(prepared_real, "train")}
    dev_uppers = {u for u, _ in read_split(prepared_real, "dev")}
    test_uppers = {u for u, _ in read_split(prepared_real, "test")}
    assert not dev_uppers & train_uppers
    assert not test_uppers & (train_uppers | dev_uppers)


def test_retrieval_baseline_bleu(retrieval_report: dict) -> None:
    assert retrieval_report["split"] == "test"
    assert 5.0 <= retrieval_report["bleu"] <= 9.0
    assert retrieval_report["bleu_novel"] < 3.0
    assert retrieval_report["n_novel"] < retrieval_report["n"]
