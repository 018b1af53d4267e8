"""The result store in Redis: photo sessions and rendered images that any replica can serve.

Same contract as photo.results.LocalResultStore: bytes plus a JSON meta dict under a random id,
living `ttl` seconds after their last write. Both halves of an entry are written in one MULTI
transaction with the same expiry, so a reader sees all of an entry or nothing; Redis itself drops
expired entries, so there is nothing to sweep. A malformed id (path tricks included) is never
turned into a key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from photo.results import valid_id

PREFIX = "couplet:result:"


@dataclass
class RedisResultStore:
    client: redis.Redis
    ttl: float
    """Seconds an entry lives after its last write."""

    def put(self, id: str, data: bytes, meta: dict) -> None:
        if not valid_id(id):
            raise ValueError(f"malformed result id {id!r}")
        seconds = max(1, int(self.ttl))
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(PREFIX + id + ":data", data, ex=seconds)
            pipe.set(PREFIX + id + ":meta", json.dumps(meta, ensure_ascii=False).encode("utf-8"), ex=seconds)
            pipe.execute()

    def get(self, id: str) -> bytes | None:
        if not valid_id(id):
            return None
        return self.client.get(PREFIX + id + ":data")

    def get_meta(self, id: str) -> dict | None:
        if not valid_id(id):
            return None
        raw = self.client.get(PREFIX + id + ":meta")
        return None if raw is None else json.loads(raw)
