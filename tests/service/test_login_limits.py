"""Limits a client cannot dodge: a per-address ceiling, and the optional WeChat login (against a loopback fake)."""

from __future__ import annotations

import pytest
from fakewechat import FakeWeChat

from app.web import create_app
from core.errors import UserError

APPID, SECRET, KEY = "wx0123456789abcdef", "S3cr3t-WX-0123456789", "test-signing-key"
UPPER = {"upper": "abc"}  # refused (400) by the input rules: cheap, and still counted by the limits


@pytest.fixture
def wechat():
    with FakeWeChat(APPID, SECRET) as fake:
        yield fake


def test_rotating_client_ids_meet_the_address_ceiling(make_client):
    client = make_client(rate_limit_text="2/minute", rate_limit_address_text="5/minute", trust_proxy=1)

    def post(client_id, address="10.0.0.1"):
        headers = {"X-Client-Id": client_id, "X-Forwarded-For": address}
        return client.post("/api/couplet", json=UPPER, headers=headers)

    statuses = [post(f"made-up-{i}").status_code for i in range(8)]
    assert statuses == [400] * 5 + [429] * 3
    assert post("made-up-9").get_json()["error"] == "too_many_requests"
    # Another address has its own ceiling, and a named client still has its own smaller budget.
    assert [post("one", "10.0.0.2").status_code for _ in range(3)] == [400, 400, 429]


def test_the_address_ceiling_covers_photos_too(make_client):
    client = make_client(rate_limit_photo="", rate_limit_address_photo="2/minute")
    statuses = [client.post("/api/photo", headers={"X-Client-Id": f"id-{i}"}).status_code for i in range(3)]
    assert statuses == [400, 400, 429]


def login_site(make_client, wechat, **changes):
    login = {
        "login": "wechat",
        "secret_key": KEY,
        "wechat_appid": APPID,
        "wechat_secret": SECRET,
        "wechat_base_url": wechat.url,
    }
    return make_client(**{**login, **changes})


def log_in(client, wechat, code, openid):
    wechat.codes[code] = openid
    answer = client.post("/api/session", json={"code": code})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_with_login_on_a_request_needs_a_valid_token(make_client, wechat):
    client = login_site(make_client, wechat)
    refused = client.post("/api/couplet", json=UPPER)
    assert refused.status_code == 401 and refused.get_json()["error"] == "login_required"
    for header in ("Bearer not-a-token", "Basic dXNlcjpwdw==", "Bearer "):
        assert client.post("/api/couplet", json=UPPER, headers={"Authorization": header}).status_code == 401
    headers = log_in(client, wechat, "code-1", "openid-a")
    assert (
        client.post("/api/couplet", json=UPPER, headers=headers).status_code == 400
    )  # past login: the line's fault
    token = headers["Authorization"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post("/api/couplet", json=UPPER, headers={"Authorization": tampered}).status_code == 401
    assert client.get("/healthz").status_code == 200  # health, pages and docs need no login


def test_a_token_from_another_key_or_past_its_life_is_refused(make_client, wechat):
    issuer = login_site(make_client, wechat)
    headers = log_in(issuer, wechat, "code-1", "openid-a")
    other_key = login_site(make_client, wechat, secret_key="another-key")
    expired = login_site(make_client, wechat, session_ttl=-1)
    assert other_key.post("/api/couplet", json=UPPER, headers=headers).status_code == 401
    assert expired.post("/api/couplet", json=UPPER, headers=headers).status_code == 401


def test_a_bad_code_is_401_and_wechat_down_is_503(make_client, wechat):
    client = login_site(make_client, wechat)
    bad = client.post("/api/session", json={"code": "never-issued"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "invalid_code"
    wechat.codes["code-2"] = "openid-b"
    assert client.post("/api/session", json={"code": "code-2"}).status_code == 200
    assert client.post("/api/session", json={"code": "code-2"}).status_code == 401  # a code works once
    assert client.post("/api/session", json={"code": "x" * 500}).status_code == 401
    assert client.post("/api/session", json={}).status_code == 400
    wechat.broken = True
    wechat.codes["code-3"] = "openid-c"
    down = client.post("/api/session", json={"code": "code-3"})
    assert down.status_code == 503 and down.get_json()["error"] == "login_unavailable"
    assert SECRET not in down.get_data(as_text=True)


def test_with_login_limits_key_on_the_user_not_the_client_id(make_client, wechat):
    client = login_site(make_client, wechat, rate_limit_text="2/minute")
    alice = log_in(client, wechat, "code-a", "openid-alice")
    bob = log_in(client, wechat, "code-b", "openid-bob")

    def post(headers, client_id):
        return client.post(
            "/api/couplet", json=UPPER, headers={**headers, "X-Client-Id": client_id}
        ).status_code

    assert [post(alice, f"fresh-{i}") for i in range(3)] == [400, 400, 429]
    assert post(bob, "fresh-9") == 400


def test_login_without_its_settings_refuses_to_start(make_site):
    with pytest.raises(UserError, match="COUPLET_SECRET_KEY"):
        create_app(make_site("a", login="wechat", wechat_appid=APPID, wechat_secret=SECRET, secret_key=None))
    with pytest.raises(UserError, match="COUPLET_LOGIN"):
        create_app(make_site("b", login="password"))


def test_without_login_there_is_no_session_endpoint(make_client):
    assert make_client().post("/api/session", json={"code": "c"}).status_code == 404
