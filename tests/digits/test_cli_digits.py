"""``couplet digits predict`` and ``calc`` through click, with random weights in a temporary models dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from handwriting import digit_image, draw_strokes, expression_strokes
from PIL import Image

from app.cli import main


def environment(monkeypatch, models: Path, tmp_path: Path) -> Path:
    """The CLI reads these models and keeps its data in tmp_path; returns tmp_path for the test's files."""
    monkeypatch.setenv("COUPLET_MODELS_DIR", str(models))
    monkeypatch.setenv("COUPLET_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def env(random_models, tmp_path, monkeypatch):
    return environment(monkeypatch, random_models, tmp_path)


@pytest.fixture
def shipped_env(shipped_models, tmp_path, monkeypatch):
    """With the trained weights, for tests that need to know what is read."""
    return environment(monkeypatch, shipped_models, tmp_path)


def test_predict_prints_json(env):
    digit_image("8").save(env / "eight.png")
    result = CliRunner().invoke(main, ["digits", "predict", str(env / "eight.png"), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"digit", "confidence", "probabilities", "inverted", "reason"}


def test_predict_text_output(shipped_env):
    digit_image("8").save(shipped_env / "eight.jpg")
    result = CliRunner().invoke(main, ["digits", "predict", str(shipped_env / "eight.jpg"), "--model", "fc"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("8  (confidence 0.")


def test_predict_text_output_of_a_blank_image(env):
    Image.new("L", (64, 64), 255).save(env / "blank.png")
    result = CliRunner().invoke(main, ["digits", "predict", str(env / "blank.png")])
    assert result.exit_code == 0 and result.output.startswith("not a digit (blank image; best guess ")


def test_predict_bad_image_exits_2(env):
    (env / "x.png").write_bytes(b"nope")
    result = CliRunner().invoke(main, ["digits", "predict", str(env / "x.png")])
    assert result.exit_code == 2 and "not a readable image" in result.output


def test_calc_from_strokes_and_image(shipped_env):
    (shipped_env / "e.json").write_text(json.dumps({"strokes": expression_strokes("7×8")}))
    draw_strokes(expression_strokes("7×8")).save(shipped_env / "e.png")
    for source in ("e.json", "e.png"):
        result = CliRunner().invoke(main, ["digits", "calc", str(shipped_env / source), "--json"])
        assert result.exit_code == 0, result.output
        body = json.loads(result.output)
        assert set(body) == {"expression", "value", "decimal", "symbols"}
        assert (body["expression"], body["value"]) == ("7×8", "56")


def test_calc_error_says_what_was_read(shipped_env):
    (shipped_env / "e.json").write_text(json.dumps({"strokes": expression_strokes("5÷0")}))
    result = CliRunner().invoke(main, ["digits", "calc", str(shipped_env / "e.json")])
    assert result.exit_code == 2 and "division by zero at position 2 (read: 5÷0)" in result.output


def test_calc_rejects_bad_json(env):
    (env / "bad.json").write_text("{")
    result = CliRunner().invoke(main, ["digits", "calc", str(env / "bad.json")])
    assert result.exit_code == 2 and "not a JSON file" in result.output
    (env / "few.json").write_text(json.dumps({"strokes": []}))
    result = CliRunner().invoke(main, ["digits", "calc", str(env / "few.json")])
    assert result.exit_code == 2 and "no strokes" in result.output


def test_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("COUPLET_MODELS_DIR", str(tmp_path / "none"))
    digit_image("1").save(tmp_path / "one.png")
    result = CliRunner().invoke(main, ["digits", "predict", str(tmp_path / "one.png")])
    assert result.exit_code == 2 and "couplet digits train --model cnn" in result.output
