"""POST /api/session: log in with a wx.login code (only when COUPLET_LOGIN=wechat)."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, fields
from flask import current_app

from app.login import issue_token, openid_for_code
from app.web.schemas import error_responses

bp = APIBlueprint("session", __name__, tag="session")


class SessionIn(Schema):
    code = fields.String(
        required=True, metadata={"description": "The code wx.login() gave (valid 5 minutes, once)."}
    )


class SessionOut(Schema):
    token = fields.String(
        required=True,
        metadata={"description": "Send it as 'Authorization: Bearer <token>' with every request."},
    )
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until the token expires."})


@bp.post("/api/session")
@bp.input(SessionIn, arg_name="body")
@bp.output(SessionOut)
@bp.doc(responses=error_responses(400, 401, 415, 429, 503))
def login(body: dict):
    """Log in with WeChat

    Exchanges a wx.login() code for a session token (WeChat's code2Session). Registered only when the
    service runs with COUPLET_LOGIN=wechat.
    """
    settings = current_app.config["SETTINGS"]
    openid = openid_for_code(body["code"], settings)
    return {"token": issue_token(openid, settings), "expires_in": int(settings.session_ttl)}
