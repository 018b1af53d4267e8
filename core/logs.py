"""Structured logs: one JSON object a line, each stamped with the request id, secrets scrubbed.

`configure_logging` installs one handler on the root logger (again on every call: an app built twice
in one process must not log twice). Inside a request, every record carries the id that
`app.web` takes from the X-Request-Id header or makes up, so the lines of one request can be
found together across gunicorn workers and replicas.

Secrets never reach the output: the handler's filter replaces every configured key, token and
password (and whatever follows `access_token=`, `secret=`, `key=`… in a message, such as a URL's
query string) with `***`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import g, has_request_context

from core.settings import Settings

HANDLER_NAME = "couplet"
REDACTED = "***"
# A query parameter or key=value whose name says it holds a secret.
SECRET_PARAM = re.compile(
    r"(?i)\b((?:access_?token|token|secret|secret_?key|api_?key|password|passwd|appsecret|client_secret|key)=)[^&\s\"',]+"
)
# The fields of a LogRecord that are bookkeeping, not extras the caller attached.
RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def secrets_of(settings: Settings) -> list[str]:
    """The configured secret values: keys, tokens, and the password of the Redis URL."""
    values = [settings.azure_key, settings.baidu_api_key, settings.baidu_secret_key, settings.wechat_secret]
    if settings.redis_url:
        values.append(urlsplit(settings.redis_url).password)
    return [v for v in values if v]


class Redactor(logging.Filter):
    """Scrubs secrets from the formatted message and the extras of every record it passes."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        for name, value in list(vars(record).items()):
            if name not in RECORD_FIELDS and isinstance(value, str):
                setattr(record, name, self.scrub(value))
        return True


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to records logged while a request is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in RECORD_FIELDS and v is not None})
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_handler(settings: Settings, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(Redactor(secrets_of(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    return handler


def configure_logging(settings: Settings, stream=None) -> None:
    """Route every logger through one structured, redacting handler on the root logger."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(make_handler(settings, stream))
    root.setLevel(settings.log_level)
