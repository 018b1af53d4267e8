"""POST /api/couplet/write, /api/couplet/acrostic and /api/couplet/banner through a Flask test client."""

from __future__ import annotations

import pytest
from sites import site_client, site_settings

from couplet.rules import broken_hard_rules


@pytest.fixture(scope="module")
def client(tiny_writer_dir, tmp_path_factory):
    return site_client(site_settings(tiny_writer_dir, tmp_path_factory.mktemp("site")))


def test_acrostic_route(client):
    response = client.post("/api/couplet/acrostic", json={"chars": "春秋", "length": 5, "n": 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    couplets = response.get_json()["couplets"]
    assert len(couplets) == 2
    for c in couplets:
        assert c["upper"][0] == "春" and c["lower"][0] == "秋" and len(c["upper"]) == 5
        assert not broken_hard_rules(c["upper"], c["lower"])
        assert all(r["passed"] for name, r in c["rules"].items() if name != "tone_opposition")
        assert len(c["banner"]) == 4 and c["source"] == "model"
        assert [p["index"] for p in c["positions"]] == list(range(5))


def test_write_route_holds_the_keywords(client):
    response = client.post("/api/couplet/write", json={"keywords": ["松竹", "月"], "length": 7, "n": 3})
    assert response.status_code == 200, response.get_data(as_text=True)
    for c in response.get_json()["couplets"]:
        assert "松竹" in c["upper"] + c["lower"] and "月" in c["upper"] + c["lower"]
        assert c["keywords"] == ["松竹", "月"]


def test_banner_route(client):
    response = client.post("/api/couplet/banner", json={"upper": "春风花雨山水月", "lower": "秋霜草雪海湖年"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert len(body["banners"]) == 3 == len(body["sources"])
    assert all(len(b) == 4 for b in body["banners"])


@pytest.mark.parametrize(
    "path, body, code",
    [
        ("/api/couplet/acrostic", {"chars": "春"}, "bad_chars"),
        ("/api/couplet/acrostic", {"chars": "风雪", "at": "tail"}, "bad_tones"),
        ("/api/couplet/acrostic", {"chars": "春秋", "at": "middle"}, "invalid_field"),
        ("/api/couplet/acrostic", {}, "missing_field"),
        ("/api/couplet/write", {}, "no_keywords"),
        ("/api/couplet/write", {"keywords": ["abc"]}, "bad_keyword"),
        ("/api/couplet/write", {"keywords": "春风"}, "invalid_field"),
        ("/api/couplet/write", {"keywords": ["坏词"]}, "bad_word"),
        ("/api/couplet/write", {"keywords": ["春"], "length": 30}, "invalid_field"),
        ("/api/couplet/banner", {"upper": "春风花雨山水月", "lower": "秋霜草"}, "equal_length"),
        ("/api/couplet/banner", {"upper": "春风花雨山水月"}, "missing_field"),
    ],
)
def test_bad_requests_are_400_with_a_message(client, path, body, code):
    response = client.post(path, json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    payload = response.get_json()
    assert payload["error"] == code and payload["message"], payload


def test_the_routes_are_documented(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"/api/couplet/write", "/api/couplet/acrostic", "/api/couplet/banner"} <= set(paths)
