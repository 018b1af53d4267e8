"""The Azure client against a loopback server speaking the v3.2 and 4.0 wire formats."""

from __future__ import annotations

import time

import pytest
from fakeapi import Reply

from vision.azure import AzureTagger
from vision.errors import RetryableTaggerError, TaggerAuthError, TaggerConfigError, TaggerError

V32 = "/vision/v3.2/tag"
V40 = "/computervision/imageanalysis:analyze"
KEY = "test-key-0123456789abcdef"


def reply(status=200, json=None, **kw) -> Reply:
    return Reply(status, json, **kw)


def azure_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def make(fake_api, api="3.2", **kw) -> AzureTagger:
    return AzureTagger(endpoint=fake_api.url + "/", key=KEY, api=api, backoff=0, **kw)


def authorised(handler):
    """Answer 401 unless the key header is right, as Azure does."""

    def respond(seen):
        if seen.headers.get("ocp-apim-subscription-key") != KEY:
            return reply(401, azure_error("401", "Access denied due to invalid subscription key."))
        return handler(seen)

    return respond


def test_v32_sends_the_image_with_the_key_and_parses_tags(fake_api, make_jpeg):
    body = {
        "tags": [
            {"name": "山", "confidence": 0.99},
            {"name": "湖", "confidence": 0.87},
            {"name": "山", "confidence": 0.5},
            {"name": "天空", "confidence": 0.12},
        ],
        "requestId": "x",
        "metadata": {"width": 320, "height": 240, "format": "Jpeg"},
    }
    fake_api.on(V32, authorised(lambda seen: reply(200, body)))
    image = make_jpeg()
    tags = make(fake_api).tag(image)
    assert [(t.name, t.confidence, t.source) for t in tags] == [("山", 0.99, "azure"), ("湖", 0.87, "azure")]
    (seen,) = fake_api.requests_to(V32)
    assert seen.query == {"language": "zh"}
    assert seen.headers["content-type"] == "application/octet-stream"
    assert seen.body == image


def test_v40_uses_the_analyze_route_and_tags_result(fake_api, make_jpeg):
    body = {
        "modelVersion": "2023-10-01",
        "metadata": {"width": 320, "height": 240},
        "tagsResult": {"values": [{"name": "花", "confidence": 0.93}, {"name": "植物", "confidence": 0.9}]},
    }
    fake_api.on(V40, authorised(lambda seen: reply(200, body)))
    tags = make(fake_api, api="4.0").tag(make_jpeg())
    assert [t.name for t in tags] == ["花", "植物"]
    (seen,) = fake_api.requests_to(V40)
    assert seen.query == {"api-version": "2024-02-01", "features": "tags", "language": "zh"}


def test_a_wrong_key_is_an_auth_error_without_retry_and_without_the_key(fake_api, make_jpeg):
    fake_api.on(V32, default=authorised(lambda seen: reply(200, {"tags": []})))
    tagger = AzureTagger(endpoint=fake_api.url, key="wrong-key-secret", backoff=0)
    with pytest.raises(TaggerAuthError, match="HTTP 401.*invalid subscription key") as info:
        tagger.tag(make_jpeg())
    assert "wrong-key-secret" not in str(info.value) and "wrong-key-secret" not in repr(tagger)
    assert len(fake_api.requests_to(V32)) == 1


def test_429_and_5xx_are_retried_once(fake_api, make_jpeg):
    ok = reply(200, {"tags": [{"name": "狗", "confidence": 0.9}]})
    fake_api.on(
        V32, reply(429, azure_error("429", "Rate limit is exceeded."), headers={"Retry-After": "0"}), ok
    )
    assert make(fake_api).tag(make_jpeg())[0].name == "狗"
    fake_api.on(V32, reply(503, azure_error("ServiceUnavailable", "busy")), ok)
    assert make(fake_api).tag(make_jpeg())[0].name == "狗"
    assert len(fake_api.requests_to(V32)) == 4


def test_persistent_5xx_fails_after_one_retry(fake_api, make_jpeg):
    fake_api.on(V32, default=reply(500, azure_error("InternalServerError", "oops")))
    with pytest.raises(RetryableTaggerError, match="HTTP 500.*InternalServerError"):
        make(fake_api).tag(make_jpeg())
    assert len(fake_api.requests_to(V32)) == 2


def test_a_slow_service_times_out(fake_api, make_jpeg):
    fake_api.on(V32, default=reply(200, {"tags": []}, delay=1.5))
    start = time.monotonic()
    with pytest.raises(TaggerError, match="did not answer within 0.3 s"):
        make(fake_api, timeout=0.3).tag(make_jpeg())
    assert time.monotonic() - start < 1.2
    assert len(fake_api.requests_to(V32)) == 1  # a timeout is not retried


def test_malformed_answers_are_tagger_errors(fake_api, make_jpeg):
    fake_api.on(
        V32,
        reply(200, body=b"<html>gateway</html>"),
        reply(200, {"categories": []}),
        reply(200, {"tags": [{"name": "山", "confidence": "high"}]}),
        reply(200, [1, 2]),
        reply(400, azure_error("InvalidImageSize", "Image must be at least 50 pixels")),
    )
    tagger = make(fake_api)
    for expected in (
        "not JSON",
        "without the expected tags",
        "without the expected tags",
        "not an object",
        "HTTP 400.*InvalidImageSize",
    ):
        with pytest.raises(TaggerError, match=expected):
            tagger.tag(make_jpeg())


def test_big_photos_are_shrunk_before_upload(fake_api, make_jpeg):
    fake_api.on(V32, default=reply(200, {"tags": []}))
    big = make_jpeg((3600, 2700), quality=100)
    make(fake_api).tag(big)
    (seen,) = fake_api.requests_to(V32)
    assert len(seen.body) < len(big) and seen.body[:2] == b"\xff\xd8"


def test_missing_configuration_is_a_config_error():
    with pytest.raises(TaggerConfigError, match="COUPLET_AZURE_KEY"):
        AzureTagger(endpoint="https://x.cognitiveservices.azure.com", key="")
    with pytest.raises(TaggerConfigError, match="3.2 or 4.0"):
        AzureTagger(endpoint="https://x", key="k", api="5.0")
