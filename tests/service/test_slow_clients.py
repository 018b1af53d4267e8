"""Slow uploads: a body must arrive within COUPLET_UPLOAD_SECONDS, so trickling clients cannot hold the workers."""

from __future__ import annotations

import io
import json
import select
import socket
import threading
import time

import pytest
import requests
from servicekit import serving, write_site

from app.web.uploads import BodyDeadline


class Trickle(io.RawIOBase):
    """A request body that arrives a byte every `pause` seconds."""

    def __init__(self, size: int, pause: float) -> None:
        self.left, self.pause = size, pause

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        time.sleep(self.pause)
        self.left -= 1
        return b"x"


def call(middleware, body, length: int):
    seen = {}

    def app(environ, start_response):
        seen["body"] = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [b"ok"]

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    out = b"".join(
        BodyDeadline(app, *middleware)(
            {
                "CONTENT_LENGTH": str(length),
                "wsgi.input": body,
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/api/photo",
            },
            start_response,
        )
    )
    return seen, out


def test_a_body_in_time_reaches_the_view_whole():
    seen, out = call((5.0, 1000), io.BytesIO(b"a" * 300), 300)
    assert seen["status"] == "200 OK" and seen["body"] == b"a" * 300 and out == b"ok"


def test_a_trickling_body_is_408_by_the_deadline():
    started = time.monotonic()
    seen, out = call((0.3, 1000), Trickle(100, 0.02), 100)
    assert time.monotonic() - started < 1.0
    assert seen["status"].startswith("408") and "body" not in seen
    assert json.loads(out)["error"] == "request_timeout"


def test_an_oversized_body_is_left_to_the_app_unread():
    seen, _ = call((0.3, 10), Trickle(100, 0.02), 100)
    assert seen["status"] == "200 OK"  # the app (Flask) answers 413 without reading it


@pytest.fixture(scope="module")
def server(tiny_generator, tmp_path_factory):
    """One worker with two threads and a two-second upload deadline."""
    root = tmp_path_factory.mktemp("slow")
    write_site(root, tiny_generator)
    env = {
        "COUPLET_WORKERS": "1",
        "COUPLET_THREADS": "2",
        "COUPLET_UPLOAD_SECONDS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"),
    }
    with serving(root, **env) as url:
        yield int(url.rsplit(":", 1)[1])


def trickle_upload(port: int, answers: list) -> None:
    """Announce a 10 MB photo, send a kilobyte every tenth of a second for 6 s (10 MB would take a day),
    and note the server's answer and how long after the start it came."""
    head = (
        b"POST /api/photo HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        b"Content-Length: 10000000\r\n\r\n--b\r\n"
    )
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            while time.monotonic() - started < 6 and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"\xff" * 1024)
                time.sleep(0.1)
        except OSError:
            pass  # the server closed the connection after answering
        answers.append((sock.recv(200).split(b"\r\n", 1)[0], time.monotonic() - started))


def test_trickling_uploads_do_not_hold_the_workers(server):
    answers: list = []
    hogs = [threading.Thread(target=trickle_upload, args=(server, answers)) for _ in range(4)]
    for hog in hogs:
        hog.start()
    time.sleep(0.5)  # both threads are busy with slow bodies now
    started = time.monotonic()
    reply = requests.post(f"http://127.0.0.1:{server}/api/couplet", json={"upper": "春风化雨"}, timeout=30)
    assert reply.status_code == 200
    assert time.monotonic() - started < 10  # served once the deadline freed a thread, not after the uploads
    for hog in hogs:
        hog.join(timeout=30)
    assert [status for status, _ in answers] == [b"HTTP/1.1 408 Request Timeout"] * 4
    # Two threads, four clients: two waves, each cut off at the 2 s deadline while the clients still send.
    assert all(seconds < 5.5 for _, seconds in answers), answers
