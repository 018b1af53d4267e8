"""A real HTTP server on loopback for the cloud-tagger tests, and small image makers.

Each test scripts what a path answers (status, JSON or raw body, delay) and reads back what the client
sent: path, query, headers and body, so the clients are checked against the wire format itself.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("ascii")).items()}


@dataclass
class Reply:
    status: int = 200
    json: object | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[Seen], Reply]


class FakeApi:
    """Routes by path; each path answers its queued replies in order, then its default."""

    def __init__(self) -> None:
        self.queued: dict[str, deque[Reply | Responder]] = defaultdict(deque)
        self.defaults: dict[str, Reply | Responder] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length", 0))
                url = urlsplit(self.path)
                seen = Seen(
                    "POST",
                    url.path,
                    {k: v[0] for k, v in parse_qs(url.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                reply = api._reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if reply.body is not None else json.dumps(reply.json).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            queue = self.queued[seen.path]
            answer = (
                queue.popleft() if queue else self.defaults.get(seen.path, Reply(404, {"error": "no route"}))
            )
        return answer(seen) if callable(answer) else answer

    def on(self, path: str, *replies: Reply | Responder, default: Reply | Responder | None = None) -> None:
        self.queued[path].extend(replies)
        if default is not None:
            self.defaults[path] = default

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def jpeg_bytes(
    size=(320, 240), color=(200, 60, 40), quality=90, exif_orientation: int | None = None
) -> bytes:
    image = Image.new("RGB", size, color)
    # a gradient so the classifier sees some structure, and JPEG does not collapse to a few bytes
    for x in range(0, size[0], 8):
        for y in range(0, size[1], 8):
            image.putpixel((x, y), ((x * 3) % 256, (y * 5) % 256, (x + y) % 256))
    out = io.BytesIO()
    if exif_orientation is None:
        image.save(out, "JPEG", quality=quality)
    else:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def png_bytes(size=(64, 48), mode="RGBA") -> bytes:
    image = Image.new(mode, size, (10, 120, 30, 0) if mode == "RGBA" else 128)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
