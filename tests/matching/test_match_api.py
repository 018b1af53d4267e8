"""POST /api/couplet/match through a real Flask test client."""

from __future__ import annotations

import pytest

from app.web import create_app


@pytest.fixture(scope="module")
def client(indexed_site):
    app = create_app(indexed_site)
    app.testing = True
    return app.test_client()


def test_matches_with_scores(client):
    response = client.post(
        "/api/couplet/match",
        json={"tags": [{"name": "山", "confidence": 0.9}, {"name": "月", "confidence": 0.5}], "k": 4},
    )
    assert response.status_code == 200
    matches = response.get_json()["matches"]
    assert len(matches) == 4 and len({m["upper"] for m in matches}) == 4
    for m in matches:
        assert 5 <= len(m["upper"]) <= 11 and isinstance(m["score"], float) and m["source"] == "encoder"
        assert m["register"] == ("jokey" if m["jokey"] >= 0.5 else "elegant") and 0 <= m["jokey"] <= 1
        assert m["mood"] == ("melancholy" if m["melancholy"] >= 0.5 else "positive")
        assert all(0 <= m[name] <= 1 for name in ("melancholy", "festive", "devotional"))


def test_tags_may_say_their_kind(client):
    body = {"tags": [{"name": "山", "kind": "scene"}, {"name": "舟", "confidence": 0.4}], "seed": 1}
    response = client.post("/api/couplet/match", json=body)
    assert response.status_code == 200 and len(response.get_json()["matches"]) == 3


def test_defaults_and_seeded_repeats(client):
    body = {"tags": [{"name": "江"}], "seed": 9}
    first = client.post("/api/couplet/match", json=body).get_json()
    assert len(first["matches"]) == 3
    assert first == client.post("/api/couplet/match", json=body).get_json()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "missing_field"),
        ({"tags": []}, "invalid_field"),
        ({"tags": "山"}, "invalid_field"),
        ({"tags": [{"confidence": 0.5}]}, "missing_field"),
        ({"tags": [{"name": "mountain"}]}, "bad_tags"),
        ({"tags": [{"name": "山😀"}]}, "bad_tags"),
        ({"tags": [{"name": "山", "confidence": 1.5}]}, "invalid_field"),
        ({"tags": [{"name": "山", "confidence": -0.1}]}, "invalid_field"),
        ({"tags": [{"name": "山", "confidence": "0.5"}]}, "invalid_field"),
        ({"tags": [{"name": "山"}], "k": 0}, "invalid_field"),
        ({"tags": [{"name": "山"}], "k": 11}, "invalid_field"),
        ({"tags": [{"name": "山"}], "seed": -1}, "invalid_field"),
        ({"tags": [{"name": "山"}] * 21}, "invalid_field"),
        ({"tags": [{"name": "山", "kind": "weather"}]}, "invalid_field"),
        ([{"name": "山"}], "invalid_json"),
    ],
)
def test_bad_input_is_a_400_json_error(client, payload, code):
    response = client.post("/api/couplet/match", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"] == code


def test_the_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/couplet/match"]


def test_without_an_index_it_answers_by_keywords(keyword_site):
    app = create_app(keyword_site)
    app.testing = True
    response = app.test_client().post("/api/couplet/match", json={"tags": [{"name": "湖", "confidence": 1}]})
    assert response.status_code == 200
    assert {m["source"] for m in response.get_json()["matches"]} == {"keyword"}


def test_readiness_without_an_encoder_loads_the_corpus_store(keyword_site):
    body = create_app(keyword_site).test_client().get("/readyz").get_json()
    assert body["checks"]["matcher"] == "ok"
