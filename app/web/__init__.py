"""The app factory. Views are thin: they parse requests and call domain functions.

One app serves every blueprint (couplet, photo, digits, pages, health). What it shares between
processes and replicas depends on REDIS_URL: without it rate limits and the answer cache live in
each process (one machine, nothing else to run); with it both live in Redis. The OpenAPI document is
generated from the schemas at /openapi.json; /docs shows it with a Swagger UI served from this app
(the swagger-ui-bundle package), so the docs work without a CDN.
"""

from __future__ import annotations

from pathlib import Path

from apiflask import APIFlask
from flask import request, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

from app.limits import init_limits, require_login
from app.login import check_config
from app.web.errors import register_error_handlers
from app.web.observe import init_observability
from app.web.schemas import Error
from app.web.uploads import BodyDeadline
from core.errors import UserError
from core.logs import configure_logging
from core.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DOCS_ASSETS = "/docs/assets"


def create_app(settings: Settings | None = None) -> APIFlask:
    settings = settings or Settings.from_env()
    check_config(settings)
    configure_logging(settings)
    app = APIFlask(
        __name__,
        title="联景联情 API",
        version="1",
        static_folder=str(STATIC_DIR),
        static_url_path="/static",
        docs_ui="swagger-ui",
        json_errors=False,
    )
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=int(settings.max_request_mb * 1024 * 1024),
        # 3.0, not 3.1: the bundled Swagger UI (4.x) renders 3.0 documents.
        OPENAPI_VERSION="3.0.3",
        VALIDATION_ERROR_STATUS_CODE=400,
        VALIDATION_ERROR_DESCRIPTION="Invalid request: `missing_field`, `invalid_field` or `invalid_json`",
        VALIDATION_ERROR_SCHEMA=Error,
        HTTP_ERROR_SCHEMA=Error,
        SWAGGER_UI_CSS=f"{DOCS_ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{DOCS_ASSETS}/favicon-32x32.png",
    )
    app.json.ensure_ascii = False
    app.wsgi_app = BodyDeadline(app.wsgi_app, settings.upload_seconds, app.config["MAX_CONTENT_LENGTH"])
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trust_proxy, x_proto=settings.trust_proxy)

    from app.web.couplet_api import bp as couplet_bp
    from app.web.digits_api import bp as digits_bp
    from app.web.digits_api import document_request_bodies
    from app.web.health import bp as health_bp
    from app.web.match_api import bp as match_bp
    from app.web.pages import bp as pages_bp
    from app.web.photo_api import bp as photo_bp
    from app.web.writing_api import bp as writing_bp

    init_observability(app)  # first, so that every other hook's rejections are timed and logged
    app.register_blueprint(couplet_bp)
    app.register_blueprint(writing_bp)
    app.register_blueprint(match_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(photo_bp)
    app.register_blueprint(digits_bp)
    app.register_blueprint(health_bp)
    if settings.login:
        from app.web.session_api import bp as session_bp

        app.register_blueprint(session_bp)
    app.spec_processor(document_request_bodies)

    @app.get(f"{DOCS_ASSETS}/<path:name>")
    @app.doc(hide=True)
    def docs_asset(name: str):
        return send_from_directory(swagger_ui_path, name, max_age=86400)

    @app.before_request
    def check_request_body() -> None:
        """415 for a view whose schema takes JSON and a body that is not; 400 for JSON nested so deep
        that parsing it would exhaust the stack (the json module raises RecursionError, not ValueError)."""
        spec = getattr(app.view_functions.get(request.endpoint), "_spec", {})
        if (
            spec.get("body") is not None
            and spec.get("content_type") == "application/json"
            and not request.is_json
        ):
            raise UnsupportedMediaType(
                f"send the body as JSON (Content-Type: application/json), not {request.mimetype or 'nothing'}"
            )
        if request.is_json:
            try:
                request.get_json(silent=True)  # parsed once here, cached for the view
            except RecursionError:
                raise UserError("the JSON body is nested too deeply", code="invalid_json") from None

    register_error_handlers(app)
    if settings.login:
        require_login(app, settings)  # before the limiter, whose limits key on the logged-in user
    init_limits(app, settings)
    return app
