"""Whole couplets written for a user: from keywords or an occasion, hiding two characters (藏头 / 藏尾),
and 横批 for a couplet the user has."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app

from app.limits import client_openid
from app.web.schemas import AcrosticIn, BannerIn, BannerOut, WriteIn, WrittenOut, error_responses
from core.telemetry import stage_timer
from couplet.banner import banners
from couplet.couplets import checked_lower, checked_upper
from couplet.rules import Couplet, InvalidUpper
from couplet.safety import check_user_text, safe_couplets
from couplet.writing import WrittenCouplet, acrostic, write

bp = APIBlueprint("writing", __name__, tag="couplet")
ERRORS = error_responses(400, 413, 415, 429, 503)


@bp.post("/api/couplet/write")
@bp.input(WriteIn, arg_name="body")
@bp.output(WrittenOut)
@bp.doc(responses=ERRORS)
def write_couplets(body: dict):
    """A whole couplet from keywords or an occasion

    Couplets whose upper line the model writes from the keywords (and the occasion's words, and the
    year's zodiac animal), with a lower line and a 横批 written for it, under every rule of a couplet.
    Couplets that hold every keyword rank first.
    """
    settings = current_app.config["SETTINGS"]
    check_user_text([w for w in [*body["keywords"], body["theme"]] if w], settings, client_openid())
    with stage_timer("write"):
        found = write(body["keywords"], body["theme"], body["year"], body["length"], body["n"], settings)
    return {"couplets": _safe(found, settings)}


@bp.post("/api/couplet/acrostic")
@bp.input(AcrosticIn, arg_name="body")
@bp.output(WrittenOut)
@bp.doc(responses=ERRORS)
def acrostic_couplets(body: dict):
    """A couplet hiding two characters (藏头 / 藏尾)

    The first character stands at the head (or the tail) of the upper line, the second at the same place
    in the lower line. At the tail the tones are fixed: the first must read 仄 and the second 平 (a 400
    `bad_tones` says which does not). `banner` puts four characters of the user's across the 横批.
    """
    settings = current_app.config["SETTINGS"]
    check_user_text(
        [t for t in (body["chars"], body["theme"], body["banner"]) if t], settings, client_openid()
    )
    with stage_timer("acrostic"):
        found = acrostic(
            body["chars"], body["length"], body["at"], body["theme"], body["banner"], body["n"], settings
        )
    return {"couplets": _safe(found, settings)}


@bp.post("/api/couplet/banner")
@bp.input(BannerIn, arg_name="body")
@bp.output(BannerOut)
@bp.doc(responses=ERRORS)
def couplet_banner(body: dict):
    """横批 for a couplet

    Four-character 横批 written for the couplet from its words and ranked by the matcher's encoder; none
    says a word of the couplet again. Classic ones fill in where too few written ones pass.
    """
    settings = current_app.config["SETTINGS"]
    upper, lower = checked_upper(body["upper"], settings), checked_lower(body["lower"], settings)
    if len(upper) != len(lower):
        raise InvalidUpper("the two lines must be equally long", code="equal_length")
    with stage_timer("banner"):
        found = banners(upper, lower, body["n"], settings)
    return {"banners": [b.text for b in found], "sources": [b.source for b in found]}


def _safe(found: list[WrittenCouplet], settings) -> list[dict]:
    shown = safe_couplets([Couplet(c.upper, c.lower, c.banner) for c in found], settings, client_openid())
    kept = {(c.upper, c.lower, c.horizontal) for c in shown}
    return [c.to_dict() for c in found if (c.upper, c.lower, c.banner) in kept]
