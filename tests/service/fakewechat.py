"""A loopback stand-in for the WeChat endpoints the service uses, speaking their documented format.

GET  /cgi-bin/token?grant_type=client_credential&appid=&secret= → {"access_token", "expires_in"}
     or {"errcode": 40125, "errmsg": "invalid appsecret"}
POST /wxa/msg_sec_check?access_token= {"content", "version": 2, "scene", "openid"}
     → {"errcode": 0, "errmsg": "ok", "result": {"suggest", "label"}, "detail": [...], "trace_id"}
     or {"errcode": 40001, "errmsg": "invalid credential"} for a token it did not issue or has revoked.
Content holding one of RISKY is `risky` (label 20001, 政治); anything else is `pass` (label 100).
GET  /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code → {"openid", "session_key"}
     for a code in `codes` (each usable once), else {"errcode": 40029, "errmsg": "invalid code"}.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RISKY = ("危险", "违规")


class FakeWeChat:
    def __init__(self, appid: str, secret: str) -> None:
        self.appid, self.secret = appid, secret
        self.valid_tokens: set[str] = set()
        self.token_requests = 0
        self.checked: list[dict] = []
        self.codes: dict[str, str] = {}
        """wx.login code → the openid it logs in; a code is used up by its first exchange."""
        self.broken = False
        """When True, every request answers HTTP 500."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                fake._answer(self, None)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                fake._answer(self, json.loads(self.rfile.read(length) or b"null"))

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeWeChat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def _answer(self, handler: BaseHTTPRequestHandler, body) -> None:
        if self.broken:
            return self._send(handler, 500, {"errcode": -1, "errmsg": "system error"})
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/cgi-bin/token" and handler.command == "GET":
            return self._send(handler, 200, self._token(query))
        if url.path == "/sns/jscode2session" and handler.command == "GET":
            return self._send(handler, 200, self._code2session(query))
        if url.path == "/wxa/msg_sec_check" and handler.command == "POST":
            return self._send(handler, 200, self._check(query, body))
        self._send(handler, 404, {"errcode": 404, "errmsg": "not found"})

    def _token(self, query: dict) -> dict:
        self.token_requests += 1
        if query.get("grant_type") != "client_credential" or query.get("appid") != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = f"TOKEN-{self.token_requests}-SECRETISH"
        self.valid_tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _code2session(self, query: dict) -> dict:
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code" or query.get("js_code") not in self.codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        return {"openid": self.codes.pop(query["js_code"]), "session_key": "SESSION-KEY-SECRETISH"}

    def _check(self, query: dict, body) -> dict:
        if query.get("access_token") not in self.valid_tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if (
            not isinstance(body, dict)
            or body.get("version") != 2
            or not body.get("openid")
            or body.get("scene") not in (1, 2, 3, 4)
            or not isinstance(body.get("content"), str)
        ):
            return {"errcode": 47001, "errmsg": "data format error"}
        self.checked.append(body)
        risky = any(word in body["content"] for word in RISKY)
        suggest, label = ("risky", 20001) if risky else ("pass", 100)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": label},
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
            "trace_id": "60ae120f-371d5872-7941a05b",
        }

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
