"""Evaluating predictions and baselines on the prepared fake corpus through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakemirror import cli

from couplet.bleu import references_by_upper
from couplet.evaluate import evaluate_source
from couplet.rules import RULES
from couplet.splits import read_split

REPORT_KEYS = {"bleu", "bleu_novel", "n", "n_novel", "rules", "split"}


@pytest.mark.parametrize("baseline", ["copy", "retrieval"])
def test_cli_evaluate_baseline_json(fake_data: Path, baseline: str) -> None:
    result = cli(["evaluate", "--baseline", baseline, "--json"], fake_data)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= REPORT_KEYS
    out = fake_data / "prepared"
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


def test_retrieval_baseline_answers_with_train_lowers(fake_data: Path) -> None:
    out = fake_data / "prepared"
    report = evaluate_source(out, fake_data / "corpus", "test", baseline="retrieval")
    assert report["rules"]["equal_length"] == 1.0  # same-length neighbours, or the upper itself
    assert report == evaluate_source(out, fake_data / "corpus", "test", baseline="retrieval")  # deterministic


def test_cli_evaluate_text_report(fake_data: Path) -> None:
    result = cli(["evaluate", "--baseline", "copy"], fake_data)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("split test: ")
    assert "BLEU novel" in result.stdout
    assert "exact match" in result.stdout


def test_cli_evaluate_other_splits(fake_data: Path) -> None:
    for split in ("dev", "classic"):
        result = cli(["evaluate", "--baseline", "copy", "--split", split, "--json"], fake_data)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["split"] == split
        assert "bleu_novel" not in report
        assert report["n"] == len(references_by_upper(read_split(fake_data / "prepared", split)))


def test_cli_evaluate_references_score_100(fake_data: Path, tmp_path: Path) -> None:
    refs = references_by_upper(read_split(fake_data / "prepared", "test"))
    predictions = tmp_path / "predictions.tsv"
    lines = [f"{u}\t{lowers[-1]}" for u, lowers in refs.items()]
    predictions.write_text("\n".join(lines) + "\n\n", encoding="utf-8")  # a trailing blank line is fine
    result = cli(["evaluate", str(predictions), "--json"], fake_data)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["bleu"] == pytest.approx(100.0)
    assert report["bleu_novel"] == pytest.approx(100.0)
    assert report["exact"] == 1.0
    assert report["exact_novel"] == 1.0
    assert "baseline" not in report


def test_cli_evaluate_malformed_predictions(fake_data: Path, tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.tsv"
    predictions.write_text("春风\t秋月\n没有制表符的一行\n", encoding="utf-8")
    result = cli(["evaluate", str(predictions)], fake_data)
    assert result.exit_code == 2, result.output
    assert "predictions.tsv:2: expected 'upper<TAB>lower'" in result.stderr


def test_cli_evaluate_incomplete_predictions(fake_data: Path, tmp_path: Path) -> None:
    refs = references_by_upper(read_split(fake_data / "prepared", "test"))
    predictions = tmp_path / "predictions.tsv"
    predictions.write_text("".join(f"{u}\t{v[0]}\n" for u, v in list(refs.items())[1:]), encoding="utf-8")
    result = cli(["evaluate", str(predictions)], fake_data)
    assert result.exit_code == 2, result.output
    assert "1 upper lines of the split have no prediction" in result.stderr


def test_cli_evaluate_argument_errors(fake_data: Path, tmp_path: Path) -> None:
    neither = cli(["evaluate"], fake_data)
    assert neither.exit_code == 2
    assert "either a predictions file or --baseline" in neither.stderr
    missing = cli(["evaluate", str(tmp_path / "nope.tsv")], fake_data)
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_cli_evaluate_without_prepared_data(tmp_path: Path) -> None:
    result = cli(["evaluate", "--baseline", "copy"], tmp_path / "empty")
    assert result.exit_code == 2
    assert "couplet data prepare" in result.stderr
