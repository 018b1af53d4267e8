"""POST /api/couplet: lower lines for an upper line."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from couplet.couplets import MAX_CANDIDATES, checked_upper, generate
from couplet.errors import UserError
from couplet.model.generator import DecodeOptions

bp = Blueprint("couplet", __name__)


class BadRequest(UserError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", "the request body must be a JSON object (Content-Type: application/json)")
    return body


def field(body: dict, name: str, kind: type, default=None, lo=None, hi=None):
    value = body.get(name, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if value is None or not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadRequest("invalid_field", f"'{name}' must be a {kind.__name__}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadRequest("invalid_field", f"'{name}' must be between {lo} and {hi}")
    return value


@bp.post("/api/couplet")
def couplet():
    body = json_body()
    if "upper" not in body:
        raise BadRequest("missing_field", "'upper' is required")
    upper = field(body, "upper", str)
    n = field(body, "n", int, 3, 1, MAX_CANDIDATES)
    sample = field(body, "sample", bool, False)
    seed = body.get("seed")
    if seed is not None:
        seed = field(body, "seed", int, None, 0, 2**31 - 1)
    options = DecodeOptions(
        sample=sample,
        seed=seed,
        temperature=field(body, "temperature", float, 1.0, 0.1, 2.0),
        top_k=field(body, "top_k", int, 20, 1, 200),
    )
    settings = current_app.config["SETTINGS"]
    line = checked_upper(upper, settings)
    candidates = generate(line, n, options, settings)
    return jsonify(upper=line, candidates=[c.to_dict() for c in candidates])
