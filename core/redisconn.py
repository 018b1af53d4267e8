"""The Redis client of this process: one per URL, built on first use (redis-py pools connections and
is safe to share between the threads of a worker)."""

from __future__ import annotations

import redis

from core.lazy import resource

# A replica must answer (or fail fast with a 503) rather than hang on a stalled Redis.
SOCKET_TIMEOUT = 2.0


@resource
def get_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30
    )
