"""WeChat's server API as the service uses it, one client per process: msgSecCheck v2 (content safety)
and code2Session (the optional login, app/login.py).

Wire format (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/sec-center/sec-check/msgSecCheck.html):
- token: GET {base}/cgi-bin/token?grant_type=client_credential&appid=APPID&secret=SECRET →
  {"access_token", "expires_in"} or {"errcode", "errmsg"}; cached until it expires (less a margin).
- check: POST {base}/wxa/msg_sec_check?access_token=TOKEN with JSON
  {"content", "version": 2, "scene", "openid"} → {"errcode": 0, "errmsg": "ok",
  "result": {"suggest": "pass"|"review"|"risky", "label": 100|…}, "detail": [...], "trace_id"}.
  errcode 40001 / 40014 / 42001 (token invalid or expired): fetch a new token and try once more.
- login (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html):
  GET {base}/sns/jscode2session?appid=APPID&secret=SECRET&js_code=CODE&grant_type=authorization_code →
  {"openid", "session_key", "unionid"?} or {"errcode": 40029 (invalid code) | 45011 (too frequent) | -1, "errmsg"}.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from core.lazy import resource
from core.settings import Settings
from core.tokens import TokenCache

log = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/token"
CHECK_PATH = "/wxa/msg_sec_check"
CODE2SESSION_PATH = "/sns/jscode2session"
TOKEN_ERRORS = {40001, 40014, 42001}
MAX_CONTENT = 2500
"""Characters msgSecCheck takes at most."""


class SafetyServiceError(Exception):
    """WeChat could not give a verdict (network, HTTP or API error). Never carries the secret or token."""


@dataclass
class WeChatSecCheck:
    appid: str
    secret: str = field(repr=False)
    base_url: str = "https://api.weixin.qq.com"
    scene: int = 2
    timeout: float = 5.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    """Seconds, monotonic; tests pass their own to expire the token."""
    _tokens: TokenCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._tokens = TokenCache(self._fetch_token, self.clock)

    def access_token(self, renew: bool = False) -> str:
        return self._tokens.get(renew)

    def _fetch_token(self) -> tuple[str, float]:
        body = self._call(
            "GET",
            TOKEN_PATH,
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        try:
            return str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise SafetyServiceError(f"wechat refused the token request: {_describe(body)}") from None

    def suggest(self, content: str, openid: str) -> str:
        """WeChat's verdict on ``content``: `pass`, `review` or `risky`."""
        payload = {"content": content[:MAX_CONTENT], "version": 2, "scene": self.scene, "openid": openid}
        renewed = False
        while True:
            body = self._call(
                "POST", CHECK_PATH, params={"access_token": self.access_token(renew=renewed)}, json=payload
            )
            code = body.get("errcode", 0)
            if code in TOKEN_ERRORS and not renewed:
                renewed = True
                continue
            if code != 0:
                raise SafetyServiceError(f"wechat msg_sec_check failed: {_describe(body)}")
            try:
                return str(body["result"]["suggest"])
            except (KeyError, TypeError):
                raise SafetyServiceError("wechat msg_sec_check answered without result.suggest") from None

    def code2session(self, code: str) -> dict:
        """WeChat's answer to a wx.login code (code2Session): {"openid", "session_key", …} or
        {"errcode", "errmsg"}; SafetyServiceError when WeChat cannot be asked."""
        params = {
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        return self._call("GET", CODE2SESSION_PATH, params=params)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as e:
            # The exception text holds the URL, and with it the secret or the token: name the type only.
            raise SafetyServiceError(f"wechat unreachable ({type(e).__name__})") from None
        if response.status_code != 200:
            raise SafetyServiceError(f"wechat answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SafetyServiceError("wechat answered something that is not JSON") from None
        if not isinstance(body, dict):
            raise SafetyServiceError("wechat answered JSON that is not an object")
        return body


def _describe(body: dict) -> str:
    return f"errcode {body.get('errcode')}: {body.get('errmsg', '')}".strip()


@resource
def get_wechat(settings: Settings) -> WeChatSecCheck | None:
    """The msgSecCheck client, one per process; None when WeChat is not configured."""
    if not (settings.wechat_appid and settings.wechat_secret):
        return None
    return WeChatSecCheck(
        settings.wechat_appid,
        settings.wechat_secret,
        settings.wechat_base_url,
        settings.wechat_scene,
        settings.wechat_timeout,
    )
