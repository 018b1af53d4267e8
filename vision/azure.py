"""Azure AI Vision tagging: Computer Vision v3.2 `tag` or Image Analysis 4.0 `analyze` with tags.

Both take the raw image as `application/octet-stream` and the key in `Ocp-Apim-Subscription-Key`.
v3.2 answers {"tags": [{"name", "confidence"}, …]}, 4.0 {"tagsResult": {"values": [{"name", "confidence"}]}};
errors are {"error": {"code", "message"}}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from vision import http
from vision.concepts import concept_tags
from vision.errors import TaggerConfigError, TaggerError
from vision.imageio import shrink_for_upload
from vision.tags import Tag

SERVICE = "Azure Vision"
APIS = {
    "3.2": "/vision/v3.2/tag",
    "4.0": "/computervision/imageanalysis:analyze",
}


def _describe(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return f"{error.get('code', '')} {error.get('message', '')}".strip()
    except (ValueError, AttributeError):
        return ""


@dataclass
class AzureTagger:
    endpoint: str
    """https://<resource>.cognitiveservices.azure.com"""
    key: str = field(repr=False)
    api: str = "3.2"
    timeout: float = 10.0
    language: str = "zh"
    top_k: int = 10
    min_confidence: float = 0.3
    """Azure lists many weak tags; below this they rarely describe the photo."""
    backoff: float = 0.5
    source: str = "azure"
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        if not self.endpoint or not self.key:
            raise TaggerConfigError("the azure tagger needs COUPLET_AZURE_ENDPOINT and COUPLET_AZURE_KEY")
        self.api = self.api.lstrip("v")
        if self.api not in APIS:
            raise TaggerConfigError(f"COUPLET_AZURE_API={self.api!r}: choose 3.2 or 4.0")
        self.endpoint = self.endpoint.rstrip("/")

    def request(self) -> tuple[str, dict[str, str]]:
        """URL and query parameters of the chosen API."""
        url = self.endpoint + APIS[self.api]
        if self.api == "4.0":
            return url, {"api-version": "2024-02-01", "features": "tags", "language": self.language}
        return url, {"language": self.language}

    def tag(self, image_bytes: bytes) -> list[Tag]:
        url, params = self.request()
        response = http.post(
            SERVICE,
            self.session,
            url,
            params=params,
            data=shrink_for_upload(image_bytes),
            headers={"Ocp-Apim-Subscription-Key": self.key, "Content-Type": "application/octet-stream"},
            timeout=self.timeout,
            describe=_describe,
            backoff=self.backoff,
        )
        body = http.json_body(SERVICE, response)
        try:
            values = body["tags"] if self.api == "3.2" else body["tagsResult"]["values"]
            tags = [
                Tag(str(v["name"]).strip(), min(1.0, max(0.0, float(v["confidence"]))), self.source)
                for v in values
                if str(v.get("name", "")).strip()
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise TaggerError(f"{SERVICE} answered JSON without the expected tags: {e!r}") from e
        merged = concept_tags(tags)  # the service's scene words in our vocabulary, with their kind
        return [t for t in merged[: self.top_k] if t.confidence >= self.min_confidence]
