"""The Flask app factory. Views are thin: they parse requests and call domain functions."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from couplet.errors import DataError, UserError
from couplet.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    app.json.ensure_ascii = False

    from couplet.web.couplet_api import bp as couplet_bp
    from couplet.web.pages import bp as pages_bp
    from digits.web import bp as digits_bp

    app.register_blueprint(couplet_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(digits_bp)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error=code, message=exc.description), exc.code

    @app.errorhandler(DataError)
    def data_error(exc: DataError):
        app.logger.error("service not ready: %s", exc)
        return jsonify(error="not_ready", message=str(exc)), 503

    @app.errorhandler(UserError)
    def user_error(exc: UserError):
        return jsonify(error=getattr(exc, "code", "bad_request"), message=str(exc)), 400

    return app

