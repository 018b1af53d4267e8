"""POST /api/couplet: lower lines for an upper line; and the editing routes beside it: refill a lower line
around the characters kept, other characters for one position, upper lines for a lower line."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app

from app.cache import answer_key, cached, get_answer_cache, model_fingerprint
from app.limits import client_openid
from app.web.schemas import (
    AlternativesIn,
    AlternativesOut,
    CoupletIn,
    CoupletOut,
    RefillIn,
    UpperIn,
    UpperOut,
    error_responses,
)
from core.settings import Settings
from core.telemetry import stage_timer
from couplet.couplets import alternatives, checked_lower, checked_upper, generate, refill, uppers_for
from couplet.model.generator import DecodeOptions
from couplet.rules import validate_line
from couplet.safety import screen

bp = APIBlueprint("couplet", __name__, tag="couplet")
ERRORS = error_responses(400, 413, 415, 429, 503)


@bp.post("/api/couplet")
@bp.input(CoupletIn, arg_name="body")
@bp.output(CoupletOut)
@bp.doc(responses=ERRORS)
def couplet(body: dict):
    """Lower lines for an upper line

    Ranked lower lines (下联) written under the formal rules of a couplet, each with its rule results.
    Beam search (the default) and seeded sampling are deterministic and cached.
    """
    settings = current_app.config["SETTINGS"]
    line = checked_upper(body["upper"], settings)
    n = body["n"]
    options = _options(body)

    def write() -> list[dict]:
        with stage_timer("generate"):
            return [c.to_dict() for c in generate(line, n, options, settings)]

    key = answer_key(line, n, options, model_fingerprint(settings))
    candidates = cached(get_answer_cache(settings), key, write)
    return {"upper": line, "candidates": _safe(line, candidates, "lower", settings)}


@bp.post("/api/couplet/refill")
@bp.input(RefillIn, arg_name="body")
@bp.output(CoupletOut)
@bp.doc(responses=ERRORS)
def couplet_refill(body: dict):
    """Refill a lower line around the characters kept

    Lower lines that keep every character of the pattern (`?` or `？` marks a position to fill) and
    fill the open positions under the hard rules. Kept characters that break a hard rule themselves
    are a 400 whose code is the rule (`no_reuse`, `repeats_mirrored`, `punctuation`, `equal_length`,
    `bad_word`, `not_chinese`) and whose message names the position.
    """
    settings = current_app.config["SETTINGS"]
    line = checked_upper(body["upper"], settings)
    with stage_timer("refill"):
        candidates = [c.to_dict() for c in refill(line, body["pattern"], body["n"], _options(body), settings)]
    return {"upper": line, "candidates": _safe(line, candidates, "lower", settings)}


@bp.post("/api/couplet/alternatives")
@bp.input(AlternativesIn, arg_name="body")
@bp.output(AlternativesOut)
@bp.doc(responses=ERRORS)
def couplet_alternatives(body: dict):
    """Other characters for one position of a lower line

    The best characters for the position (counted from 1), each with the whole lower line it makes,
    scored by the model over the whole line and passing every hard rule. The rest of the lower line
    must pass the hard rules (a 400 names the rule and the position otherwise).
    """
    settings = current_app.config["SETTINGS"]
    # A blocked word may stand at the position asked about: that is what the user wants replaced.
    line, lower = checked_upper(body["upper"], settings), validate_line(body["lower"], "lower line")
    with stage_timer("alternatives"):
        found = [a.to_dict() for a in alternatives(line, lower, body["position"], body["k"], settings)]
    return {
        "upper": line,
        "lower": lower,
        "position": body["position"],
        "alternatives": _safe(line, found, "lower", settings),
    }


@bp.post("/api/couplet/upper")
@bp.input(UpperIn, arg_name="body")
@bp.output(UpperOut)
@bp.doc(responses=ERRORS)
def couplet_upper(body: dict):
    """Upper lines for a lower line

    The other direction: upper lines (上联) for a given lower line, by the same model and constrained
    search with the given line as the source, ranked with the upper line's ending on 仄.
    """
    settings = current_app.config["SETTINGS"]
    lower = checked_lower(body["lower"], settings)
    with stage_timer("upper"):
        candidates = [c.to_dict() for c in uppers_for(lower, body["n"], _options(body), settings)]
    return {"lower": lower, "candidates": _safe(lower, candidates, "upper", settings)}


def _options(body: dict) -> DecodeOptions:
    return DecodeOptions(
        sample=body["sample"], seed=body["seed"], temperature=body["temperature"], top_k=body["top_k"]
    )


def _safe(given: str, written: list[dict], key: str, settings: Settings) -> list[dict]:
    """The written lines (``key`` of each) that couplet.safety.screen lets through beside the given line."""
    safe = set(screen(given, [w[key] for w in written], settings, client_openid()))
    return [w for w in written if w[key] in safe]
