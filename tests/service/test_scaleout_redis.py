"""Two apps over one real Redis behave as two replicas: shared limits, shared cache, shared results.

Without REDIS_URL the same features work in process, each app on its own.
"""

from __future__ import annotations

import shutil
import time

import pytest
import redis

from app.cache import MemoryCache, answer_key, model_fingerprint
from app.web import create_app
from couplet.model.generator import DecodeOptions
from photo.results import get_result_store, new_id
from photo.results_redis import RedisResultStore


def replicas(make_site, **changes):
    """Two apps over separate folders (nothing shared on disk) and the same settings otherwise."""
    return [create_app(make_site(name, **changes)).test_client() for name in ("a", "b")]


def test_limits_are_shared_between_replicas(make_site, redis_url):
    a, b = replicas(make_site, redis_url=redis_url, rate_limit_text="3/minute")
    statuses = [c.post("/api/couplet", json={"upper": "abc"}).status_code for c in (a, b, a, b)]
    assert statuses == [400, 400, 400, 429]
    refused = b.post("/api/couplet", json={"upper": "abc"})
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Another client (its openid) has its own budget, on both replicas; health is never limited.
    assert (
        a.post("/api/couplet", json={"upper": "abc"}, headers={"X-Client-Id": "openid-1"}).status_code == 400
    )
    assert all(a.get("/healthz").status_code == 200 for _ in range(5))


def test_in_process_limits_are_per_app(make_site):
    a, b = replicas(make_site, rate_limit_text="2/minute")
    assert [a.post("/api/couplet", json={"upper": "abc"}).status_code for _ in range(3)] == [400, 400, 429]
    assert b.post("/api/couplet", json={"upper": "abc"}).status_code == 400


def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_site):
    def spoofed(client, ip):
        return client.post("/api/couplet", json={"upper": "abc"}, headers={"X-Forwarded-For": ip}).status_code

    direct, proxied = (
        create_app(make_site(name, rate_limit_text="1/minute", trust_proxy=trust)).test_client()
        for name, trust in (("direct", 0), ("proxied", 1))
    )
    # Not trusted: a new X-Forwarded-For per request does not buy a new budget.
    assert [spoofed(direct, f"10.0.0.{i}") for i in range(2)] == [400, 429]
    # Behind one trusted proxy, the header names the client: two addresses, two budgets.
    assert [spoofed(proxied, ip) for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.1")] == [400, 400, 429]


def test_generated_lines_are_cached_for_every_replica(make_site, redis_url):
    sa, sb = (make_site(name, redis_url=redis_url) for name in ("a", "b"))
    a, b = (create_app(s).test_client() for s in (sa, sb))
    request = {"upper": "春风化雨", "n": 2}
    first = a.post("/api/couplet", json=request)
    assert first.status_code == 200
    # Replica b has no model any more: it can only answer from the shared cache.
    model_fingerprint(sb)  # b knows which model it runs (computed once per process), then loses it
    shutil.rmtree(sb.generator_dir)
    assert b.post("/api/couplet", json=request).get_json() == first.get_json()
    assert b.post("/api/couplet", json={**request, "n": 3}).status_code == 503  # not cached: b must generate
    keys = redis.Redis.from_url(redis_url).keys("couplet:answer:*")
    assert len(keys) == 1


def test_unseeded_sampling_is_not_cached(make_site):
    options = DecodeOptions(sample=True)
    assert answer_key("春风", 3, options, "m") is None
    assert answer_key("春风", 3, DecodeOptions(sample=True, seed=1), "m") is not None
    assert answer_key("春风", 3, DecodeOptions(), "m") != answer_key(
        "春风", 3, DecodeOptions(), "other model"
    )


def test_memory_cache_is_bounded_lru():
    cache = MemoryCache(max_items=2)
    cache.put("a", [1])
    cache.put("b", [2])
    assert cache.get("a") == [1]
    cache.put("c", [3])
    assert cache.get("b") is None and cache.get("a") == [1] and cache.get("c") == [3]
    off = MemoryCache(max_items=0)
    off.put("a", [1])
    assert off.get("a") is None


def test_redis_result_store_entries_expire_and_refuse_bad_ids(redis_url):
    client = redis.Redis.from_url(redis_url)
    store = RedisResultStore(client, ttl=30)
    result_id = new_id()
    store.put(result_id, b"\xff\xd8jpeg", {"upper": "春风化雨"})
    other_replica = RedisResultStore(redis.Redis.from_url(redis_url), ttl=30)
    assert other_replica.get(result_id) == b"\xff\xd8jpeg"
    assert other_replica.get_meta(result_id) == {"upper": "春风化雨"}
    assert 0 < client.ttl(f"couplet:result:{result_id}:data") <= 30
    for bad in ("../../etc/passwd", "*", "x" * 22 + ":meta", ""):
        assert store.get(bad) is None and store.get_meta(bad) is None
    with pytest.raises(ValueError):
        store.put("../x", b"", {})
    short = RedisResultStore(client, ttl=1)
    short.put(result_id, b"data", {})
    client.pexpire(f"couplet:result:{result_id}:data", 1)
    client.pexpire(f"couplet:result:{result_id}:meta", 1)
    time.sleep(0.01)
    assert store.get(result_id) is None and store.get_meta(result_id) is None


def test_results_are_served_by_the_other_replica(make_site, redis_url):
    sa, sb = (make_site(name, redis_url=redis_url) for name in ("a", "b"))
    store_a = get_result_store(sa)
    assert isinstance(store_a, RedisResultStore)
    result_id = new_id()
    store_a.put(result_id, b"\xff\xd8\xff\xe0 a jpeg", {"kind": "result"})
    response = create_app(sb).test_client().get(f"/api/results/{result_id}.jpg")
    assert response.status_code == 200
    assert response.data == b"\xff\xd8\xff\xe0 a jpeg"


def test_redis_down_is_503_not_500(make_site):
    client = create_app(make_site(redis_url="redis://127.0.0.1:1/0")).test_client()
    # Limits fall back to memory and the cache is skipped; the answer still comes.
    assert client.post("/api/couplet", json={"upper": "春风化雨", "n": 1}).status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["redis"] != "ok"
