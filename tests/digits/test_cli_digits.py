"""``couplet digits predict`` and ``calc`` through click, with random weights in a temporary models dir."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from handwriting import digit_image, draw_strokes, expression_strokes

from app.cli import main


@pytest.fixture
def env(random_models, tmp_path, monkeypatch):
    monkeypatch.setenv("COUPLET_MODELS_DIR", str(random_models))
    monkeypatch.setenv("COUPLET_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_predict_prints_json(env):
    digit_image("8").save(env / "eight.png")
    result = CliRunner().invoke(main, ["digits", "predict", str(env / "eight.png"), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"digit", "confidence", "probabilities", "inverted", "reason"}


def test_predict_text_output(env):
    digit_image("8").save(env / "eight.jpg")
    result = CliRunner().invoke(main, ["digits", "predict", str(env / "eight.jpg"), "--model", "fc"])
    assert result.exit_code == 0 and ("confidence" in result.output or "not a digit" in result.output)


def test_predict_bad_image_exits_2(env):
    (env / "x.png").write_bytes(b"nope")
    result = CliRunner().invoke(main, ["digits", "predict", str(env / "x.png")])
    assert result.exit_code == 2 and "not a readable image" in result.output


def test_calc_from_strokes_and_image(env):
    (env / "e.json").write_text(json.dumps({"strokes": expression_strokes("7×8")}))
    draw_strokes(expression_strokes("7×8")).save(env / "e.png")
    for source in ("e.json", "e.png"):
        result = CliRunner().invoke(main, ["digits", "calc", str(env / source), "--json"])
        # random weights: a reading that parses, or a clear error with what was read
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 0:
            assert set(json.loads(result.output)) == {"expression", "value", "decimal", "symbols"}
        else:
            assert "(read: " in result.output


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
