"""One app: the OpenAPI document and offline docs, JSON errors, health and readiness, request ids, metrics."""

from __future__ import annotations

import re
import shutil

import pytest

from app.web.schemas import Candidate as CandidateSchema
from couplet.model.generator import Candidate


def test_openapi_describes_the_couplet_api(make_client):
    client = make_client()
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.0")
    post = spec["paths"]["/api/couplet"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CoupletIn")
    assert spec["components"]["schemas"]["CoupletIn"]["required"] == ["upper"]
    for status in ("200", "400", "413", "415", "429", "503"):
        assert status in post["responses"], status
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "message"}
    assert {"/healthz", "/readyz"} <= set(spec["paths"])


def test_docs_page_loads_only_local_assets(make_client):
    client = make_client()
    page = client.get("/docs")
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert any(link.endswith("swagger-ui-bundle.js") for link in links)
    for link in links:
        assert link.startswith("/"), f"{link} would need the network"
        assert client.get(link).status_code == 200, link


def test_response_schema_keeps_every_candidate_field(make_client):
    """@output drops keys the schema lacks: the schema must follow Candidate.to_dict."""
    fields = set(Candidate("秋", "春", 0.0, 0.0, {}).to_dict())
    assert fields == set(CandidateSchema().fields)
    body = make_client().post("/api/couplet", json={"upper": "春风化雨", "n": 2}).get_json()
    assert all(set(c) == fields for c in body["candidates"])


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"upper": "春风", "extra": 1, "n": 1}}, 200, None),
        ({"json": {"upper": "春风", "n": True}}, 400, "invalid_field"),
        ({"json": {"upper": "春风", "temperature": "1.0"}}, 400, "invalid_field"),
        ({"json": {"upper": "春风", "seed": -1}}, 400, "invalid_field"),
        ({"json": {"upper": None}}, 400, "invalid_field"),
        ({"json": "春风"}, 400, "invalid_json"),
        ({"data": b"\xff\xfe", "content_type": "application/json"}, 400, "invalid_json"),
        (
            {"data": "upper=春风", "content_type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ({"data": "春风"}, 415, "unsupported_media_type"),
    ],
)
def test_requests_are_validated_against_the_schema(make_client, kwargs, status, code):
    response = make_client().post("/api/couplet", **kwargs)
    assert response.status_code == status
    if code:
        assert response.get_json()["error"] == code
        assert response.get_json()["message"]


def test_oversized_body_is_413_json(make_client):
    client = make_client(max_request_mb=0.01)
    response = client.post("/api/couplet", json={"upper": "春" * 20000})
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


def test_errors_of_every_kind_are_json(make_client):
    client = make_client()
    for path, method, status in [
        ("/nope", "get", 404),
        ("/api/couplet", "get", 405),
        ("/healthz", "post", 405),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == status
        assert response.is_json and set(response.get_json()) == {"error", "message"}


def test_healthz_and_readyz(make_client, make_site, tmp_path):
    client = make_client(tagger="local")
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert set(ready.get_json()["checks"].values()) == {"ok"}

    # A site without a model, with a tagger that is not configured: 503 and what is missing.
    settings = make_site("broken", tagger="azure")
    shutil.rmtree(settings.generator_dir)
    from app.web import create_app

    broken = create_app(settings).test_client()
    response = broken.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["badwords"] == "ok" and checks["redis"] == "ok"
    assert "couplet train" in checks["generator"]
    assert "azure" in checks["tagger"].lower()
    assert broken.get("/healthz").status_code == 200


def test_request_id_is_echoed_or_made(make_client):
    client = make_client()
    given = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-Id": "bad id <script>" + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])
    assert client.get("/nope").headers["X-Request-Id"]


def _sample(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_and_stages(make_client):
    client = make_client()
    labels = 'endpoint="/api/couplet",method="POST",status="200"'
    before = client.get("/metrics").get_data(as_text=True)
    for upper in ("春风化雨", "秋月映江", "春风化雨"):
        assert client.post("/api/couplet", json={"upper": upper, "n": 1}).status_code == 200
    client.post("/api/couplet", json={"upper": "abc"})
    after = client.get("/metrics").get_data(as_text=True)
    name = "couplet_http_request_duration_seconds_count"
    assert _sample(after, name, labels) - _sample(before, name, labels) == 3
    bad = 'endpoint="/api/couplet",method="POST",status="400"'
    assert _sample(after, name, bad) - _sample(before, name, bad) == 1
    # The repeated line came from the cache: two generations, not three.
    stage = "couplet_stage_duration_seconds_count"
    assert _sample(after, stage, 'stage="generate"') - _sample(before, stage, 'stage="generate"') == 2
