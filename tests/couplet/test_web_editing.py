"""POST /api/couplet/refill, /api/couplet/alternatives and /api/couplet/upper through a Flask test client."""

from __future__ import annotations

import pytest
from sites import site_client, site_settings

from couplet.rules import broken_hard_rules


@pytest.fixture(scope="module")
def client(tiny_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    return site_client(site_settings(tiny_model_dir, root, badwords="坏词\n烟\n秋霜\n"))


def assert_error(response, code: str, *words: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code, body
    for word in words:
        assert word in body["message"], body


def test_refill_keeps_the_characters(client):
    response = client.post(
        "/api/couplet/refill", json={"upper": "春来春去,花开花落", "pattern": "?往??？草?草?", "n": 3}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["upper"] == "春来春去，花开花落"
    assert len(body["candidates"]) == 3
    for c in body["candidates"]:
        assert c["lower"][1] == "往" and c["lower"][5] == c["lower"][7] == "草" and c["lower"][4] == "，"
        assert broken_hard_rules(body["upper"], c["lower"]) == {}
        assert "烟" not in c["lower"] and "秋霜" not in c["lower"]


def test_refill_with_a_seed_repeats(client):
    request = {"upper": "春风化雨", "pattern": "?月??", "sample": True, "seed": 4}
    first = client.post("/api/couplet/refill", json=request).get_json()
    assert first == client.post("/api/couplet/refill", json=request).get_json()
    assert all(c["lower"][1] == "月" for c in first["candidates"])


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({"upper": "春风化雨", "pattern": "秋?风?"}, "no_reuse", ["'风'", "position 3"]),
        ({"upper": "春来春去", "pattern": "秋?冬?"}, "repeats_mirrored", ["positions 1 and 3"]),
        ({"upper": "春风化雨", "pattern": "秋?秋?"}, "repeats_mirrored", ["positions 1 and 3"]),
        ({"upper": "春风，化雨", "pattern": "秋?月??"}, "punctuation", ["position 3"]),
        ({"upper": "春风化雨", "pattern": "???"}, "equal_length", []),
        ({"upper": "春风化雨", "pattern": "秋x??"}, "not_chinese", ["position 2"]),
        ({"upper": "春风化雨", "pattern": "?烟??"}, "bad_word", ["烟"]),
        ({"upper": "这是坏词啊", "pattern": "?????"}, "bad_word", ["upper line"]),
        ({"upper": "", "pattern": "?"}, "empty", []),
        ({"upper": "春风化雨"}, "missing_field", ["pattern"]),
        ({"upper": "春风化雨", "pattern": "????", "n": 0}, "invalid_field", ["n"]),
    ],
)
def test_bad_refill_requests_are_400_naming_the_rule(client, payload, code, words):
    assert_error(client.post("/api/couplet/refill", json=payload), code, *words)


def test_alternatives_differ_only_at_the_position(client):
    request = {"upper": "春风化雨", "lower": "秋月成霞", "position": 2, "k": 5}
    response = client.post("/api/couplet/alternatives", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["upper"], body["lower"], body["position"]) == ("春风化雨", "秋月成霞", 2)
    assert 1 <= len(body["alternatives"]) <= 5
    for a in body["alternatives"]:
        assert a["lower"] == "秋" + a["char"] + "成霞" and a["char"] != "月"
        assert broken_hard_rules("春风化雨", a["lower"]) == {}
        assert set(a) >= {"char", "char_logprob", "lower", "score", "model_score", "rules"}


def test_alternatives_change_a_repeat_with_its_position(client):
    body = client.post(
        "/api/couplet/alternatives", json={"upper": "春来春去", "lower": "秋往秋归", "position": 3}
    ).get_json()
    assert body["alternatives"]
    for a in body["alternatives"]:
        assert a["lower"] == a["char"] + "往" + a["char"] + "归"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"upper": "春风化雨", "lower": "秋月成霞", "position": 5}, "bad_position"),
        ({"upper": "春风，雨", "lower": "秋月，霞", "position": 3}, "punctuation"),
        ({"upper": "春风化雨", "lower": "秋月风霞", "position": 1}, "no_reuse"),
        ({"upper": "春风化雨", "lower": "秋月成", "position": 1}, "equal_length"),
        ({"upper": "春风化雨", "lower": "秋月秋霞", "position": 2}, "repeats_mirrored"),
        ({"upper": "春风化雨", "lower": "秋月ab", "position": 1}, "not_chinese"),
        ({"upper": "春风化雨", "lower": "秋月成霞", "position": 0}, "invalid_field"),
        ({"upper": "春风化雨", "lower": "秋月成霞", "position": 2, "k": 21}, "invalid_field"),
        ({"upper": "春风化雨", "lower": "秋月成霞"}, "missing_field"),
    ],
)
def test_bad_alternatives_requests_are_400(client, payload, code):
    assert_error(client.post("/api/couplet/alternatives", json=payload), code)


def test_alternatives_may_replace_a_blocked_character_at_the_position(client):
    request = {"upper": "春风化雨", "lower": "秋烟成霞", "position": 2}
    response = client.post("/api/couplet/alternatives", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert all("烟" not in a["lower"] for a in response.get_json()["alternatives"])


def test_upper_lines_for_a_lower_line_pass_the_hard_rules(client):
    response = client.post("/api/couplet/upper", json={"lower": "秋去秋来,草长草飞", "n": 3})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["lower"] == "秋去秋来，草长草飞"
    assert len(body["candidates"]) == 3
    for c in body["candidates"]:
        assert broken_hard_rules(c["upper"], body["lower"]) == {}
        assert "upper_ends_ze" in c["rules"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"lower": ""}, "empty"),
        ({"lower": "坏词来了"}, "bad_word"),
        ({"lower": "spring"}, "not_chinese"),
        ({}, "missing_field"),
    ],
)
def test_bad_upper_requests_are_400(client, payload, code):
    assert_error(client.post("/api/couplet/upper", json=payload), code)


def test_the_editing_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"/api/couplet/refill", "/api/couplet/alternatives", "/api/couplet/upper"} <= set(paths)
