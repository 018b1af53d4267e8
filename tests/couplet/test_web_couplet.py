"""POST /api/couplet through a real Flask test client, with a tiny model on disk."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sites import site_client, site_settings

from app.web import create_app
from core.settings import Settings


@pytest.fixture(scope="module")
def client(tiny_model_dir, tmp_path_factory):
    return site_client(site_settings(tiny_model_dir, tmp_path_factory.mktemp("site")))


def test_couplet_returns_ranked_candidates(client):
    response = client.post("/api/couplet", json={"upper": "春来春去，花开花落", "n": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert body["upper"] == "春来春去，花开花落"
    assert len(body["candidates"]) == 2
    for c in body["candidates"]:
        assert len(c["lower"]) == 9 and c["lower"][4] == "，"
        assert c["rules"]["no_reuse"]["passed"] and c["rules"]["repeats_mirrored"]["passed"]
        assert "烟" not in c["lower"]


def test_each_candidate_explains_its_tones_position_by_position(client):
    body = client.post("/api/couplet", json={"upper": "春来春去，花开花落", "n": 1}).get_json()
    candidate = body["candidates"][0]
    positions = candidate["positions"]
    assert [p["upper"] for p in positions] == list(body["upper"])
    assert [p["lower"] for p in positions] == list(candidate["lower"])
    assert positions[0]["upper_tones"] == {"xinyun": "平", "pingshui": "平"}  # 春
    assert positions[4]["upper_tones"] == {"xinyun": None, "pingshui": None}  # the comma
    checked = [p["index"] for p in positions if p["checked"]]
    assert checked == [1, 3, 6, 8]  # 2nd and 4th of each clause, the last of each
    for p in positions:
        assert (p["verdicts"] is None) == (not p["checked"])
        if p["checked"]:
            assert set(p["verdicts"]) == {"xinyun", "pingshui"}
            assert all(v in ("pass", "fail", "undecided") for v in p["verdicts"].values())


def test_half_width_punctuation_is_normalised(client):
    body = client.post("/api/couplet", json={"upper": " 春来春去,花开花落 "}).get_json()
    assert body["upper"] == "春来春去，花开花落"
    assert len(body["candidates"]) == 3


def test_sampling_with_a_seed_repeats(client):
    req = {"upper": "春风化雨", "n": 3, "sample": True, "seed": 5, "temperature": 1.2}
    first = client.post("/api/couplet", json=req).get_json()
    assert first == client.post("/api/couplet", json=req).get_json()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"upper": ""}, "empty"),
        ({"upper": "春" * 33}, "too_long"),
        ({"upper": "spring wind"}, "not_chinese"),
        ({"upper": "春风😀"}, "not_chinese"),
        ({"upper": "春风\x00化雨"}, "not_chinese"),
        ({"upper": "，。"}, "no_characters"),
        ({"upper": "这是坏词啊"}, "bad_word"),
        ({}, "missing_field"),
        ({"upper": 12}, "invalid_field"),
        ({"upper": "春风", "n": 0}, "invalid_field"),
        ({"upper": "春风", "n": 11}, "invalid_field"),
        ({"upper": "春风", "n": "3"}, "invalid_field"),
        ({"upper": "春风", "sample": "yes"}, "invalid_field"),
        ({"upper": "春风", "temperature": 9}, "invalid_field"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, payload, code):
    response = client.post("/api/couplet", json=payload)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == code
    assert body["message"]


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '{"upper": '])
def test_malformed_json_is_a_400(client, data):
    response = client.post("/api/couplet", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"


def test_unknown_route_and_method_are_json(client):
    assert client.get("/api/nope").get_json()["error"] == "not_found"
    response = client.get("/api/couplet")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_index_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "/static/page.js" in response.get_data(as_text=True)
    script = client.get("/static/page.js")
    assert script.status_code == 200 and "/api/couplet" in script.get_data(as_text=True)


def test_missing_model_is_503_not_500(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "badwords.txt").write_text("坏\n", encoding="utf-8")
    settings = replace(Settings.from_env(), data_dir=tmp_path, models_dir=tmp_path / "models")
    client = create_app(settings).test_client()
    response = client.post("/api/couplet", json={"upper": "春风"})
    assert response.status_code == 503
    assert "couplet train" in response.get_json()["message"]
