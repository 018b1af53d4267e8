"""Per-request observability: the request id, the latency histogram and one JSON access-log line.

The id comes from the caller's X-Request-Id when it is a sane token (so a proxy's or the
mini-program's id follows the request through our logs), else a new one; it is echoed in the
response. The access log names the route, status and time, never the query string or headers, where
tokens travel.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from core.telemetry import REQUEST_LATENCY

log = logging.getLogger("couplet.access")

REQUEST_ID_HEADER = "X-Request-Id"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_observability(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if SANE_ID.fullmatch(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        started = g.get("started")
        if started is None:  # the request failed before `start` ran
            return response
        seconds = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUEST_LATENCY.labels(
            endpoint=endpoint, method=request.method, status=str(response.status_code)
        ).observe(seconds)
        response.headers[REQUEST_ID_HEADER] = g.request_id
        log.info(
            "%s %s %d",
            request.method,
            endpoint,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                "remote_addr": request.remote_addr,
            },
        )
        return response
