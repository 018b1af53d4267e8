"""Errors of the tagging clients. All are UserErrors, so their message is shown as it is.

The web layer may want 502/503 for TaggerError (a service down) and 400 for ImageError (a bad upload).
"""

from __future__ import annotations

from core.errors import UserError


class ImageError(UserError):
    """The uploaded bytes are not an image we can read (corrupt, truncated, unknown format, too big)."""


class TaggerError(UserError):
    """A tagger could not tag the image: service down, refused, timed out or answered nonsense."""

    retryable: bool = False
    """True for 429 and 5xx answers, which one retry may fix."""


class TaggerConfigError(TaggerError):
    """A tagger is chosen but not configured: no key, no endpoint, unknown name, model not installed."""


class TaggerAuthError(TaggerError):
    """The service refused the credentials (401/403, invalid Baidu client): retrying cannot help."""


class RetryableTaggerError(TaggerError):
    retryable = True


class AllTaggersFailed(TaggerError):
    """Every tagger of the chain failed; the message lists why, one by one."""
