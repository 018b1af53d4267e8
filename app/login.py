"""Optional WeChat login (COUPLET_LOGIN=wechat): a `wx.login` code in, a signed expiring session token out.

The mini-program calls `wx.login()`, sends the code to POST /api/session, and then sends the token it
gets back as `Authorization: Bearer <token>` with every request. The token names the user's openid,
which WeChat vouched for, so rate limits and content checks key on a user the client cannot make up.
The token is signed with COUPLET_SECRET_KEY (the same on every replica) and carries no WeChat
session_key; it expires after COUPLET_SESSION_TTL seconds.

WeChat's code2Session is called through the one WeChat client (core/wechat.py, its wire format there).
"""

from __future__ import annotations

import logging

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import UserError
from core.settings import Settings
from core.wechat import SafetyServiceError, get_wechat

log = logging.getLogger(__name__)

TOKEN_SALT = "couplet-session"
INVALID_CODE = {40029, 40163}
"""The code is wrong, expired or already used: the user's to retry with a fresh wx.login."""
MAX_CODE = 128


class LoginRequired(UserError):
    code, status = "login_required", 401


class InvalidCode(UserError):
    code, status = "invalid_code", 401


class LoginUnavailable(UserError):
    code, status = "login_unavailable", 503


def check_config(settings: Settings) -> None:
    """Refuse to start with a login mode that cannot work, rather than 401 every request."""
    if settings.login not in ("", "wechat"):
        raise UserError(f"COUPLET_LOGIN must be empty or 'wechat', got {settings.login!r}")
    if settings.login == "wechat":
        missing = [
            name
            for name, value in (
                ("COUPLET_WECHAT_APPID", settings.wechat_appid),
                ("COUPLET_WECHAT_SECRET", settings.wechat_secret),
                ("COUPLET_SECRET_KEY", settings.secret_key),
            )
            if not value
        ]
        if missing:
            raise UserError(f"COUPLET_LOGIN=wechat needs {', '.join(missing)}")


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=TOKEN_SALT)


def issue_token(openid: str, settings: Settings) -> str:
    return _serializer(settings).dumps({"openid": openid})


def verified_openid(token: str, settings: Settings) -> str | None:
    """The openid a token was issued for; None for a forged, altered, expired or malformed token."""
    try:
        payload = _serializer(settings).loads(token, max_age=settings.session_ttl)
    except (BadSignature, SignatureExpired):
        return None
    openid = payload.get("openid") if isinstance(payload, dict) else None
    return openid if isinstance(openid, str) and openid else None


def openid_for_code(code: str, settings: Settings) -> str:
    """Exchange a wx.login code for the user's openid with WeChat's code2Session."""
    if not code or len(code) > MAX_CODE:
        raise InvalidCode(f"'code' must be the 1–{MAX_CODE} character code that wx.login() gave")
    try:
        body = get_wechat(settings).code2session(code)
    except SafetyServiceError as e:
        log.warning("wechat code2Session: %s", e)
        raise LoginUnavailable("WeChat login is unavailable right now; try again shortly") from None
    openid = body.get("openid")
    if isinstance(openid, str) and openid:
        return openid
    if body.get("errcode") in INVALID_CODE:
        raise InvalidCode("the login code is invalid, expired or already used: call wx.login() again")
    log.warning("wechat code2Session refused: errcode %s %s", body.get("errcode"), body.get("errmsg", ""))
    raise LoginUnavailable("WeChat login is unavailable right now; try again shortly")
