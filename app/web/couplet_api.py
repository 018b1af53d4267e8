"""POST /api/couplet: lower lines for an upper line."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app

from app.cache import answer_key, cached, get_answer_cache, model_fingerprint
from app.limits import client_openid
from app.web.schemas import CoupletIn, CoupletOut, error_responses
from core.telemetry import stage_timer
from couplet.couplets import checked_upper, generate
from couplet.model.generator import DecodeOptions
from couplet.safety import screen

bp = APIBlueprint("couplet", __name__, tag="couplet")


@bp.post("/api/couplet")
@bp.input(CoupletIn, arg_name="body")
@bp.output(CoupletOut)
@bp.doc(responses=error_responses(400, 413, 415, 429, 503))
def couplet(body: dict):
    """Lower lines for an upper line

    Ranked lower lines (下联) written under the formal rules of a couplet, each with its rule results.
    Beam search (the default) and seeded sampling are deterministic and cached.
    """
    settings = current_app.config["SETTINGS"]
    line = checked_upper(body["upper"], settings)
    n = body["n"]
    options = DecodeOptions(sample=body["sample"], seed=body["seed"], temperature=body["temperature"],
                            top_k=body["top_k"])

    def write() -> list[dict]:
        with stage_timer("generate"):
            return [c.to_dict() for c in generate(line, n, options, settings)]

    key = answer_key(line, n, options, model_fingerprint(settings))
    candidates = cached(get_answer_cache(settings), key, write)
    safe = set(screen(line, [c["lower"] for c in candidates], settings, client_openid()))
    return {"upper": line, "candidates": [c for c in candidates if c["lower"] in safe]}
