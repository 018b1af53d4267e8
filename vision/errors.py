"""Errors of the tagging clients. All are UserErrors, so their message is shown as it is and the web
app answers with their code and status: a bad upload is the user's (400), a tagger that is not set up
is ours (503), one that failed is upstream's (502).
"""

from __future__ import annotations

from core.errors import UserError


class ImageError(UserError):
    """The uploaded bytes are not an image we can read (corrupt, truncated, unknown format, too big)."""

    code = "invalid_image"


class UnsupportedImage(ImageError):
    """The bytes are not one of the accepted formats (told by their content, not their name)."""

    code = "unsupported_media_type"
    status = 415


class TaggerError(UserError):
    """A tagger could not tag the image: service down, refused, timed out or answered nonsense."""

    code = "tagger_failed"
    status = 502
    retryable: bool = False
    """True for 429 and 5xx answers, which one retry may fix."""


class TaggerConfigError(TaggerError):
    """A tagger is chosen but not configured: no key, no endpoint, unknown name, model not installed."""

    code = "tagger_not_configured"
    status = 503


class TaggerAuthError(TaggerError):
    """The service refused the credentials (401/403, invalid Baidu client): retrying cannot help."""


class RetryableTaggerError(TaggerError):
    retryable = True


class AllTaggersFailed(TaggerError):
    """Every tagger of the chain failed; the message lists why, one by one."""
