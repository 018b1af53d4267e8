"""Where photos and rendered results live between requests, under random ids, until they expire.

A photo's session (its tags, candidates and the downscaled upright source image, needed by /render and
/regenerate) and each rendered JPEG are entries of the same store: bytes plus a small JSON-able dict.
`LocalResultStore` keeps them as files under <data_dir>/results, which every worker process of one
machine shares; writes go through a temporary file and an atomic rename, so a reader never sees half
a file. Entries older than the TTL (counted from the last write) read as missing and are swept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from core.errors import UserError
from core.lazy import resource
from core.settings import Settings

log = logging.getLogger(__name__)

ID_BYTES = 16  # 128 random bits: unguessable
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")  # what secrets.token_urlsafe(16) gives
SWEEP_EVERY = 60.0  # seconds between sweeps of expired files


class ResultStoreUnavailable(UserError):
    """The store cannot keep an entry now (disk full, read-only, gone): nothing half-written is served."""

    code, status = "results_unavailable", 503


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def valid_id(value: str) -> bool:
    """True for a well-formed id; anything else (path tricks included) never reaches the filesystem."""
    return bool(ID_PATTERN.fullmatch(value))


class ResultStore(Protocol):
    def put(self, id: str, data: bytes, meta: dict) -> None:
        """Store (or replace) the entry; its lifetime starts again."""
        ...

    def get(self, id: str) -> bytes | None:
        """The bytes, or None for an unknown, expired or malformed id."""
        ...

    def get_meta(self, id: str) -> dict | None:
        """The meta dict, or None for an unknown, expired or malformed id."""
        ...


@dataclass
class LocalResultStore:
    root: Path
    ttl: float
    """Seconds an entry lives after its last write."""
    _last_sweep: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def put(self, id: str, data: bytes, meta: dict) -> None:
        if not valid_id(id):
            raise ValueError(f"malformed result id {id!r}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            # Bytes first, meta last: an entry counts as present once its meta exists.
            self._write(self.root / f"{id}.bin", data)
            self._write(self.root / f"{id}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        except OSError as e:
            # Bytes without their meta are never served, and the sweep takes them; an entry that was
            # there before keeps its meta, so a failed rewrite loses nothing.
            log.error("result store %s cannot be written: %s", self.root, e)
            raise ResultStoreUnavailable(
                "results cannot be stored right now (the server's disk is full or "
                "read-only); try again shortly"
            ) from None
        self._maybe_sweep()

    def get(self, id: str) -> bytes | None:
        if self.get_meta(id) is None:
            return None
        return self._read(self.root / f"{id}.bin")

    def get_meta(self, id: str) -> dict | None:
        if not valid_id(id):
            return None
        path = self.root / f"{id}.json"
        raw = self._read(path)
        if raw is None:
            return None
        if self._expired(path):
            self._remove(id)
            return None
        return json.loads(raw)

    def sweep(self) -> int:
        """Delete expired entries (and the leftovers of interrupted writes); returns how many files went."""
        removed = 0
        if not self.root.is_dir():
            return removed
        for path in self.root.iterdir():
            if self._expired(path):
                try:
                    path.unlink()
                    removed += 1
                except FileNotFoundError:
                    pass  # another worker swept it first
                except OSError as e:  # a read-only disk: expired entries still read as missing
                    log.warning("cannot sweep %s: %s", path, e)
                    break
        if removed:
            log.info("swept %d expired result files from %s", removed, self.root)
        return removed

    def _expired(self, path: Path) -> bool:
        try:
            return time.time() - path.stat().st_mtime > self.ttl
        except FileNotFoundError:
            return True

    def _maybe_sweep(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_sweep < SWEEP_EVERY:
                return
            self._last_sweep = now
        self.sweep()

    def _remove(self, id: str) -> None:
        for suffix in (".json", ".bin"):
            try:
                (self.root / f"{id}{suffix}").unlink(missing_ok=True)
            except OSError as e:  # read-only: the entry stays on disk but reads as missing (meta first)
                log.warning("cannot remove result %s%s: %s", id, suffix, e)

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None


@resource
def get_result_store(settings: Settings) -> ResultStore:
    """The store the settings choose, one per process and settings: Redis (photo/results_redis.py)
    when REDIS_URL is set, so that every replica serves every result, else the local folder."""
    if settings.redis_url:
        from core.redisconn import get_redis
        from photo.results_redis import RedisResultStore

        return RedisResultStore(get_redis(settings.redis_url), settings.result_ttl)
    return LocalResultStore(settings.results_dir, settings.result_ttl)
