"""A request body must arrive within a deadline, so a client trickling a large upload cannot hold a worker.

gunicorn's threads read a request body as the view asks for it: a client that sends 10 MB a kilobyte at
a time would keep a thread for hours, and twenty such clients would take every thread there is. This
middleware reads the body first, under one deadline for the whole body (COUPLET_UPLOAD_SECONDS), and
answers 408 when it is not in by then; the views then read it from memory. A buffering proxy in front
(nginx in docker-compose.yml) does the same job before a request reaches the app at all.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import threading
import time

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class BodyDeadline:
    def __init__(self, app, seconds: float, max_bytes: int) -> None:
        self.app, self.seconds, self.max_bytes = app, seconds, max_bytes

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0 or length > self.max_bytes:  # nothing to wait for, or Flask answers 413 unread
            return self.app(environ, start_response)
        body = self._read(environ, length)
        if body is None:
            return self._timeout(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _read(self, environ, length: int) -> bytes | None:
        """The body, or None when it did not arrive by the deadline."""
        deadline = time.monotonic() + self.seconds
        # gunicorn's reader waits until it holds the bytes asked for, and a client sending one byte a
        # second never lets a socket timeout fire: at the deadline a timer closes the socket for reading,
        # which ends any read at once; the answer can still be written.
        sock = environ.get("gunicorn.socket")
        timer = threading.Timer(self.seconds, _stop_reading, (sock,)) if sock is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        stream, chunks, got = environ["wsgi.input"], [], 0
        try:
            while got < length and time.monotonic() < deadline:
                chunk = stream.read(min(CHUNK, length - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
        except OSError:  # the client went away
            return None
        finally:
            if timer is not None:
                timer.cancel()
        if got < length and time.monotonic() >= deadline:
            return None
        return b"".join(chunks)  # a client that stopped short: the view sees a short body, as it would have

    def _timeout(self, environ, start_response):
        log.warning(
            "%s %s: the body did not arrive within %.0f s",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            self.seconds,
        )
        body = json.dumps(
            {
                "error": "request_timeout",
                "message": f"the request body did not arrive within "
                f"{self.seconds:.0f} seconds; send it again on a better connection",
            }
        ).encode()
        start_response(
            "408 Request Timeout",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        return [body]


def _stop_reading(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RD)
