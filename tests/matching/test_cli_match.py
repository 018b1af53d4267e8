"""`couplet match`, `couplet index build` and `couplet matcher train` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture
def run(monkeypatch):
    def invoke(settings, *args):
        monkeypatch.setenv("COUPLET_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("COUPLET_MODELS_DIR", str(settings.models_dir))
        return CliRunner().invoke(main, list(args))

    return invoke


def test_match_prints_ranked_lines_and_json(run, indexed_site):
    result = run(indexed_site, "match", "山", "月:0.4", "-k", "2", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert [line[:3] for line in result.stdout.splitlines()] == ["1. ", "2. "]
    result = run(indexed_site, "match", "山", "--json", "--seed", "1")
    assert len(json.loads(result.stdout)["matches"]) == 3


@pytest.mark.parametrize("args", [["mountain"], ["山:high"], ["山:2"], ["山", "-k", "0"]])
def test_bad_tags_exit_with_code_2(run, indexed_site, args):
    result = run(indexed_site, "match", *args)
    assert result.exit_code == 2 and "error:" in result.output


def test_index_build_is_a_no_op_when_up_to_date(run, copy_of_indexed):
    result = run(copy_of_indexed, "index", "build", "--m", "16")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    result = run(copy_of_indexed, "index", "build", "--m", "16", "--force")
    assert result.exit_code == 0 and json.loads(result.stdout.splitlines()[-1])["lines"] > 300


def test_matcher_train_runs_exports_and_resumes(run, keyword_site, tmp_path):
    out = tmp_path / "checkpoints"
    args = [
        "matcher",
        "train",
        "--out",
        str(out),
        "--limit",
        "200",
        "--batch-size",
        "16",
        "--layers",
        "1",
        "--hidden",
        "32",
        "--heads",
        "2",
        "--save-steps",
        "2",
    ]
    result = run(keyword_site, *args, "--max-steps", "2")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["steps"] == 2 and not summary["resumed"]
    assert (keyword_site.matcher_dir / "model.safetensors").exists()
    result = run(keyword_site, *args, "--max-steps", "4", "--resume")
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["steps"] == 4 and summary["resumed"]
    # The exported encoder serves the matcher once an index is built.
    assert run(keyword_site, "index", "build", "--m", "8").exit_code == 0
    assert "(encoder)" in run(keyword_site, "match", "山").stdout
