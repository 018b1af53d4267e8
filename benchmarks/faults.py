"""Faults under load: the served app while Redis dies and returns, slow uploads hog connections, a worker is killed.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/faults.py [--seconds 60] [--clients 8]

Starts a real redis-server and `couplet serve` (COUPLET_WORKERS x COUPLET_THREADS, the shipped models, REDIS_URL set, limits off)
on loopback, warms every worker, then runs three phases, each bounded in time:

1. redis: text, photo and result-download clients run for `--seconds`; Redis is stopped a third of
   the way in and started again (same port, empty) at two thirds. Text must answer 200 throughout
   (limits fall back to memory, the cache is skipped); photo uploads and result downloads may answer
   the documented 503 while Redis is down, and must answer 200 again once it is back; Redis keeps an
   append-only file as docker-compose.yml runs it, so results from before the outage are still there.
2. slow: `--slow` clients each announce a 10 MB upload and trickle it a kilobyte at a time while text
   clients run (the server's upload deadline set to a quarter of the phase); the text clients must keep
   getting 200s, and be served in the second half of the phase at least.
3. kill: text clients run while one worker is killed with SIGKILL mid-request; requests in flight on
   it may fail, gunicorn starts a replacement, and every request in the last third must succeed.

Prints a table per phase and writes benchmarks/results/faults.json; exits 1 when a phase breaks its rule.
Only loopback is targeted (the one disk fault, a full or read-only result folder, is a test:
tests/photo/test_store_faults.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from load import RESULTS, free_port, photos, start_server, upper_lines, wait_ready, worker_pids

from core.settings import PROJECT_ROOT, Settings

UPLOAD_BYTES = 10 * 1024 * 1024
TRICKLE = 1024  # bytes a slow client sends each step
TRICKLE_EVERY = 0.5  # seconds between its steps


class Log:
    """(kind, status, seconds since the phase started) of every request, from many threads."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.rows: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()

    def add(self, kind: str, status: str) -> None:
        with self._lock:
            self.rows.append((kind, status, time.monotonic() - self.started))

    def counts(self, kind: str, start: float = 0.0, end: float = float("inf")) -> Counter:
        return Counter(status for k, status, t in self.rows if k == kind and start <= t < end)


def send(log: Log, kind: str, method, *args, **kwargs) -> requests.Response | None:
    """`method(*args, **kwargs)` (a session's get or post), its status or failure logged under `kind`."""
    try:
        response = method(*args, **kwargs)
    except requests.RequestException as e:
        log.add(kind, type(e).__name__)
        return None
    log.add(kind, str(response.status_code))
    return response


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    # As docker-compose.yml runs it: an append-only file, so a restart keeps the results it held.
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def clients(
    url: str,
    seconds: float,
    count: int,
    lines: list[str],
    images: list[bytes],
    log: Log,
    kinds: tuple[str, ...],
) -> None:
    """`count` threads per kind (text, photo, result), each sending back to back until time is up."""
    deadline = time.monotonic() + seconds
    results: list[str] = []

    def loop(kind: str, k: int) -> None:
        session, i = requests.Session(), k
        while time.monotonic() < deadline:
            i += count
            if kind == "text":
                send(
                    log,
                    kind,
                    session.post,
                    url + "/api/couplet",
                    json={"upper": lines[i % len(lines)]},
                    timeout=60,
                )
            elif kind == "photo":
                answer = send(
                    log,
                    kind,
                    session.post,
                    url + "/api/photo",
                    timeout=120,
                    files={"file": ("p.jpg", images[i % len(images)], "image/jpeg")},
                )
                if answer is not None and answer.status_code == 200:
                    results.append(answer.json()["image_url"])
            elif results:
                send(log, kind, session.get, url + results[i % len(results)], timeout=60)
            else:
                time.sleep(0.2)

    with ThreadPoolExecutor(count * len(kinds)) as pool:
        for kind in kinds:
            for k in range(count):
                pool.submit(loop, kind, k)


def trickle(port: int, seconds: float, log: Log) -> None:
    """One slow client: a 10 MB photo upload announced, then sent a kilobyte every half second."""
    deadline = time.monotonic() + seconds
    head = (
        f"POST /api/photo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {UPLOAD_BYTES}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                head + b'--x\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n\r\n'
            )
            while time.monotonic() < deadline:
                sock.sendall(b"\xff" * TRICKLE)
                time.sleep(TRICKLE_EVERY)
        log.add("slow", "held")
    except OSError as e:
        log.add("slow", type(e).__name__)  # the server gave up on it: fine, that is one way to cope


def only(counter: Counter, allowed: set[str]) -> bool:
    return set(counter) <= allowed


def phase_redis(
    url: str,
    redis_port: int,
    redis_dir: Path,
    redis: list,
    seconds: float,
    count: int,
    lines: list[str],
    images: list[bytes],
) -> dict:
    log = Log()
    load = threading.Thread(
        target=clients, args=(url, seconds, count, lines, images, log, ("text", "photo", "result"))
    )
    load.start()
    time.sleep(seconds / 3)
    down_at = time.monotonic() - log.started
    redis[0].terminate()
    redis[0].wait(timeout=10)
    time.sleep(seconds / 3)
    redis[0] = start_redis(redis_port, redis_dir)
    up_at = time.monotonic() - log.started
    load.join()
    grace = 5.0  # connection pools notice the new server on their next command
    windows = {"before": (0, down_at), "down": (down_at, up_at), "back": (up_at + grace, float("inf"))}
    table = {
        kind: {name: dict(log.counts(kind, a, b)) for name, (a, b) in windows.items()}
        for kind in ("text", "photo", "result")
    }
    ok = (
        only(log.counts("text"), {"200"})
        and all(only(log.counts(k, *windows["down"]), {"200", "503"}) for k in ("photo", "result"))
        and all(only(log.counts(k, *windows["before"]), {"200"}) for k in ("photo", "result"))
        and all(
            only(log.counts(k, *windows["back"]), {"200"}) and log.counts(k, *windows["back"])
            for k in ("photo", "result")
        )
    )
    return {
        "phase": "redis stopped and restarted",
        "ok": bool(ok),
        "redis_down_s": [round(down_at, 1), round(up_at, 1)],
        "statuses": table,
    }


def phase_slow(url: str, port: int, seconds: float, slow: int, count: int, lines: list[str]) -> dict:
    log = Log()
    hogs = [threading.Thread(target=trickle, args=(port, seconds, log)) for _ in range(slow)]
    for hog in hogs:
        hog.start()
    time.sleep(1)  # the slow uploads hold their connections before the others start
    clients(url, seconds - 2, count, lines, [], log, ("text",))
    for hog in hogs:
        hog.join()
    text = log.counts("text")
    # Once the upload deadline (COUPLET_UPLOAD_SECONDS) has let the slow bodies go, others are served.
    later = log.counts("text", seconds / 2)
    return {
        "phase": f"{slow} slow 10 MB uploads",
        "ok": only(text, {"200"}) and sum(later.values()) >= 10,
        "statuses": {"text": dict(text), "text_second_half": dict(later), "slow": dict(log.counts("slow"))},
    }


def phase_kill(url: str, server: subprocess.Popen, seconds: float, count: int, lines: list[str]) -> dict:
    log = Log()
    before = worker_pids(server.pid)
    load = threading.Thread(target=clients, args=(url, seconds, count, lines, [], log, ("text",)))
    load.start()
    time.sleep(seconds / 3)
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic() - log.started
    load.join()
    after = worker_pids(server.pid)
    last_third = log.counts("text", seconds * 2 / 3)
    return {
        "phase": "a worker killed mid-request",
        "ok": only(last_third, {"200"})
        and bool(last_third)
        and victim not in after
        and len(after) == len(before),
        "killed_at_s": round(killed_at, 1),
        "workers_before": before,
        "workers_after": after,
        "statuses": {"text": dict(log.counts("text")), "text_last_third": dict(last_third)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=4, help="clients per kind of request")
    parser.add_argument("--slow", type=int, default=20, help="slow uploads at once")
    parser.add_argument("--out", type=Path, default=RESULTS / "faults.json")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (./run.sh test installs it)")

    settings = Settings.from_env()
    redis_dir = Path(tempfile.mkdtemp(prefix="couplet-faults-"))
    redis_port, port = free_port(), free_port()
    redis = [start_redis(redis_port, redis_dir)]
    url = f"http://127.0.0.1:{port}"
    log_path = Path("/tmp") / f"couplet-faults-{port}.log"
    server = start_server(
        port,
        settings.workers,
        settings.threads,
        log_path,
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        COUPLET_DATA_DIR=str(settings.data_dir),
        COUPLET_UPLOAD_SECONDS=str(args.seconds / 4),
    )
    report: dict = {"cpus": os.cpu_count(), "seconds": args.seconds, "clients": args.clients, "phases": []}
    try:
        wait_ready(url)
        lines, images = upper_lines(settings), photos(settings)
        with ThreadPoolExecutor(4) as pool:  # load the models in both workers before measuring
            list(
                pool.map(
                    lambda i: requests.post(
                        url + "/api/photo", timeout=300, files={"file": ("p.jpg", images[i % len(images)])}
                    ),
                    range(4),
                )
            )
        for run in (
            lambda: phase_redis(url, redis_port, redis_dir, redis, args.seconds, args.clients, lines, images),
            lambda: phase_slow(url, port, args.seconds, args.slow, args.clients, lines),
            lambda: phase_kill(url, server, args.seconds, args.clients, lines),
        ):
            result = run()
            report["phases"].append(result)
            print(
                f"{'PASS' if result['ok'] else 'FAIL'}  {result['phase']}: "
                f"{json.dumps(result['statuses'], ensure_ascii=False)}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=60)
        redis[0].terminate()
        redis[0].wait(timeout=10)
        shutil.rmtree(redis_dir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nwrote {args.out.relative_to(PROJECT_ROOT) if args.out.is_relative_to(PROJECT_ROOT) else args.out}; "
        f"server log: {log_path}"
    )
    sys.exit(0 if all(p["ok"] for p in report["phases"]) else 1)


if __name__ == "__main__":
    main()
