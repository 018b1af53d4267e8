"""Rate limits per client: in process by default, in Redis (shared by every replica) with REDIS_URL.

A client is the `X-Client-Id` header the mini-program sends (the user's openid), else the remote
address. Behind proxies, `COUPLET_TRUST_PROXY=N` makes the app take the address from the last N
entries of X-Forwarded-For (werkzeug's ProxyFix, applied in the app factory); with 0 the header is
ignored, so a client cannot pick its own key by sending one.

Limits apply to the POST routes of the blueprints named in BLUEPRINT_LIMITS, each route counted on
its own; health, metrics, docs, pages and result downloads are not limited. A client over its limit
gets 429 with a Retry-After header and the usual JSON error body.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from flask_limiter import Limiter

from core.settings import Settings

log = logging.getLogger(__name__)

CLIENT_HEADER = "X-Client-Id"
MAX_CLIENT_ID = 128
"""Longer ids are cut: a key is a Redis key, and a client must not make them arbitrarily large."""

BLUEPRINT_LIMITS = {
    "couplet": "rate_limit_text",
    "match": "rate_limit_text",
    "digits": "rate_limit_text",
    "photo": "rate_limit_photo",
}
"""Blueprint name → the setting that holds its limit. Blueprints that are not registered are skipped."""


def client_key() -> str:
    client = request.headers.get(CLIENT_HEADER, "").strip()
    if client:
        return "client:" + client[:MAX_CLIENT_ID]
    return "ip:" + (request.remote_addr or "unknown")


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
    for name, setting in BLUEPRINT_LIMITS.items():
        blueprint = app.blueprints.get(name)
        value = getattr(settings, setting)
        if blueprint is not None and value:
            limiter.limit(value, methods=["POST"])(blueprint)
    return limiter
