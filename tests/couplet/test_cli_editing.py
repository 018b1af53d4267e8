"""`couplet refill`, `couplet alternatives` and `couplet upper`: text or JSON; exit code 2 on bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from app.cli import main
from couplet.rules import broken_hard_rules


@pytest.fixture
def env(tiny_model_dir, tmp_path):
    shutil.copytree(tiny_model_dir, tmp_path / "models" / "generator")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    return {"COUPLET_DATA_DIR": str(tmp_path / "data"), "COUPLET_MODELS_DIR": str(tmp_path / "models")}


def run(env, *args: str):
    return CliRunner().invoke(main, list(args), env=env)


def test_refill_json_keeps_the_characters(env):
    result = run(env, "refill", "春来春去，花开花落", "?往??，草?草?", "-n", "2", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert len(body["candidates"]) == 2
    for c in body["candidates"]:
        assert c["lower"][1] == "往" and c["lower"][5] == c["lower"][7] == "草"
        assert broken_hard_rules(body["upper"], c["lower"]) == {}


def test_refill_text_lists_rank_and_rules(env):
    result = run(env, "refill", "天高云淡", "?月??", "-n", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "上联  天高云淡"
    assert [line.split(".")[0] for line in lines[1:]] == ["1", "2", "3"]


def test_alternatives_text_names_the_position(env):
    result = run(env, "alternatives", "春风化雨", "秋月成霞", "--position", "2", "-k", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["上联  春风化雨", "下联  秋月成霞   position 2 (月)"]
    assert 1 <= len(lines[2:]) <= 3


def test_alternatives_json(env):
    result = run(env, "alternatives", "春风化雨", "秋月成霞", "-p", "4", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["position"] == 4
    assert all(a["lower"] == "秋月成" + a["char"] for a in body["alternatives"])


def test_upper_json(env):
    result = run(env, "upper", "秋月成霞", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["lower"] == "秋月成霞"
    assert [broken_hard_rules(c["upper"], "秋月成霞") for c in body["candidates"]] == [{}, {}, {}]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["refill", "春风化雨", "秋?风?"], "in the upper line"),
        (["refill", "春来春去", "秋?冬?"], "positions 1 and 3"),
        (["refill", "春风化雨", "???"], "3 positions"),
        (["refill", "hello", "?????"], "not a Chinese character"),
        (["alternatives", "春风化雨", "秋月成霞", "-p", "9"], "outside the upper line"),
        (["alternatives", "春风化雨", "秋月成霞", "-p", "2", "-k", "0"], "k must be"),
        (["upper", "坏词来了"], "blocked word"),
        (["upper", "-n", "11", "秋月"], "n must be"),
    ],
)
def test_bad_input_exits_2_with_the_reason(env, args, words):
    result = run(env, *args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and words in result.output
