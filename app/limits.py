"""Rate limits per client and per address: in process by default, in Redis (shared by every replica) with REDIS_URL.

Two limits apply to every limited route, and a request must pass both:
- per client: the user's openid from a session token when login is on (COUPLET_LOGIN=wechat,
  app/login.py), else the `X-Client-Id` header the client sends, else the remote address;
- per address: a ceiling on the remote address, whatever the client calls itself, so that a script
  making up a new X-Client-Id for every request is still stopped (COUPLET_RATE_LIMIT_ADDRESS_*; set
  well above the per-client limit, since many users may share one NAT address).
Behind proxies, `COUPLET_TRUST_PROXY=N` makes the app take the address from the last N entries of
X-Forwarded-For (werkzeug's ProxyFix, applied in the app factory); with 0 the header is ignored, so a
client cannot pick its own address by sending one.

Limits apply to the POST routes of the blueprints named in BLUEPRINT_LIMITS, each route counted on
its own; health, metrics, docs, pages, login and result downloads are not limited. With login on,
those POST routes also need a valid session token (401 `login_required` without one). A client over
a limit gets 429 with a Retry-After header and the usual JSON error body.
"""

from __future__ import annotations

import logging

from flask import Flask, g, request
from flask_limiter import Limiter

from app.login import LoginRequired, verified_openid
from core.settings import Settings

log = logging.getLogger(__name__)

CLIENT_HEADER = "X-Client-Id"
MAX_CLIENT_ID = 128
"""Longer ids are cut: a key is a Redis key, and a client must not make them arbitrarily large."""

BLUEPRINT_LIMITS = {
    "couplet": ("rate_limit_text", "rate_limit_address_text"),
    "match": ("rate_limit_text", "rate_limit_address_text"),
    "digits": ("rate_limit_text", "rate_limit_address_text"),
    "photo": ("rate_limit_photo", "rate_limit_address_photo"),
    "session": (None, "rate_limit_address_text"),
}
"""Blueprint name → the settings that hold its per-client and per-address limits (None: no such limit).
Blueprints that are not registered are skipped."""
NO_LOGIN = {"session"}
"""Limited blueprints that serve clients who have no token yet."""


def address_key() -> str:
    return "ip:" + (request.remote_addr or "unknown")


def client_key() -> str:
    if g.get("openid"):
        return "user:" + g.openid
    client = request.headers.get(CLIENT_HEADER, "").strip()
    if client:
        return "client:" + client[:MAX_CLIENT_ID]
    return address_key()


def client_openid() -> str | None:
    """Who the request is for, as WeChat's content check needs it: the logged-in user's openid, else
    the X-Client-Id the mini-program sends (its openid, unverified), else None."""
    return g.get("openid") or request.headers.get(CLIENT_HEADER, "").strip()[:MAX_CLIENT_ID] or None


def require_login(app: Flask, settings: Settings) -> None:
    """With login on, a limited route needs `Authorization: Bearer <token>`; the token's openid goes to g.

    Registered before the limiter, so its limits count the user the token names.
    """

    @app.before_request
    def check_token() -> None:
        if (
            request.method != "POST"
            or request.blueprint not in BLUEPRINT_LIMITS
            or request.blueprint in NO_LOGIN
        ):
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        openid = verified_openid(token.strip(), settings) if scheme.lower() == "bearer" else None
        if openid is None:
            raise LoginRequired(
                "log in first: POST /api/session with a wx.login() code, then send "
                "'Authorization: Bearer <token>'; a token expires after a while"
            )
        g.openid = openid


def init_limits(app: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(
        key_func=client_key,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        storage_options={"socket_timeout": 2, "socket_connect_timeout": 2} if settings.redis_url else {},
        strategy="moving-window",
        key_prefix="couplet",
        headers_enabled=True,
        # If Redis fails, limits fall back to memory in each process instead of failing the request.
        swallow_errors=True,
        in_memory_fallback_enabled=bool(settings.redis_url),
    )
    for name, (per_client, per_address) in BLUEPRINT_LIMITS.items():
        blueprint = app.blueprints.get(name)
        if blueprint is None:
            continue
        if per_client and getattr(settings, per_client):
            limiter.limit(getattr(settings, per_client), methods=["POST"])(blueprint)
        if getattr(settings, per_address):
            limiter.limit(getattr(settings, per_address), key_func=address_key, methods=["POST"])(blueprint)
    return limiter
