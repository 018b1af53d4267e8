"""Content safety: the bad-word list always, WeChat msgSecCheck v2 against a loopback fake; secrets never logged."""

from __future__ import annotations

import io
import logging

import pytest
from fakewechat import FakeWeChat

from app.web import create_app
from core.logs import configure_logging
from core.wechat import SafetyServiceError, WeChatSecCheck
from couplet.rules import Couplet, InvalidUpper
from couplet.safety import safe_couplets, screen

APPID, SECRET = "wx0123456789abcdef", "S3cr3t-WX-0123456789"


@pytest.fixture
def wechat():
    with FakeWeChat(APPID, SECRET) as fake:
        yield fake


def test_token_is_cached_until_it_expires(wechat):
    now = [1000.0]
    client = WeChatSecCheck(APPID, SECRET, wechat.url, clock=lambda: now[0])
    assert [client.suggest(text, "openid-1") for text in ("春风化雨", "危险的话", "秋月")] == [
        "pass",
        "risky",
        "pass",
    ]
    assert wechat.token_requests == 1
    assert wechat.checked[0] == {"content": "春风化雨", "version": 2, "scene": 2, "openid": "openid-1"}
    now[0] += 7200 - 300 + 1  # past the expiry, less the safety margin
    client.suggest("春风", "openid-1")
    assert wechat.token_requests == 2


def test_a_revoked_token_is_renewed_once(wechat):
    client = WeChatSecCheck(APPID, SECRET, wechat.url)
    client.suggest("春风", "openid-1")
    wechat.revoke_tokens()
    assert client.suggest("春风", "openid-1") == "pass"
    assert wechat.token_requests == 2


@pytest.mark.parametrize("problem", ["wrong secret", "server down", "no server"])
def test_failures_are_safety_service_errors_without_the_secret(wechat, problem):
    secret, url = SECRET, wechat.url
    if problem == "wrong secret":
        secret = "wrong-secret-value"
    elif problem == "server down":
        wechat.broken = True
    else:
        url = "http://127.0.0.1:1"
    client = WeChatSecCheck(APPID, secret, url, timeout=2)
    with pytest.raises(SafetyServiceError) as caught:
        client.suggest("春风", "openid-1")
    assert secret not in str(caught.value)


def test_screen_refuses_unsafe_upper_and_drops_unsafe_lowers(make_site, wechat):
    settings = make_site(wechat_appid=APPID, wechat_secret=SECRET, wechat_base_url=wechat.url)
    assert screen("春风化雨", ["秋月映江", "夏日炎炎"], settings, "openid-1") == ["秋月映江", "夏日炎炎"]
    assert len(wechat.checked) == 1  # all safe: one call for the upper line and every lower line
    assert screen("春风化雨", ["秋月映江", "违规言论", "有烟之处"], settings, "openid-1") == ["秋月映江"]
    with pytest.raises(InvalidUpper) as caught:
        screen("危险春风", ["秋月映江"], settings, "openid-1")
    assert caught.value.code == "unsafe_content"
    # No openid: msgSecCheck v2 cannot be asked, the bad-word list still applies.
    assert screen("危险春风", ["秋月", "烟雨"], settings, None) == ["秋月"]
    with pytest.raises(InvalidUpper):
        screen("坏词春风", [], settings, None)


def test_wechat_down_falls_back_to_the_bad_word_list(make_site, wechat):
    settings = make_site(wechat_appid=APPID, wechat_secret=SECRET, wechat_base_url=wechat.url)
    wechat.broken = True
    assert screen("危险春风", ["秋月", "烟雨"], settings, "openid-1") == ["秋月"]


def test_couplet_api_checks_input_with_wechat(make_client, wechat):
    client = make_client(wechat_appid=APPID, wechat_secret=SECRET, wechat_base_url=wechat.url)
    refused = client.post("/api/couplet", json={"upper": "危险春风"}, headers={"X-Client-Id": "openid-1"})
    assert refused.status_code == 400 and refused.get_json()["error"] == "unsafe_content"
    fine = client.post(
        "/api/couplet", json={"upper": "春风化雨", "n": 2}, headers={"X-Client-Id": "openid-1"}
    )
    assert fine.status_code == 200 and len(fine.get_json()["candidates"]) == 2
    assert wechat.checked[-1]["content"].startswith("春风化雨\n")


def test_secrets_never_reach_the_logs(make_site, wechat):
    redis_password = "R3dis-pw-0123456789"
    settings = make_site(
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_base_url=wechat.url,
        azure_key="AZ-KEY-0123456789",
        baidu_secret_key="BAIDU-SK-0123456789",
        redis_url=f"redis://:{redis_password}@127.0.0.1:1/0",
        log_level="DEBUG",
    )
    client = create_app(settings).test_client()
    out = io.StringIO()
    configure_logging(settings, stream=out)  # the app's own handler, pointed at a buffer
    client.post("/api/couplet", json={"upper": "春风化雨", "n": 1}, headers={"X-Client-Id": "openid-1"})
    client.get("/readyz")  # Redis is unreachable: its error is logged
    log = logging.getLogger("test")
    log.info("settings: %s", settings)
    log.warning(
        "calling %s/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", wechat.url, APPID, SECRET
    )
    log.info(
        "token", extra={"url": "https://api.weixin.qq.com/wxa/msg_sec_check?access_token=TOKEN-9-SECRETISH"}
    )
    try:
        raise RuntimeError(f"failed with key {settings.azure_key}")
    except RuntimeError:
        log.exception("crash")
    text = out.getvalue()
    assert "msg_sec_check" in text and "***" in text  # urllib3's debug lines were there, scrubbed
    for secret in (SECRET, "AZ-KEY-0123456789", "BAIDU-SK-0123456789", redis_password, "SECRETISH"):
        assert secret not in text, secret


def upload_photo(client, headers: dict | None = None):
    """A plain blue photo uploaded to POST /api/photo; the answer must be a 200."""
    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(photo, "JPEG")
    upload = client.post(
        "/api/photo",
        data={"file": (io.BytesIO(photo.getvalue()), "p.jpg")},
        content_type="multipart/form-data",
        headers=headers or {},
    )
    assert upload.status_code == 200, upload.get_data(as_text=True)
    return upload


def test_a_users_own_couplet_for_a_photo_is_checked_with_wechat(make_client, wechat):
    client = make_client(wechat_appid=APPID, wechat_secret=SECRET, wechat_base_url=wechat.url)
    upload = upload_photo(client)
    render = f"/api/photo/{upload.get_json()['id']}/render"
    openid = {"X-Client-Id": "openid-1"}
    unsafe = {"upper": "危险春风", "lower": "和平秋月", "horizontal": "四季平安"}
    refused = client.post(render, json=unsafe, headers=openid)
    assert refused.status_code == 400 and refused.get_json()["error"] == "unsafe_content"
    assert wechat.checked[-1]["content"] == "危险春风\n和平秋月\n四季平安"
    safe = client.post(render, json={**unsafe, "upper": "温暖春风"}, headers=openid)
    assert safe.status_code == 200 and safe.get_json()["image_url"].startswith("/api/results/")
    # The bad-word list runs first and refuses without asking WeChat.
    calls = len(wechat.checked)
    assert (
        client.post(render, json={**unsafe, "upper": "坏词春风"}, headers=openid).get_json()["error"]
        == "invalid_upper"
    )
    assert len(wechat.checked) == calls


def test_couplets_written_for_a_photo_keep_only_those_that_pass(make_site, wechat):
    settings = make_site(wechat_appid=APPID, wechat_secret=SECRET, wechat_base_url=wechat.url)
    written = [
        Couplet("春风化雨", "秋月映江", "四季平安"),
        Couplet("青山不老", "违规言论", "山高水长"),
        Couplet("松间明月", "石上清泉", "危险在前"),
        Couplet("花开富贵", "竹报平安有烟", "吉祥如意"),
    ]
    assert safe_couplets(written, settings, "openid-1") == written[:1]  # bad word, risky lower, risky 横批
    assert wechat.checked[0]["content"].count("\n") == 3 * 3 - 1  # first one call for all three left
    assert safe_couplets(written[:1], settings, "openid-1") == written[:1]
    wechat.broken = True
    assert safe_couplets(written, settings, "openid-1") == written[:3]  # WeChat down: the bad-word list alone
    assert safe_couplets(written, settings, None) == written[:3]


def test_the_photo_route_screens_what_it_wrote(make_client, wechat):
    client = make_client(wechat_appid=APPID, wechat_secret=SECRET, wechat_base_url=wechat.url)
    upload = upload_photo(client, {"X-Client-Id": "openid-1"})
    checked = wechat.checked[-1]["content"]
    assert all(c["lower"] in checked and c["horizontal"] in checked for c in upload.get_json()["candidates"])
    again = client.post(
        f"/api/photo/{upload.get_json()['id']}/regenerate", headers={"X-Client-Id": "openid-1"}
    )
    assert again.status_code == 200
    assert all(c["lower"] in wechat.checked[-1]["content"] for c in again.get_json()["candidates"])
