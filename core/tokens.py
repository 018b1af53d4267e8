"""An OAuth-style access token shared by the threads of a worker (Baidu's API, WeChat's)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

EXPIRY_MARGIN = 300.0
"""Seconds before its expiry that a token is renewed, so it never expires in flight."""


@dataclass
class TokenCache:
    fetch: Callable[[], tuple[str, float]] = field(repr=False)
    """Asks the service for a token: (token, lifetime in seconds)."""
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    """Seconds, monotonic; tests pass their own to expire the token."""
    _token: str | None = field(default=None, init=False, repr=False)
    _expires_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def get(self, renew: bool = False) -> str:
        """The cached token, fetched when missing, expired (less the margin) or known to be bad (``renew``)."""
        with self._lock:  # the threads of a worker fetch it once
            if renew or self._token is None or self.clock() >= self._expires_at:
                self._token, lifetime = self.fetch()
                self._expires_at = self.clock() + max(0.0, lifetime - EXPIRY_MARGIN)
            return self._token
