"""POST /api/digits/predict (a photo of one digit), POST /api/expression (strokes or an image) and the /digits page.

Both endpoints take their input in more than one form (multipart, a raw image body, or JSON strokes),
which APIFlask's single-location ``input`` cannot describe; their request bodies are written out in
``REQUEST_BODIES`` and added to the OpenAPI document by ``document_request_bodies``. Responses are
described by schemas as everywhere else.
"""

from __future__ import annotations

from pathlib import Path

from apiflask import APIBlueprint, Schema, fields
from apiflask.validators import OneOf
from flask import current_app, request, send_from_directory

from app.web.schemas import error_responses
from core.errors import UserError
from digits.grammar import ExpressionError
from digits.recognise import predict_digit, read_image, read_strokes, solve
from digits.resources import get_model, get_reader
from digits.segment import MAX_COORD, MAX_POINTS, MAX_STROKES, parse_strokes

bp = APIBlueprint("digits", __name__, tag="digits")

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

_BINARY = {"type": "string", "format": "binary"}
_IMAGE_FORMS = {kind: {"schema": _BINARY} for kind in ("image/png", "image/jpeg", "image/webp")}
_POINT = {
    "type": "array",
    "items": {"type": "number", "minimum": -MAX_COORD, "maximum": MAX_COORD},
    "minItems": 2,
    "maxItems": 2,
}
REQUEST_BODIES = {
    "/api/digits/predict": {
        "required": True,
        "description": "A photo or drawing of one digit: multipart field `image`, or the image as the body.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {"image": _BINARY, "model": {"type": "string", "enum": ["cnn", "fc"]}},
                }
            },
            **_IMAGE_FORMS,
        },
    },
    "/api/expression": {
        "required": True,
        "description": "Strokes as a canvas records them, or an image of the handwritten expression "
        f"(multipart field `image`, or the image as the body). At most {MAX_STROKES} strokes "
        f"and {MAX_POINTS} points.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["strokes"],
                    "properties": {
                        "strokes": {
                            "type": "array",
                            "maxItems": MAX_STROKES,
                            "items": {"type": "array", "minItems": 1, "items": _POINT},
                        }
                    },
                },
                "example": {"strokes": [[[10, 40], [30, 40]], [[20, 30], [20, 50]]]},
            },
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["image"], "properties": {"image": _BINARY}}
            },
            **_IMAGE_FORMS,
        },
    },
}


def document_request_bodies(spec: dict) -> dict:
    """The app's spec processor: adds the request bodies above to the generated document."""
    for path, body in REQUEST_BODIES.items():
        spec["paths"][path]["post"]["requestBody"] = body
    return spec


class PredictQuery(Schema):
    model = fields.String(
        validate=OneOf(["cnn", "fc"]),
        metadata={
            "description": "`cnn` (default) or the fully connected `fc` net; also accepted as a form field."
        },
    )


class DigitOut(Schema):
    digit = fields.Integer(
        required=True, allow_none=True, metadata={"description": "0–9, or null: see reason."}
    )
    confidence = fields.Float(required=True)
    probabilities = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": 'Each digit\'s probability, "0" to "9".'},
    )
    inverted = fields.Boolean(required=True, metadata={"description": "The image was light ink on dark."})
    reason = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why there is no digit: `blank` or `not_a_digit`; null when there is one."},
    )


class SymbolOut(Schema):
    char = fields.String(required=True, metadata={"description": "0-9, + - × ÷ ( ) or =."})
    confidence = fields.Float(required=True)
    box = fields.List(fields.Integer(), required=True, metadata={"description": "x0, y0, x1, y1."})


class ExpressionOut(Schema):
    expression = fields.String(required=True, metadata={"example": "(3+2)÷2"})
    value = fields.String(
        required=True, metadata={"description": "Exact: an integer or a fraction.", "example": "5/2"}
    )
    decimal = fields.String(required=True, metadata={"example": "2.5"})
    symbols = fields.List(fields.Nested(SymbolOut), required=True)


class ExpressionErrorOut(Schema):
    error = fields.String(
        required=True,
        metadata={
            "description": "e.g. `unbalanced_parentheses`, `division_by_zero`, `malformed`, `invalid_strokes`."
        },
    )
    message = fields.String(required=True)
    expression = fields.String(metadata={"description": "What was read, when something was."})
    symbols = fields.List(fields.Nested(SymbolOut))


def _uploaded_image() -> bytes | None:
    """The image of a multipart upload (field "image", else the first file) or of a raw image/* body."""
    if request.files:
        upload = request.files.get("image") or next(iter(request.files.values()))
        data = upload.read()
        if not data:
            raise UserError("the uploaded image is empty", code="missing_image")
        return data
    if (request.mimetype or "").startswith("image/") or request.mimetype == "application/octet-stream":
        data = request.get_data()
        return data or None
    return None


@bp.post("/api/digits/predict")
@bp.input(PredictQuery, location="query", arg_name="query")
@bp.output(DigitOut)
@bp.doc(responses=error_responses(400, 413, 429, 503))
def predict(query: dict):
    """The digit in a photo

    Any size, colour or grey, dark ink on light paper or the reverse. `digit` is null with a
    `reason` when the image is blank or nothing is confident enough.
    """
    image = _uploaded_image()
    if image is None:
        raise UserError(
            "send an image as a multipart field 'image' or as an image/* body", code="missing_image"
        )
    kind = query.get("model") or request.form.get("model") or "cnn"
    if kind not in ("cnn", "fc"):
        raise UserError("'model' must be 'cnn' or 'fc'", code="invalid_field")
    settings = current_app.config["SETTINGS"]
    return predict_digit(image, get_model(kind, settings)).to_dict()


@bp.post("/api/expression")
@bp.output(ExpressionOut)
@bp.doc(
    responses={
        **error_responses(413, 429, 503),
        400: {
            "description": "Bad input, or handwriting that is not a valid expression",
            "content": {"application/json": {"schema": ExpressionErrorOut}},
        },
    }
)
def expression():
    """Solve a handwritten expression

    Digits, + - × ÷ ( ) and an optional trailing =, evaluated exactly (÷ gives fractions).
    """
    settings = current_app.config["SETTINGS"]
    image = _uploaded_image()
    if image is None:
        body = request.get_json(silent=True)
        if body is None:
            raise UserError(
                "send JSON {\"strokes\": [[[x, y], ...], ...]} or an image upload (field 'image')",
                code="invalid_request",
            )
        if not isinstance(body, dict) or "strokes" not in body:
            raise UserError("'strokes' is required", code="missing_field")
        strokes = parse_strokes(body)
        symbols = read_strokes(strokes, get_reader(settings))
    else:
        symbols = read_image(image, get_reader(settings))
    return solve(symbols)


@bp.errorhandler(ExpressionError)
def expression_error(exc: ExpressionError):
    # Not through the output schema: a reading that is not an expression still shows what was read.
    return {
        "error": exc.code,
        "message": str(exc),
        "expression": getattr(exc, "expression", ""),
        "symbols": getattr(exc, "symbols", []),
    }, exc.status


@bp.get("/digits")
@bp.doc(hide=True)
def page():
    return send_from_directory(STATIC_DIR, "digits.html")
