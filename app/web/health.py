"""Health and metrics: /healthz (the process answers), /readyz (everything it serves with is loaded), /metrics.

/readyz loads what is not loaded yet, so a fresh worker becomes ready through its first probe rather
than on its first user's request; a model that has loaded stays loaded, so later probes only ping Redis.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apiflask import APIBlueprint
from flask import Response, current_app

from app.web.schemas import Health, Readiness
from core.errors import DataError
from core.settings import Settings
from core.telemetry import exposition
from couplet.resources import get_badwords, get_corpus, get_generator, get_vector_index

log = logging.getLogger(__name__)

bp = APIBlueprint("health", __name__, tag="health")


def _tagger(settings: Settings) -> None:
    from vision.local import LocalTagger, get_model
    from vision.registry import get_tagger

    for _, tagger in get_tagger(settings).members:
        if isinstance(tagger, LocalTagger):
            get_model(tagger.variant)


def _matcher(settings: Settings) -> None:
    # Without an encoder the matcher falls back to the corpus store's word postings.
    if settings.matcher_dir.exists():
        if get_vector_index(settings) is None:
            raise DataError(
                f"no usable vector index in {settings.index_dir} (the worker's log says why): "
                "run `couplet index build`"
            )
    else:
        get_corpus(settings)


def _redis(settings: Settings) -> None:
    from core.redisconn import get_redis

    if settings.redis_url:
        get_redis(settings.redis_url).ping()


CHECKS: dict[str, Callable[[Settings], object]] = {
    "badwords": get_badwords,
    "generator": get_generator,
    "tagger": _tagger,
    "matcher": _matcher,
    "redis": _redis,
}
"""What must load (or answer) before a worker takes traffic."""
LIVE = {"redis"}
"""Checks asked again on every probe; the others, once passed, stay passed (a loaded model stays loaded)."""

_passed: set[tuple[Settings, str]] = set()
_passed_lock = threading.Lock()


def readiness(settings: Settings) -> dict[str, str]:
    """Each check's result: `ok` or the reason it failed."""
    results = {}
    for name, check in CHECKS.items():
        if (settings, name) in _passed:
            results[name] = "ok"
            continue
        try:
            check(settings)
        except Exception as e:  # a probe reports every failure; it must never fail itself
            log.warning("readiness check %s failed: %s", name, e)
            results[name] = f"{type(e).__name__}: {e}"
            continue
        results[name] = "ok"
        if name not in LIVE:
            with _passed_lock:
                _passed.add((settings, name))
    return results


@bp.get("/healthz")
@bp.output(Health)
def healthz():
    """The process is up"""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.output(Readiness)
@bp.doc(responses={503: "Not ready: `checks` says what is missing"})
def readyz():
    """Models, data and backing services are loaded and answering"""
    checks = readiness(current_app.config["SETTINGS"])
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
@bp.doc(hide=True)
def metrics():
    body, content_type = exposition()
    return Response(body, content_type=content_type)
