"""Photo to couplet over HTTP (documented in the OpenAPI document at /openapi.json and /docs).

POST /api/photo                  multipart, field `file` (JPEG, PNG or WebP, at most 10 MB)
    → {"id", "tags", "candidates": [{"upper", "lower", "horizontal"}] × 3, "image_url"}
POST /api/photo/<id>/render      {"candidate": 1} (1-based: 1, 2 or 3) or {"upper", "lower", "horizontal"}
    → {"image_url"}
POST /api/photo/<id>/regenerate  → {"id", "candidates"}: new lower lines and 横批 for the same upper lines
GET  /api/results/<id>.jpg       the rendered JPEG
POST /api/couplet/render         {"upper", "lower", "banner"} → {"image_url", ...}: 春联 on red paper, no photo

Errors are JSON {"error", "message"}: 400 bad image or edit, 404 unknown or expired id, 413 over
10 MB, 415 not JPEG/PNG/WebP, 502/503 when tagging fails. POST /api/photo answers with a
Server-Timing header giving the milliseconds of each stage.
"""

from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint, FileSchema, Schema, fields
from apiflask.validators import OneOf, Range
from flask import Response, current_app
from werkzeug.exceptions import NotFound

from app.limits import client_openid
from app.web.schemas import JsonInteger, RedPaperIn, RedPaperOut, error_responses
from core.errors import UserError
from couplet.safety import check_user_text
from photo import pipeline as photo
from photo.redpaper import draw_red_paper
from photo.results import get_result_store
from photo.session import Drawing
from vision.tags import KINDS

bp = APIBlueprint("photo", __name__, tag="photo")

TAGGING_FAILED = {502: "A cloud tagger failed or could not be reached"}


class PhotoIn(Schema):
    file = fields.File(
        required=True,
        metadata={"description": "The photo: JPEG, PNG or WebP (checked by its content), at most 10 MB."},
    )


class TagOut(Schema):
    name = fields.String(required=True, metadata={"description": "Chinese word, e.g. 山.", "example": "山"})
    confidence = fields.Float(required=True, metadata={"description": "0–1."})
    source = fields.String(
        required=True, metadata={"description": "The tagger: local, azure, baidu or a plug-in."}
    )
    name_en = fields.String(allow_none=True, metadata={"description": "English class name, where known."})
    theme = fields.String(
        allow_none=True, metadata={"description": "Coarse theme (动物, 水, 山 …), where known."}
    )
    kind = fields.String(
        required=True,
        validate=OneOf(KINDS),
        metadata={
            "description": "object: a thing in the photo; scene: the place or landscape (山, 湖, 古建筑); "
            "mood: time of day, season or weather (夕阳, 夜, 雪, 雾).",
            "example": "scene",
        },
    )


class CoupletOut(Schema):
    upper = fields.String(required=True, metadata={"description": "上联, drawn on the right scroll."})
    lower = fields.String(required=True, metadata={"description": "下联, drawn on the left scroll."})
    horizontal = fields.String(
        required=True, metadata={"description": "横批, four characters read left to right."}
    )


class PhotoOut(Schema):
    id = fields.String(required=True, metadata={"description": "The photo's id for /render and /regenerate."})
    tags = fields.List(fields.Nested(TagOut), required=True)
    candidates = fields.List(
        fields.Nested(CoupletOut),
        required=True,
        metadata={"description": "Three couplets, numbered 1, 2, 3 by /render."},
    )
    image_url = fields.String(required=True, metadata={"description": "Candidate 1, already rendered."})


class RenderIn(Schema):
    candidate = JsonInteger(
        validate=Range(1, photo.CANDIDATES),
        metadata={
            "description": "Which candidate to draw, 1-based (1, 2 or 3). Leave it out to send your own couplet."
        },
    )
    upper = fields.String(
        metadata={"description": "Your 上联 (with lower and horizontal, instead of candidate)."}
    )
    lower = fields.String(
        metadata={
            "description": "Your 下联: same length and punctuation, no character of the "
            "upper line, repeats mirrored."
        }
    )
    horizontal = fields.String(metadata={"description": "Your 横批: four Chinese characters."})


class RenderOut(Schema):
    image_url = fields.String(required=True)


class RegenerateOut(Schema):
    id = fields.String(required=True)
    candidates = fields.List(fields.Nested(CoupletOut), required=True)


def _image_url(result_id: str) -> str:
    return f"/api/results/{result_id}.jpg"


@bp.post("/api/photo")
@bp.input(PhotoIn, location="files", arg_name="files")
@bp.output(PhotoOut)
@bp.doc(responses={**error_responses(400, 413, 415, 429, 503), **TAGGING_FAILED})
def upload(files: dict):
    """Couplets for a photo

    Tags the photo, matches three upper lines to the tags, writes their lower lines, picks a 横批 for
    each and renders the first. The Server-Timing header gives each stage's milliseconds.
    """
    session = photo.create(files["file"].read(), current_app.config["SETTINGS"], client_openid())
    body = {
        "id": session.id,
        "tags": [{**asdict(t), "confidence": round(t.confidence, 4)} for t in session.tags],
        "candidates": [asdict(c) for c in session.candidates],
        "image_url": _image_url(session.result_id),
    }
    timing = ", ".join(f"{k};dur={v:.1f}" for k, v in session.timings.stages.items())
    return body, 200, {"Server-Timing": timing}


@bp.post("/api/photo/<session_id>/render")
@bp.input(RenderIn, arg_name="body")
@bp.output(RenderOut)
@bp.doc(responses=error_responses(400, 404, 415, 429))
def render(session_id: str, body: dict):
    """Draw a couplet on the photo

    Either a candidate by its number (1-based) or the user's own couplet, checked by the rules
    (400 naming the rule it breaks). Every render gets a new image URL.
    """
    settings = current_app.config["SETTINGS"]
    if "candidate" in body:
        return {"image_url": _image_url(photo.render_candidate(session_id, body["candidate"], settings))}
    missing = [name for name in ("upper", "lower", "horizontal") if name not in body]
    if missing:
        raise UserError(
            "send {\"candidate\": n} (1-based) or all of 'upper', 'lower' and "
            f"'horizontal'; missing: {', '.join(missing)}",
            code="missing_field",
        )
    couplet = photo.checked_couplet(body["upper"], body["lower"], body["horizontal"], settings)
    check_user_text([couplet.upper, couplet.lower, couplet.horizontal], settings, client_openid())
    result_id = photo.render_custom(session_id, couplet, settings)
    return {"image_url": _image_url(result_id)}


@bp.post("/api/photo/<session_id>/regenerate")
@bp.output(RegenerateOut)
@bp.doc(responses=error_responses(404, 429, 503))
def regenerate(session_id: str):
    """New lower lines for the same upper lines

    Samples new lower lines (a fresh seed each time) and picks new 横批; the photo keeps them, so
    /render's candidate numbers refer to the new ones.
    """
    candidates = photo.regenerate(session_id, current_app.config["SETTINGS"], client_openid())
    return {"id": session_id, "candidates": [asdict(c) for c in candidates]}


@bp.post("/api/couplet/render")
@bp.input(RedPaperIn, arg_name="body")
@bp.output(RedPaperOut)
@bp.doc(responses=error_responses(400, 413, 415, 429, 503))
def render_red_paper(body: dict):
    """Draw a couplet on red paper

    The couplet as 春联 beside a door, with no photo: the same scrolls, 横批 and checks as a couplet drawn
    on a photo (400 `invalid_upper`, `invalid_lower`, `broken_rule` naming the rule, `invalid_horizontal`
    for the banner, `unsafe_content`). The JPEG is kept and served like a photo's result.
    """
    settings = current_app.config["SETTINGS"]
    couplet = photo.checked_couplet(body["upper"], body["lower"], body["banner"], settings)
    check_user_text([couplet.upper, couplet.lower, couplet.horizontal], settings, client_openid())
    result_id = draw_red_paper(couplet, settings)
    return {
        "image_url": _image_url(result_id),
        "upper": couplet.upper,
        "lower": couplet.lower,
        "banner": couplet.horizontal,
    }


@bp.get("/api/results/<result_id>.jpg")
@bp.output(FileSchema, content_type="image/jpeg", description="The rendered JPEG")
@bp.doc(responses=error_responses(404))
def result(result_id: str):
    """A rendered image

    Results expire (COUPLET_RESULT_TTL, a day by default); unknown or expired ids are 404.
    """
    settings = current_app.config["SETTINGS"]
    data = Drawing.jpeg(get_result_store(settings), result_id)
    if data is None:
        raise NotFound("no such result: the id is wrong or the image has expired")
    response = Response(data, mimetype="image/jpeg")
    # A result never changes (every render gets a new id), so browsers may keep it until it expires.
    response.headers["Cache-Control"] = f"private, max-age={int(settings.result_ttl)}, immutable"
    return response
