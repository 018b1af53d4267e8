"""The Baidu client against a loopback server speaking the OAuth token and advanced_general formats."""

from __future__ import annotations

import base64
import time

import pytest
from fakeapi import Reply

from vision.baidu import TAG_PATH, TOKEN_PATH, BaiduTagger
from vision.errors import RetryableTaggerError, TaggerAuthError, TaggerConfigError, TaggerError

API_KEY, SECRET = "ak-visible-in-tests", "sk-very-secret"
RESULT = {
    "log_id": 1,
    "result_num": 3,
    "result": [
        {"keyword": "西湖", "score": 0.91, "root": "自然风景-湖泊"},
        {"keyword": "湖泊", "score": 0.55, "root": "自然风景-湖泊"},
        {"keyword": "西湖", "score": 0.40, "root": "建筑-景点"},
        {"keyword": "天空", "score": 0.05, "root": "自然风景-天空"},
    ],
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class BaiduServer:
    """Issues numbered tokens; advanced_general accepts only the latest one (older ones are expired)."""

    def __init__(self, fake_api, expires_in: int = 2592000) -> None:
        self.api, self.issued, self.expires_in = fake_api, 0, expires_in
        fake_api.on(TOKEN_PATH, default=self.token)
        fake_api.on(TAG_PATH, default=self.classify)

    def token(self, seen) -> Reply:
        q = seen.query
        if (
            q.get("grant_type") != "client_credentials"
            or q.get("client_id") != API_KEY
            or q.get("client_secret") != SECRET
        ):
            return Reply(401, {"error": "invalid_client", "error_description": "unknown client id"})
        self.issued += 1
        return Reply(
            200,
            {
                "access_token": f"24.token{self.issued}",
                "expires_in": self.expires_in,
                "refresh_token": "25.x",
                "scope": "public brain_all_scope",
                "session_key": "x",
            },
        )

    def classify(self, seen) -> Reply:
        if seen.query.get("access_token") != f"24.token{self.issued}":
            return Reply(200, {"error_code": 110, "error_msg": "Access token invalid or no longer valid"})
        assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
        base64.b64decode(seen.form()["image"], validate=True)
        return Reply(200, RESULT)


def make(fake_api, **kw) -> BaiduTagger:
    return BaiduTagger(API_KEY, SECRET, base_url=fake_api.url, backoff=0, **kw)


def test_token_then_tags_with_the_image_as_base64(fake_api, make_jpeg):
    server = BaiduServer(fake_api)
    image = make_jpeg()
    tags = make(fake_api).tag(image)
    # 湖泊 is Baidu's word for the scene concept 湖; 西湖, a place, stays an object tag
    assert [(t.name, t.confidence, t.source, t.kind) for t in tags] == [
        ("西湖", 0.91, "baidu", "object"),
        ("湖", 0.55, "baidu", "scene"),
    ]
    (tag_request,) = fake_api.requests_to(TAG_PATH)
    assert base64.b64decode(tag_request.form()["image"]) == image
    assert server.issued == 1


def test_the_token_is_cached_until_it_expires(fake_api, make_jpeg):
    server = BaiduServer(fake_api, expires_in=3600)
    clock = Clock()
    tagger = make(fake_api, clock=clock)
    tagger.tag(make_jpeg())
    tagger.tag(make_jpeg())
    assert server.issued == 1
    clock.now += 3600 - 301  # the token is renewed 5 minutes before it expires
    tagger.tag(make_jpeg())
    assert server.issued == 1
    clock.now += 2
    tagger.tag(make_jpeg())
    assert server.issued == 2
    assert [s.query["access_token"] for s in fake_api.requests_to(TAG_PATH)] == ["24.token1"] * 3 + [
        "24.token2"
    ]


def test_a_token_revoked_early_is_renewed_once(fake_api, make_jpeg):
    server = BaiduServer(fake_api)
    tagger = make(fake_api)
    tagger.tag(make_jpeg())
    server.issued += 1  # the server no longer accepts token1, as after a key rotation
    assert tagger.tag(make_jpeg())[0].name == "西湖"
    assert server.issued == 3 and len(fake_api.requests_to(TAG_PATH)) == 3


def test_a_token_refused_twice_is_an_auth_error(fake_api, make_jpeg):
    BaiduServer(fake_api)
    fake_api.on(
        TAG_PATH,
        Reply(200, {"error_code": 111, "error_msg": "Access token expired"}),
        Reply(200, {"error_code": 111, "error_msg": "Access token expired"}),
    )
    with pytest.raises(TaggerAuthError, match="111"):
        make(fake_api).tag(make_jpeg())


def test_wrong_credentials_are_an_auth_error_without_secrets(fake_api, make_jpeg):
    BaiduServer(fake_api)
    tagger = BaiduTagger(API_KEY, "wrong-" + SECRET, base_url=fake_api.url, backoff=0)
    with pytest.raises(TaggerAuthError, match="invalid_client") as info:
        tagger.tag(make_jpeg())
    assert SECRET not in str(info.value) and SECRET not in repr(tagger)
    assert len(fake_api.requests_to(TOKEN_PATH)) == 1 and not fake_api.requests_to(TAG_PATH)


def test_qps_limit_and_5xx_are_retried_once(fake_api, make_jpeg):
    BaiduServer(fake_api)
    fake_api.on(TAG_PATH, Reply(200, {"error_code": 18, "error_msg": "Open api qps request limit reached"}))
    assert make(fake_api).tag(make_jpeg())
    fake_api.on(TAG_PATH, Reply(502, body=b"Bad Gateway"))
    assert make(fake_api).tag(make_jpeg())
    fake_api.on(
        TAG_PATH, *[Reply(200, {"error_code": 18, "error_msg": "Open api qps request limit reached"})] * 2
    )
    with pytest.raises(RetryableTaggerError, match="18"):
        make(fake_api).tag(make_jpeg())
    fake_api.on(TOKEN_PATH, Reply(500, {}), Reply(500, {}))
    with pytest.raises(RetryableTaggerError, match="HTTP 500"):
        make(fake_api).tag(make_jpeg())


def test_timeouts_and_malformed_answers(fake_api, make_jpeg):
    BaiduServer(fake_api)
    tagger = make(fake_api, timeout=0.3)
    fake_api.on(TAG_PATH, Reply(200, RESULT, delay=1.5))
    start = time.monotonic()
    with pytest.raises(TaggerError, match="did not answer within 0.3 s"):
        tagger.tag(make_jpeg())
    assert time.monotonic() - start < 1.2
    fake_api.on(
        TAG_PATH,
        Reply(200, body=b"{not json"),
        Reply(200, {"log_id": 1}),
        Reply(200, {"error_code": 216201, "error_msg": "image format error"}),
    )
    for expected in ("not JSON", "without the expected result", "216201.*image format error"):
        with pytest.raises(TaggerError, match=expected):
            tagger.tag(make_jpeg())
    fake_api.on(TOKEN_PATH, Reply(200, {"scope": "x"}))
    with pytest.raises(TaggerError, match="without access_token"):
        make(fake_api).tag(make_jpeg())


def test_missing_keys_are_a_config_error():
    with pytest.raises(TaggerConfigError, match="COUPLET_BAIDU_SECRET_KEY"):
        BaiduTagger("ak", "")
