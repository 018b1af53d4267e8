"""core.lazy: each key's value is built once, failures are retried, and keys do not wait on each other."""

from __future__ import annotations

import threading
import time

import pytest

from core.lazy import resource


def test_concurrent_callers_share_one_build():
    calls = []

    @resource
    def load(key: str) -> object:
        calls.append(key)
        time.sleep(0.05)  # long enough that every thread arrives while the build is running
        return object()

    start = threading.Barrier(8)
    results = []

    def call() -> None:
        start.wait()
        results.append(load("model"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["model"]
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert load("model") is results[0]


def test_a_failed_load_is_tried_again():
    attempts = []

    @resource
    def load(key: str) -> str:
        attempts.append(key)
        if len(attempts) == 1:
            raise OSError("not there yet")
        return f"loaded {key}"

    with pytest.raises(OSError):
        load("index")
    assert load("index") == "loaded index"
    assert load("index") == "loaded index"
    assert len(attempts) == 2


def test_a_slow_load_does_not_hold_up_another_key():
    inside, release = threading.Event(), threading.Event()

    @resource
    def load(key: str) -> str:
        if key == "slow":
            inside.set()
            release.wait(timeout=10)
        return key

    slow = threading.Thread(target=load, args=("slow",))
    slow.start()
    try:
        assert inside.wait(timeout=5)
        fast = threading.Thread(target=load, args=("fast",))
        fast.start()
        fast.join(timeout=5)
        assert not fast.is_alive(), "the fast key waited for the slow one"
    finally:
        release.set()
        slow.join()
    assert load("fast") == "fast" and load("slow") == "slow"


def test_clear_forgets_the_built_values():
    built = []

    @resource
    def load(key: int) -> int:
        built.append(key)
        return key

    load(1)
    load(1)
    load.clear()
    load(1)
    assert built == [1, 1]
