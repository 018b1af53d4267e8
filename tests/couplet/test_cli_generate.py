"""`couplet generate` prints ranked lower lines (text or JSON) and exits 2 on bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture
def env(tiny_model_dir, tmp_path):
    shutil.copytree(tiny_model_dir, tmp_path / "models" / "generator")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    return {"COUPLET_DATA_DIR": str(tmp_path / "data"), "COUPLET_MODELS_DIR": str(tmp_path / "models")}


def test_generate_json(env):
    result = CliRunner().invoke(main, ["generate", "春来春去，花开花落", "-n", "2", "--json"], env=env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["upper"] == "春来春去，花开花落"
    assert [len(c["lower"]) for c in body["candidates"]] == [9, 9]
    assert all(c["rules"]["repeats_mirrored"]["passed"] for c in body["candidates"])


def test_generate_text_lists_rank_and_rules(env):
    result = CliRunner().invoke(main, ["generate", "天高云淡", "-n", "3"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "上联  天高云淡"
    assert [line.split(".")[0] for line in lines[1:]] == ["1", "2", "3"]


def test_generate_sampling_with_seed_is_reproducible(env):
    args = ["generate", "天高云淡", "--sample", "--seed", "3", "--json"]
    assert CliRunner().invoke(main, args, env=env).stdout == CliRunner().invoke(main, args, env=env).stdout


@pytest.mark.parametrize("upper", ["", "hello", "春" * 33, "坏词来了"])
def test_generate_bad_input_exits_2(env, upper):
    result = CliRunner().invoke(main, ["generate", upper], env=env)
    assert result.exit_code == 2
    assert result.output.startswith("error: ")


def test_generate_without_model_exits_2(env, tmp_path):
    result = CliRunner().invoke(
        main, ["generate", "天高云淡"], env={**env, "COUPLET_MODELS_DIR": str(tmp_path / "none")}
    )
    assert result.exit_code == 2
    assert "couplet train" in result.output


def test_a_known_couplet_is_labelled(env, tmp_path):
    # What the model ranks first, asked of a site without a corpus (a data folder of its own).
    shutil.copytree(tmp_path / "data", tmp_path / "bare")
    best = CliRunner().invoke(
        main,
        ["generate", "天高云淡", "-n", "1", "--json"],
        env={**env, "COUPLET_DATA_DIR": str(tmp_path / "bare")},
    )
    lower = json.loads(best.stdout)["candidates"][0]["lower"]
    prepared = tmp_path / "data" / "prepared"
    prepared.mkdir()
    # The corpus holds the very line the model ranks first: it is offered once, as the corpus's.
    (prepared / "train.tsv").write_text(f"天高云淡\t{lower}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", "天高云淡", "-n", "3"], env=env)
    assert result.exit_code == 0, result.output
    labelled = [line for line in result.stdout.splitlines()[1:] if "known couplet" in line]
    assert len(labelled) == 1
    assert lower in labelled[0] and labelled[0].endswith("[a known couplet from the corpus]")


def test_train_refuses_an_unknown_task():
    result = CliRunner().invoke(main, ["train", "--tasks", "lower,poem", "--max-steps", "0"])
    assert result.exit_code == 2
    assert "lower, upper, write" in result.output


def test_write_and_acrostic_commands(tiny_writer_dir, tmp_path):
    shutil.copytree(tiny_writer_dir, tmp_path / "models" / "generator")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    env = {"COUPLET_MODELS_DIR": str(tmp_path / "models"), "COUPLET_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    written = runner.invoke(main, ["write", "春风", "-n", "2", "--json"], env=env)
    assert written.exit_code == 0, written.output
    couplets = json.loads(written.output)["couplets"]
    assert len(couplets) == 2 and all("春风" in c["upper"] + c["lower"] for c in couplets)
    hidden = runner.invoke(main, ["acrostic", "春秋", "--length", "5", "--json"], env=env)
    assert hidden.exit_code == 0, hidden.output
    assert all(c["upper"][0] == "春" and c["lower"][0] == "秋" for c in json.loads(hidden.output)["couplets"])
    refused = runner.invoke(main, ["acrostic", "风雪", "--tail"], env=env)
    assert refused.exit_code == 2 and "仄" in refused.output
