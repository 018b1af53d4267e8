"""The local result store on a real folder: round trips, expiry, sweeping, and ids that must not reach the disk."""

from __future__ import annotations

import os
import time

import pytest

from photo.results import LocalResultStore, new_id, valid_id


@pytest.fixture
def store(tmp_path):
    return LocalResultStore(tmp_path / "results", ttl=60)


def age(store: LocalResultStore, id: str, seconds: float) -> None:
    """Make an entry look `seconds` old."""
    then = time.time() - seconds
    for suffix in (".json", ".bin"):
        os.utime(store.root / f"{id}{suffix}", (then, then))


def test_round_trip(store):
    id = new_id()
    store.put(id, b"\xff\xd8jpeg", {"kind": "result", "couplet": {"upper": "春风化雨"}})
    assert store.get(id) == b"\xff\xd8jpeg"
    assert store.get_meta(id) == {"kind": "result", "couplet": {"upper": "春风化雨"}}
    store.put(id, b"new", {"kind": "photo"})
    assert store.get(id) == b"new" and store.get_meta(id) == {"kind": "photo"}


def test_ids_are_random_and_well_formed():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(valid_id(i) and len(i) == 22 for i in ids)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../../etc/passwd",
        "..%2F..%2Fsecret",
        "a" * 21,
        "a" * 23,
        "a/b" + "c" * 19,
        "." * 22,
        "abcdefghijklmnopqrstu\x00",
        "ABCDEFGHIJKLMNOPQRSTU!",
    ],
)
def test_malformed_ids_never_touch_the_disk(store, tmp_path, bad):
    # A file the traversal would reach, were the id joined to the path unchecked.
    (tmp_path / "secret.json").write_text('{"kind": "result"}')
    assert store.get(bad) is None and store.get_meta(bad) is None
    with pytest.raises(ValueError):
        store.put(bad, b"x", {})


def test_unknown_id_is_missing(store):
    assert store.get(new_id()) is None and store.get_meta(new_id()) is None


def test_expired_entries_read_as_missing_and_are_deleted(store):
    id = new_id()
    store.put(id, b"data", {"kind": "result"})
    age(store, id, 61)
    assert store.get(id) is None and store.get_meta(id) is None
    assert not (store.root / f"{id}.bin").exists() and not (store.root / f"{id}.json").exists()


def test_writing_again_renews_the_lifetime(store):
    id = new_id()
    store.put(id, b"data", {"kind": "photo"})
    age(store, id, 50)
    store.put(id, b"data", {"kind": "photo", "round": 2})
    time.sleep(0.01)
    age_now = time.time() - (store.root / f"{id}.json").stat().st_mtime
    assert age_now < 5 and store.get_meta(id) == {"kind": "photo", "round": 2}


def test_sweep_removes_only_expired_files(store):
    old, fresh = new_id(), new_id()
    store.put(old, b"old", {})
    store.put(fresh, b"fresh", {})
    age(store, old, 3600)
    (store.root / ".tmp-leftover").write_bytes(b"half")  # an interrupted write
    os.utime(store.root / ".tmp-leftover", (time.time() - 3600,) * 2)
    assert store.sweep() == 3
    assert sorted(p.name for p in store.root.iterdir()) == sorted([f"{fresh}.bin", f"{fresh}.json"])


def test_put_sweeps_now_and_then(tmp_path):
    store = LocalResultStore(tmp_path, ttl=60)
    old = new_id()
    store.put(old, b"old", {})
    age(store, old, 3600)
    store.put(new_id(), b"new", {})  # at most one sweep a minute: the first put swept before `old` aged
    assert (tmp_path / f"{old}.bin").exists()
    store._last_sweep -= 120
    store.put(new_id(), b"newer", {})
    assert not (tmp_path / f"{old}.bin").exists()


def test_a_half_written_entry_is_missing(store):
    id = new_id()
    store.root.mkdir(parents=True)
    (store.root / f"{id}.bin").write_bytes(b"bytes but no meta yet")
    assert store.get(id) is None
