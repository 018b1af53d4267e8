"""One HTTP POST with a timeout and a single retry on 429/5xx, shared by the cloud taggers.

Errors become TaggerErrors whose messages name the service and the HTTP status, never a key or token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests

from vision.errors import RetryableTaggerError, TaggerAuthError, TaggerError

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 2.0
"""A Retry-After longer than this is not waited for: the chain's next tagger is quicker."""


def _retry_after(response: requests.Response, default: float) -> float:
    try:
        return min(MAX_RETRY_WAIT, max(0.0, float(response.headers.get("Retry-After", default))))
    except ValueError:  # an HTTP date instead of seconds
        return default


def check_status(
    service: str, response: requests.Response, describe: Callable[[requests.Response], str]
) -> None:
    """Raise the TaggerError that fits a non-2xx answer; describe() extracts the service's own message."""
    status = response.status_code
    if status < 400:
        return
    detail = describe(response)
    message = f"{service} answered HTTP {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        raise TaggerAuthError(message + " (check the key)")
    if status == 429 or status >= 500:
        raise RetryableTaggerError(message)
    raise TaggerError(message)


def post(
    service: str,
    session: requests.Session,
    url: str,
    *,
    timeout: float,
    describe: Callable[[requests.Response], str],
    retries: int = 1,
    backoff: float = 0.5,
    **kwargs,
) -> requests.Response:
    """POST and return a 2xx response; retry 429/5xx `retries` times, honouring a short Retry-After.

    A timeout is not retried: it has already cost the whole budget, and the chain's fallback answers
    sooner than a second wait.
    """
    for attempt in range(retries + 1):
        try:
            response = session.post(url, timeout=timeout, **kwargs)
        except requests.Timeout as e:
            raise TaggerError(f"{service} did not answer within {timeout:g} s") from e
        except requests.RequestException as e:
            # Not chained and not quoted: the exception text holds the URL, and Baidu's URL holds its
            # access token, which must not reach a log.
            raise TaggerError(f"{service} cannot be reached: {type(e).__name__}") from None
        try:
            check_status(service, response, describe)
            return response
        except RetryableTaggerError:
            if attempt == retries:
                raise
            wait = _retry_after(response, backoff)
            log.info("%s answered HTTP %s; retrying in %.1f s", service, response.status_code, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def json_body(service: str, response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError as e:
        raise TaggerError(f"{service} answered something that is not JSON") from e
    if not isinstance(body, dict):
        raise TaggerError(f"{service} answered JSON that is not an object")
    return body
