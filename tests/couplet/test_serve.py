"""`couplet serve` runs gunicorn; a live server on loopback answers the couplet API."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(tiny_model_dir, tmp_path):
    shutil.copytree(tiny_model_dir, tmp_path / "models" / "generator")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "COUPLET_DATA_DIR": str(tmp_path / "data"), "COUPLET_MODELS_DIR": str(tmp_path / "models"),
           "COUPLET_HOST": "127.0.0.1", "COUPLET_PORT": str(port), "COUPLET_WORKERS": "1", "COUPLET_THREADS": "2"}
    couplet = Path(sys.executable).with_name("couplet")
    proc = subprocess.Popen([str(couplet), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(url + "/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_gunicorn_serves_the_couplet_api(live_server):
    response = requests.post(live_server + "/api/couplet", json={"upper": "春风化雨", "n": 2}, timeout=30)
    assert response.status_code == 200
    assert [len(c["lower"]) for c in response.json()["candidates"]] == [4, 4]
    bad = requests.post(live_server + "/api/couplet", json={"upper": "abc"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"] == "not_chinese"
