"""Every error is JSON `{"error": code, "message": text}` with the right status; never an HTML page.

- UserError → its own status and code (core/errors.py): 400 for bad input, 404 an unknown photo, 415 not an
  image we take, 502/503 a tagger that failed or is not set up, 503 `not_ready` for missing data (DataError).
- Request validation against a schema → 400 `missing_field` / `invalid_field` / `invalid_json`.
- Any werkzeug HTTPException → its own status (404, 405, 413, 415, 429…) and headers (Allow,
  Retry-After); the code is its name in snake case.
- Redis down → 503; anything else → 500 `internal_error`, logged with its traceback.
"""

from __future__ import annotations

import logging

import redis
from apiflask import APIFlask, HTTPError
from flask import jsonify
from marshmallow import fields
from werkzeug.exceptions import HTTPException, InternalServerError, TooManyRequests

from core.errors import UserError

log = logging.getLogger(__name__)

REQUIRED_MESSAGE = fields.Field.default_error_messages["required"]


def error_response(status: int, code: str, message: str, headers=None):
    response = jsonify(error=code, message=message)
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _flatten(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested {field: [messages]} → [(field path, message)]."""
    if isinstance(messages, dict):
        return [pair for key, value in messages.items() for pair in _flatten(value, f"{prefix}{key}.")]
    if isinstance(messages, list | tuple):
        return [pair for value in messages for pair in _flatten(value, prefix)]
    return [(prefix.rstrip("."), str(messages))]


def validation_error(error: HTTPError):
    """A schema rejected the request: name the fields and what is wrong with them."""
    # webargs nests the messages under the location (json, query, form…); it is not part of the field name.
    problems = [pair for messages in error.detail.values() for pair in _flatten(messages)]
    if any(name == "_schema" for name, _ in problems):
        return error_response(400, "invalid_json", "the request body must be a JSON object")
    code = "missing_field" if any(message == REQUIRED_MESSAGE for _, message in problems) else "invalid_field"
    text = "; ".join(f"'{name}': {message}" for name, message in problems)
    return error_response(400, code, text or error.message or "invalid request")


def http_error(exc: HTTPException):
    if isinstance(getattr(exc, "exc", None), ValueError):
        # webargs attaches the JSONDecodeError / UnicodeDecodeError of a body that is not JSON.
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    code = (exc.name or "error").lower().replace(" ", "_")
    message = exc.description or exc.name
    if isinstance(exc, TooManyRequests):
        # Flask-Limiter's description is the limit itself; Retry-After is added by its after_request hook.
        message = (
            f"too many requests from this client (limit: {exc.description}); retry after Retry-After seconds"
        )
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_response(exc.code or 500, code, message, headers)


def register_error_handlers(app: APIFlask) -> None:
    @app.error_processor
    def api_error(error: HTTPError):
        if error.detail:
            return validation_error(error)
        return error_response(
            error.status_code,
            (error.message or "error").lower().replace(" ", "_"),
            error.message or "error",
            error.headers,
        )

    app.register_error_handler(HTTPException, http_error)

    @app.errorhandler(UserError)
    def user_error(exc: UserError):
        if exc.status >= 500:
            # Not the user's fault but ours (missing data, a tagger not set up) or upstream's: worth a look.
            log.error("%s: %s", exc.code, exc)
        return error_response(exc.status, exc.code, str(exc))

    @app.errorhandler(redis.RedisError)
    def redis_error(exc: redis.RedisError):
        log.error("redis unavailable: %s", exc)
        return error_response(503, "unavailable", "a backing service is unavailable; try again shortly")

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        original = exc.original_exception or exc
        log.error("unhandled error", exc_info=(type(original), original, original.__traceback__))
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
