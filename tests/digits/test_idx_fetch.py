"""The idx reader on files the test writes, and fetch from a mirror folder the test builds."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from core.errors import DataError
from digits import fetch
from digits.idx import load_mnist, read_idx, write_idx


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_idx_round_trip(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / name, images)
    raw = (tmp_path / name).read_bytes()
    if name.endswith(".gz"):
        assert raw[:2] == b"\x1f\x8b"
    else:
        assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:8] == (7).to_bytes(4, "big")
    back = read_idx(tmp_path / name)
    assert back.dtype == np.uint8 and back.shape == (7, 28, 28)
    assert np.array_equal(back, images)


def test_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(DataError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    with pytest.raises(DataError, match="promises 5"):
        read_idx(tmp_path / "short")


def test_load_mnist_pairs_images_and_labels(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 3], np.uint8))
    images, labels = load_mnist(tmp_path, "test")
    assert images.shape == (3, 28, 28) and labels.tolist() == [1, 2, 3] and labels.dtype == np.int64
    with pytest.raises(DataError, match="couplet digits fetch"):
        load_mnist(tmp_path, "train")


@pytest.fixture
def fake_mirror(tmp_path):
    """A mirror folder and a sources manifest (same schema as data/manifests/digits_sources.json)."""
    mirror = tmp_path / "mirror"
    (mirror / "mnist").mkdir(parents=True)
    (mirror / "math-symbols").mkdir()
    files = {"mnist/a.gz": b"mnist bytes", "math-symbols/s.tar.xz": b"symbol bytes"}
    for rel, data in files.items():
        (mirror / rel).write_bytes(data)
    sources = {
        "a.gz": {
            "url": "https://example.invalid/a.gz",
            "mirror_path": "mnist/a.gz",
            "sha256": [hashlib.sha256(files["mnist/a.gz"]).hexdigest()],
        },
        "s.tar.xz": {
            "url": "https://www.kaggle.com/x",
            "mirror_path": "math-symbols/s.tar.xz",
            "needs_token": "kaggle",
            "sha256": [hashlib.sha256(files["math-symbols/s.tar.xz"]).hexdigest()],
        },
    }
    manifest = tmp_path / "sources.json"
    manifest.write_text(json.dumps(sources))
    return mirror, manifest


def test_fetch_copies_and_verifies(fake_mirror, tmp_path):
    mirror, manifest = fake_mirror
    raw = tmp_path / "raw"
    hashes = fetch.fetch_digits(raw, mirror, sources_file=manifest)
    assert (raw / "a.gz").read_bytes() == b"mnist bytes"
    assert hashes["s.tar.xz"] == hashlib.sha256(b"symbol bytes").hexdigest()
    # verified copies are kept; a corrupt mirror file is refused when fetching again
    (mirror / "mnist" / "a.gz").write_bytes(b"tampered")
    fetch.fetch_digits(raw, mirror, sources_file=manifest)
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch.fetch_digits(raw, mirror, force=True, sources_file=manifest)
    assert not (raw / "a.gz.part").exists()


def test_fetch_without_mirror_downloads_mnist_and_explains_kaggle(fake_mirror, tmp_path, monkeypatch):
    mirror, manifest = fake_mirror
    downloaded = []

    def fake_download(url, part, timeout=60.0):
        downloaded.append(url)
        shutil.copy(mirror / "mnist" / "a.gz", part)

    monkeypatch.setattr(fetch, "download", fake_download)
    with pytest.raises(DataError, match="Kaggle API token"):
        fetch.fetch_digits(tmp_path / "raw", None, sources_file=manifest)
    assert downloaded == ["https://example.invalid/a.gz"]
    assert (tmp_path / "raw" / "a.gz").read_bytes() == b"mnist bytes"


def test_missing_mirror_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        fetch.fetch_digits(tmp_path / "raw", tmp_path / "nowhere")


def test_manifest_records_every_source():
    sources = json.loads(fetch.SOURCES_FILE.read_text())
    assert set(sources) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "math_symbols_45x45.tar.xz",
    }
    for entry in sources.values():
        assert entry["url"].startswith("https://") and len(entry["sha256"][0]) == 64
