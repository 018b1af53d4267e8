"""Baidu AI image recognition: 通用物体和场景识别 (advanced_general), with the OAuth token cached.

Token: POST {base}/oauth/2.0/token?grant_type=client_credentials&client_id=API_KEY&client_secret=SECRET_KEY
→ {"access_token", "expires_in"} (seconds, about 30 days). Tagging: POST
{base}/rest/2.0/image-classify/v2/advanced_general?access_token=… with the form field `image` = base64
→ {"result": [{"keyword", "score", "root"}]}. Baidu reports most errors with HTTP 200 and
{"error_code", "error_msg"}; codes 110/111 mean the token is invalid or expired.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from core.tokens import TokenCache
from vision import http
from vision.concepts import concept_tags
from vision.errors import RetryableTaggerError, TaggerAuthError, TaggerConfigError, TaggerError
from vision.imageio import shrink_for_upload
from vision.tags import Tag

SERVICE = "Baidu image recognition"
TOKEN_PATH = "/oauth/2.0/token"
TAG_PATH = "/rest/2.0/image-classify/v2/advanced_general"
TOKEN_ERRORS = {110, 111}  # Access token invalid / expired: fetch a new one and try once more
RATE_ERRORS = {4, 17, 18, 19}  # cluster over capacity, daily limit, QPS limit, total limit


def _describe(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    # The token endpoint says {"error", "error_description"}, the API {"error_code", "error_msg"}.
    parts = [body.get("error_code"), body.get("error_msg"), body.get("error"), body.get("error_description")]
    return " ".join(str(p) for p in parts if p not in (None, ""))


@dataclass
class BaiduTagger:
    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    base_url: str = "https://aip.baidubce.com"
    timeout: float = 10.0
    top_k: int = 10
    min_confidence: float = 0.1
    backoff: float = 0.5
    source: str = "baidu"
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    """Seconds, monotonic; tests pass their own to expire the token."""
    _tokens: TokenCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.api_key or not self.secret_key:
            raise TaggerConfigError(
                "the baidu tagger needs COUPLET_BAIDU_API_KEY and COUPLET_BAIDU_SECRET_KEY"
            )
        self.base_url = self.base_url.rstrip("/")
        self._tokens = TokenCache(self._fetch_token, self.clock)

    def access_token(self, renew: bool = False) -> str:
        return self._tokens.get(renew)

    def _fetch_token(self) -> tuple[str, float]:
        params = {
            "grant_type": "client_credentials",
            "client_id": self.api_key,
            "client_secret": self.secret_key,
        }
        try:
            response = http.post(
                SERVICE,
                self.session,
                self.base_url + TOKEN_PATH,
                params=params,
                timeout=self.timeout,
                describe=_describe,
                backoff=self.backoff,
            )
        except TaggerAuthError:
            raise
        except TaggerError as e:
            if e.retryable:
                raise
            # Baidu answers a wrong key or secret with HTTP 400/401 {"error": "invalid_client"}.
            if "invalid_client" in str(e):
                raise TaggerAuthError(f"{e} (check the API key and secret key)") from None
            raise
        body = http.json_body(SERVICE, response)
        if body.get("error"):
            raise TaggerAuthError(f"{SERVICE} refused the token request: {_describe(response)}")
        try:
            return str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError) as e:
            raise TaggerError(f"{SERVICE} answered a token response without access_token/expires_in") from e

    def tag(self, image_bytes: bytes) -> list[Tag]:
        image = base64.b64encode(shrink_for_upload(image_bytes)).decode("ascii")
        renewed = retried = False
        while True:
            body = self._classify(image, self.access_token(renew=renewed))
            if body.get("error_code") in (None, 0, "0"):
                return self._tags(body)
            try:
                code = int(body["error_code"])
            except (TypeError, ValueError):
                code = -1
            detail = f"{SERVICE} error {body['error_code']}: {body.get('error_msg', '')}".strip()
            if code in TOKEN_ERRORS and not renewed:
                renewed = True
                continue
            if code in RATE_ERRORS and not retried:
                # Baidu says "over QPS limit" with HTTP 200, so the HTTP layer's 429 retry never sees it.
                retried = True
                time.sleep(self.backoff)
                continue
            if code in TOKEN_ERRORS or code in (6, 14):  # 6 no permission, 14 IAM failed
                raise TaggerAuthError(detail)
            if code in RATE_ERRORS:
                raise RetryableTaggerError(detail)
            raise TaggerError(detail)

    def _classify(self, image_b64: str, token: str) -> dict:
        response = http.post(
            SERVICE,
            self.session,
            self.base_url + TAG_PATH,
            params={"access_token": token},
            data={"image": image_b64},
            timeout=self.timeout,
            describe=_describe,
            backoff=self.backoff,
        )
        return http.json_body(SERVICE, response)

    def _tags(self, body: dict) -> list[Tag]:
        try:
            tags = [
                Tag(str(r["keyword"]).strip(), min(1.0, max(0.0, float(r["score"]))), self.source)
                for r in body["result"]
                if str(r.get("keyword", "")).strip()
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise TaggerError(f"{SERVICE} answered JSON without the expected result list: {e!r}") from e
        merged = concept_tags(tags)  # the service's scene words in our vocabulary, with their kind
        return [t for t in merged[: self.top_k] if t.confidence >= self.min_confidence]
