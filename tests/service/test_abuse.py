"""Abuse: schema-driven fuzzing of every endpoint in /openapi.json, and named hostile requests. Never a 5xx.

The fuzzing is bounded (a fixed number of examples per operation, no example database) so the file
stays well under a minute; schemathesis generates both valid and invalid requests from the schemas.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from servicekit import write_site

from app.web import create_app
from core.settings import Settings

EXAMPLES = 40


@pytest.fixture(scope="module")
def app(tiny_generator, tmp_path_factory):
    root = tmp_path_factory.mktemp("abuse")
    write_site(root, tiny_generator)
    (root / "data" / "secret.txt").write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    settings = replace(
        Settings.from_env(),
        data_dir=root / "data",
        models_dir=root / "models",
        redis_url=None,
        rate_limit_text="",
        rate_limit_photo="",
        max_request_mb=1.0,
        tagger="local",
    )
    app = create_app(settings)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def fuzz(operation, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case) -> None:
        case.call_and_validate(checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzed_requests_never_get_a_5xx(app, mode):
    """Every operation of the OpenAPI document, with requests that fit its schemas and requests that do not."""
    operations = [
        result.ok() for result in schemathesis.openapi.from_wsgi("/openapi.json", app).get_all_operations()
    ]
    assert "/api/couplet" in {op.path for op in operations}
    fuzzed = set()
    for operation in operations:
        try:
            fuzz(operation, mode)
            fuzzed.add(operation.path)
        except Unsatisfiable:
            # Only a negative run can be: an operation whose input takes any string (or that has no input)
            # leaves nothing invalid to send.
            assert mode == GenerationMode.NEGATIVE
    editing = {"/api/couplet/refill", "/api/couplet/alternatives", "/api/couplet/upper"}
    editing |= {"/api/couplet/write", "/api/couplet/acrostic", "/api/couplet/banner"}
    drawing = {"/api/photo", "/api/couplet/render"}
    assert {"/api/couplet", *editing, *drawing, "/api/digits/predict", "/api/expression"} <= fuzzed


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error", "message"} and body["message"]
    if code:
        assert body["error"] == code
    return body


def test_oversized_body_is_413(client):
    assert_error(
        client.post(
            "/api/couplet", data=b"{" + b" " * (2 * 1024 * 1024) + b"}", content_type="application/json"
        ),
        413,
        "request_entity_too_large",
    )


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "image/jpeg", None]
)
def test_wrong_content_type_is_415(client, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    assert_error(
        client.post("/api/couplet", data=json.dumps({"upper": "春风"}), **kwargs),
        415,
        "unsupported_media_type",
    )


@pytest.mark.parametrize("data", ["{", '{"upper": "春风",}', "null", "[]", '"春风"', "\ud800", b"\x00\xff"])
def test_malformed_json_is_400(client, data):
    body = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    assert_error(client.post("/api/couplet", data=body, content_type="application/json"), 400, "invalid_json")


@pytest.mark.parametrize(
    ("upper", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("春" * 33, "too_long"),
        ("春" * 10_000, "too_long"),
        ("spring breeze", "not_chinese"),
        ("春风abc", "not_chinese"),
        ("春风😀化雨", "not_chinese"),
        ("春风\x00化雨", "not_chinese"),
        ("春风\u202e化雨", "not_chinese"),
        ("春风\n化雨", "not_chinese"),
        ("，。！？", "no_characters"),
        ("<script>alert(1)</script>", "not_chinese"),
        ("春风' OR 1=1 --", "not_chinese"),
    ],
)
def test_hostile_upper_lines_are_400(client, upper, code):
    assert_error(client.post("/api/couplet", json={"upper": upper}), 400, code)


def test_mixed_width_punctuation_is_normalised_not_refused(client):
    # A phone keyboard's half-width marks become the corpus's full-width ones: a valid upper line.
    response = client.post("/api/couplet", json={"upper": "春风；；化雨!!??"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["upper"] == "春风；；化雨！！？？"


@pytest.mark.parametrize("n", [-1, 0, 11, 10**30, 1.5, "3", None, [], {}])
def test_hostile_numbers_are_400(client, n):
    assert_error(client.post("/api/couplet", json={"upper": "春风", "n": n}), 400, "invalid_field")


def test_deeply_nested_json_is_400(client):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/couplet", data='{"upper": "春风", "x": ' + deep + "}", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/results/AAAAAAAAAAAAAAAAAAAAAA.jpg",
        "/api/results/..%2Fsecret.txt",
        "/api/results/..%2F..%2Fdata%2Fsecret.txt",
        "/api/results/%2e%2e%2fsecret.jpg",
        "/api/results/....//secret.jpg",
        "/api/results/../secret.txt",
        "/api/results/%00.jpg",
        "/api/results/" + "A" * 5000 + ".jpg",
    ],
)
def test_unknown_result_and_path_traversal_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"TOP-SECRET" not in response.data
    assert response.is_json


@pytest.mark.parametrize(
    "strokes",
    [
        [[[i % 300, i // 300] for i in range(30_000)]],  # one stroke, too many points
        [[[0, 0], [1, 1]]] * 5_000,  # too many strokes
        [[[1e308, 1e308], [0, 0]]],
        [[["a", "b"]]],
        [[]],
        "strokes",
    ],
)
def test_huge_or_malformed_stroke_arrays_are_4xx(client, strokes):
    response = client.post("/api/expression", json={"strokes": strokes})
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]
