"""`couplet serve` under gunicorn with two workers: it answers, metrics add up across workers, logs are JSON lines."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from servicekit import serving, write_site


@pytest.fixture(scope="module")
def served(tiny_generator, tmp_path_factory):
    """One server for the module: starting two workers (torch and all) takes several seconds."""
    root = tmp_path_factory.mktemp("served")
    write_site(root, tiny_generator)
    metrics_dir = root / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_stale.db").write_bytes(b"left over by an earlier run")
    log_path = root / "server.log"
    env = {
        "COUPLET_WORKERS": "2",
        "COUPLET_THREADS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "COUPLET_LOG_FORMAT": "json",
    }
    with serving(root, log_path, **env) as url:
        yield url, metrics_dir, log_path


def test_gunicorn_serves_the_couplet_api(served):
    url = served[0]
    response = requests.post(url + "/api/couplet", json={"upper": "春风化雨", "n": 2}, timeout=30)
    assert response.status_code == 200
    assert [len(c["lower"]) for c in response.json()["candidates"]] == [4, 4]
    bad = requests.post(url + "/api/couplet", json={"upper": "abc"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"] == "not_chinese"


def answered_200(url: str) -> float:
    """POST /api/couplet answers with 200 counted by /metrics, over all workers."""
    text = requests.get(url + "/metrics", timeout=10).text
    count = re.search(
        r'^couplet_http_request_duration_seconds_count\{endpoint="/api/couplet",method="POST",'
        r'status="200"\} (\S+)$',
        text,
        re.M,
    )
    return float(count.group(1)) if count else 0.0


def test_metrics_of_all_workers_add_up(served):
    url, metrics_dir, _ = served
    assert not (metrics_dir / "counter_stale.db").exists()  # serve emptied the folder first
    before = answered_200(url)

    def ask(i: int) -> int:
        body = {"upper": "春风化雨千山绿", "n": 3, "sample": True, "seed": i}  # seeded: each one is generated
        return requests.post(url + "/api/couplet", json=body, timeout=60).status_code

    # Rounds of six requests at once against two single-threaded workers, until both have taken some
    # (on a busy machine the second worker may still be importing torch when the first answers).
    sent = 0
    for _ in range(10):
        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(ask, range(sent, sent + 6))) == [200] * 6
        sent += 6
        pids = {p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("histogram_*.db")}
        if len(pids) == 2:
            break
        time.sleep(2)
    assert len(pids) == 2, f"expected both workers to have answered, files: {sorted(pids)}"
    for _ in range(3):  # whichever worker answers /metrics, it counts the requests of both
        assert answered_200(url) == before + sent


def test_logs_are_json_with_the_request_id(served):
    url, _, log_path = served
    response = requests.post(
        url + "/api/couplet",
        json={"upper": "春风化雨", "n": 1},
        headers={"X-Request-Id": "trace-42"},
        timeout=30,
    )
    assert response.status_code == 200 and response.headers["X-Request-Id"] == "trace-42"
    time.sleep(0.3)
    lines = [line for line in log_path.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e.get("logger") == "couplet.access" and e.get("request_id") == "trace-42"]
    assert access and access[0]["status"] == 200 and access[0]["endpoint"] == "/api/couplet"
    assert any(e.get("logger") == "gunicorn.error" for e in entries)  # gunicorn's own lines are JSON too
