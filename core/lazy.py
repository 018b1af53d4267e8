"""Values built once per process on first use: models, indexes, clients, stores.

    @resource
    def get_generator(settings: Settings) -> Generator:
        return Generator(settings.generator_dir, ...)

`get_generator(settings)` then builds the generator on its first call and hands the same object to
every later call with equal arguments (the arguments are the key, so they must be hashable). Each key
has its own lock: two threads asking for the same value wait for one build, and a slow load (the
encoder) never holds up an unrelated one (the generator). A load that raises is not kept: the next
call tries again. A loader that can find its value legitimately missing returns None, which is kept.

Plain `functools.cache` stays for pure functions of a file or of numbers, where a second computation
under a race would only cost time.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Resource(Generic[T]):
    """``load``, called at most once per key and process (until `clear`)."""

    def __init__(self, load: Callable[..., T]) -> None:
        self._load = load
        self._values: dict[tuple[Hashable, ...], T] = {}
        self._locks: dict[tuple[Hashable, ...], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        functools.update_wrapper(self, load)

    def __call__(self, *key: Hashable) -> T:
        try:
            return self._values[key]  # built: no lock on the path every request takes
        except KeyError:
            pass
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:  # another thread may have built it while this one waited
                self._values[key] = self._load(*key)
            return self._values[key]

    def clear(self) -> None:
        """Forget every built value (for tests that change what a loader would find)."""
        self._values.clear()


def resource(load: Callable[..., T]) -> Resource[T]:
    """Decorator: ``load(*key)`` becomes an accessor that builds each key's value once per process."""
    return Resource(load)
