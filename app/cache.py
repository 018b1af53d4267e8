"""A cache of generated answers: the same upper line and decoding options give the same lower lines.

Only deterministic decoding is cached (beam search, or sampling with a seed): an unseeded sample is
meant to differ every time. Keys hold a hash of the generator's files, so a new model never serves
the old model's answers. Without REDIS_URL the cache is an LRU dict in each worker process; with it,
one Redis cache with a TTL serves every worker and replica. A Redis failure is logged and the answer
is computed as if nothing were cached: the cache may make the service faster, never unavailable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

import redis

from core.lazy import resource
from core.redisconn import get_redis
from core.settings import Settings
from couplet.model.generator import DecodeOptions

log = logging.getLogger(__name__)

REDIS_PREFIX = "couplet:answer:"


class AnswerCache(Protocol):
    def get(self, key: str) -> list | None: ...

    def put(self, key: str, value: list) -> None: ...


@dataclass
class MemoryCache:
    """Least-recently-used entries of one process; ``max_items`` 0 stores nothing."""

    max_items: int
    _items: OrderedDict[str, list] = field(default_factory=OrderedDict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def get(self, key: str) -> list | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: list) -> None:
        if self.max_items <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)


@dataclass
class RedisCache:
    client: redis.Redis
    ttl: float

    def get(self, key: str) -> list | None:
        try:
            raw = self.client.get(REDIS_PREFIX + key)
        except redis.RedisError as e:
            log.warning("answer cache unavailable, computing instead: %s", e)
            return None
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: list) -> None:
        try:
            self.client.set(
                REDIS_PREFIX + key, json.dumps(value, ensure_ascii=False), ex=max(1, int(self.ttl))
            )
        except redis.RedisError as e:
            log.warning("answer cache unavailable, not stored: %s", e)


@resource
def model_fingerprint(settings: Settings) -> str:
    """A hash of the generator's files (weights, tokenizer, config); empty if there is no model yet."""
    digest = hashlib.sha256()
    folder = settings.generator_dir
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


ANSWER_FORMAT = 2
"""Bump when the cached answer's fields change (2: each candidate's `positions`), so Redis holds no stale shape."""


def answer_key(upper: str, n: int, options: DecodeOptions, fingerprint: str) -> str | None:
    """The cache key of a request, or None when its answer is random by design (unseeded sampling)."""
    if options.sample and options.seed is None:
        return None
    text = json.dumps(
        [ANSWER_FORMAT, fingerprint, upper, n, asdict(options)], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def cached(answer_cache: AnswerCache, key: str | None, compute: Callable[[], list]) -> list:
    """The cached value of ``key``, else ``compute()``, stored unless the key is None."""
    if key is None:
        return compute()
    value = answer_cache.get(key)
    if value is None:
        value = compute()
        answer_cache.put(key, value)
    return value


@resource
def get_answer_cache(settings: Settings) -> AnswerCache:
    """The cache the settings choose, one per process."""
    if settings.redis_url:
        return RedisCache(get_redis(settings.redis_url), settings.cache_ttl)
    return MemoryCache(settings.cache_size)
