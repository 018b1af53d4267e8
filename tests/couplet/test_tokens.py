"""The shared access-token cache: fetched once by concurrent threads, renewed before it expires or on demand."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from core.tokens import EXPIRY_MARGIN, TokenCache


def test_concurrent_threads_fetch_one_token():
    fetched = []

    def fetch():
        time.sleep(0.05)  # long enough for every thread to be waiting
        fetched.append(1)
        return f"token-{len(fetched)}", 7200.0

    cache = TokenCache(fetch)
    start = threading.Barrier(8)

    def get(_):
        start.wait()
        return cache.get()

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, range(8))) == {"token-1"}
    assert len(fetched) == 1


def test_renewed_before_expiry_and_on_demand():
    now, count = [0.0], [0]

    def fetch():
        count[0] += 1
        return f"token-{count[0]}", 1000.0

    cache = TokenCache(fetch, clock=lambda: now[0])
    assert cache.get() == "token-1"
    now[0] = 1000.0 - EXPIRY_MARGIN - 1
    assert cache.get() == "token-1"
    now[0] += 2
    assert cache.get() == "token-2"
    assert cache.get(renew=True) == "token-3"
