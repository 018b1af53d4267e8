"""The result folder full or read-only (embedded mode): a clear 503, no crash, nothing half-written served,
and the service recovers by itself once the disk does. The folder is a small tmpfs mounted by the test."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from photos import encode, scene

from app.web import create_app


def mount(folder: Path, options: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True, capture_output=True
    )


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True, capture_output=True)


@pytest.fixture
def results_disk(site_settings, tmp_path):
    """An app whose result folder is a 32 KiB tmpfs (too small for one photo session)."""
    folder = tmp_path / "data" / "results"
    folder.mkdir(parents=True)
    try:
        mount(folder, "size=32k")
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN, as CI has): {e}")
    settings = replace(site_settings, data_dir=tmp_path / "data")
    for name in ("prepared", "raw"):
        (tmp_path / "data" / name).symlink_to(site_settings.data_dir / name)
    app = create_app(settings)
    app.testing = True
    try:
        yield app.test_client(), folder
    finally:
        subprocess.run(["umount", str(folder)], check=False, capture_output=True)


def upload(client, data: bytes):
    return client.post(
        "/api/photo",
        data={"file": (io.BytesIO(data), "p.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )


def served_entries(client, folder: Path) -> None:
    """Every entry whose meta is on disk is whole; bytes without their meta are never served."""
    for meta in folder.glob("*.json"):
        assert (folder / f"{meta.stem}.bin").exists()
    for data in folder.glob("*.bin"):
        if not (folder / f"{data.stem}.json").exists():
            assert client.get(f"/api/results/{data.stem}.jpg").status_code == 404


def test_a_full_disk_is_503_and_recovers(results_disk):
    client, folder = results_disk
    photo = encode(scene((800, 600)), quality=95)
    full = upload(client, photo)
    assert full.status_code == 503 and full.get_json()["error"] == "results_unavailable"
    served_entries(client, folder)
    remount(folder, "size=16m")
    ok = upload(client, photo)
    assert ok.status_code == 200, ok.get_json()
    image = client.get(ok.get_json()["image_url"])
    assert image.status_code == 200 and image.data[:3] == b"\xff\xd8\xff"


def test_a_read_only_disk_is_503_and_earlier_results_stay(results_disk):
    client, folder = results_disk
    remount(folder, "size=16m")
    first = upload(client, encode(scene((800, 600)), quality=90))
    assert first.status_code == 200
    session_id = first.get_json()["id"]
    remount(folder, "ro")
    refused = upload(client, encode(scene((640, 480)), quality=90))
    assert refused.status_code == 503 and refused.get_json()["error"] == "results_unavailable"
    drawn = client.post(f"/api/photo/{session_id}/render", json={"candidate": 2})
    assert drawn.status_code == 503
    assert client.get(first.get_json()["image_url"]).status_code == 200  # what was kept is still served
    remount(folder, "rw")
    again = client.post(f"/api/photo/{session_id}/render", json={"candidate": 2})
    assert again.status_code == 200 and client.get(again.get_json()["image_url"]).status_code == 200
