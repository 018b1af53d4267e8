"""POST /api/digits/predict (a photo of one digit), POST /api/expression (strokes or an image) and the /digits page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_from_directory

from couplet.errors import UserError
from digits.grammar import ExpressionError
from digits.recognise import predict_digit, read_image, read_strokes, solve
from digits.segment import parse_strokes
from digits.store import get_model, get_reader

bp = Blueprint("digits", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"


class DigitsRequestError(UserError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _uploaded_image() -> bytes | None:
    """The image of a multipart upload (field "image", else the first file) or of a raw image/* body."""
    if request.files:
        upload = request.files.get("image") or next(iter(request.files.values()))
        data = upload.read()
        if not data:
            raise DigitsRequestError("missing_image", "the uploaded image is empty")
        return data
    if (request.mimetype or "").startswith("image/") or request.mimetype == "application/octet-stream":
        data = request.get_data()
        return data or None
    return None


@bp.post("/api/digits/predict")
def predict():
    image = _uploaded_image()
    if image is None:
        raise DigitsRequestError("missing_image", "send an image as a multipart field 'image' or as an image/* body")
    kind = request.args.get("model") or request.form.get("model") or "cnn"
    if kind not in ("cnn", "fc"):
        raise DigitsRequestError("invalid_field", "'model' must be 'cnn' or 'fc'")
    settings = current_app.config["SETTINGS"]
    return jsonify(predict_digit(image, get_model(kind, settings)).to_dict())


@bp.post("/api/expression")
def expression():
    settings = current_app.config["SETTINGS"]
    image = _uploaded_image()
    if image is None:
        body = request.get_json(silent=True)
        if body is None:
            raise DigitsRequestError(
                "invalid_request", 'send JSON {"strokes": [[[x, y], ...], ...]} or an image upload (field \'image\')'
            )
        if not isinstance(body, dict) or "strokes" not in body:
            raise DigitsRequestError("missing_field", "'strokes' is required")
        strokes = parse_strokes(body)
        symbols = read_strokes(strokes, get_reader(settings))
    else:
        symbols = read_image(image, get_reader(settings))
    try:
        return jsonify(solve(symbols))
    except ExpressionError as exc:
        return jsonify(error=exc.code, message=str(exc), expression=getattr(exc, "expression", ""),
                       symbols=getattr(exc, "symbols", [])), 400


@bp.get("/digits")
def page():
    return send_from_directory(STATIC_DIR, "digits.html")
