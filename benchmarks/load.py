"""Load test of the served app: gunicorn on loopback, bounded in time and requests.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/load.py \
        [--text-clients 50] [--photo-clients 8] [--seconds 60] [--rss-requests 2000] [--workers W] [--threads T]

Starts `couplet serve` (rate limits off, the shipped models, the prepared corpus) on a free loopback
port, waits for /readyz, warms every worker, then runs three phases:

1. text: `--text-clients` clients POST /api/couplet for `--seconds`, each with upper lines of the
   leak-free test split (a fresh line per request, so the answer cache rarely helps);
2. photo: `--photo-clients` clients POST /api/photo for `--seconds` with the scene photos of the data
   mirror (or generated pictures without it);
3. rss: `--rss-requests` photo requests, the resident memory of the gunicorn workers sampled every 50.

Reports per phase: requests, errors (any non-200 or transport failure), throughput, p50/p95/p99 ms;
and the RSS curve. Prints a table and writes benchmarks/results/load.json. Only loopback is targeted;
every loop stops by time or count. A phase with 0 in its count is skipped.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests
from PIL import Image, ImageDraw

from core.settings import PROJECT_ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results"
RSS_EVERY = 50


@dataclass
class Phase:
    name: str
    clients: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: str, ms: float) -> None:
        with self._lock:
            self.statuses[status] += 1
            if status == "200":
                self.latencies_ms.append(ms)

    def summary(self) -> dict:
        total = sum(self.statuses.values())
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([np.nan])
        return {
            "phase": self.name,
            "clients": self.clients,
            "requests": total,
            "errors": total - self.statuses.get("200", 0),
            "statuses": dict(self.statuses),
            "seconds": round(self.seconds, 1),
            "throughput_rps": round(total / self.seconds, 2) if self.seconds else 0,
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "max_ms": round(float(np.max(lat)), 1),
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int, log_path: Path, **env_extra: str) -> subprocess.Popen:
    """`couplet serve` on loopback without rate limits or Redis (unless env_extra names REDIS_URL)."""
    env = {
        **os.environ,
        "COUPLET_HOST": "127.0.0.1",
        "COUPLET_PORT": str(port),
        "COUPLET_WORKERS": str(workers),
        "COUPLET_THREADS": str(threads),
        "COUPLET_RATE_LIMIT_TEXT": "",
        "COUPLET_RATE_LIMIT_PHOTO": "",
        "COUPLET_RATE_LIMIT_ADDRESS_TEXT": "",
        "COUPLET_RATE_LIMIT_ADDRESS_PHOTO": "",
        "OMP_NUM_THREADS": "1",
        "COUPLET_LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(env_extra)
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("couplet")), "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/readyz", timeout=120).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit("the server did not become ready")


def worker_pids(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def upper_lines(settings: Settings) -> list[str]:
    path = settings.prepared_dir / "test.tsv"
    lines = sorted({line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines() if line})
    random.Random(0).shuffle(lines)
    return lines


def photos(settings: Settings, count: int = 24) -> list[bytes]:
    """JPEGs of the mirror's scene photos, else generated landscapes."""
    folder = settings.data_mirror / "images" / "scenes" if settings.data_mirror else None
    if folder and folder.is_dir():
        return [p.read_bytes() for p in sorted(folder.glob("*.jpg"))[:count]]
    rng = random.Random(0)
    out = []
    for _ in range(count):
        image = Image.new("RGB", (800, 600), (rng.randrange(256), rng.randrange(256), 255))
        draw = ImageDraw.Draw(image)
        draw.polygon(
            [(0, 600), (rng.randrange(200, 600), rng.randrange(150, 400)), (800, 600)], fill=(40, 110, 60)
        )
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def timed_post(phase: Phase, session: requests.Session, url: str, **kwargs) -> None:
    started = time.perf_counter()
    try:
        status = str(session.post(url, timeout=120, **kwargs).status_code)
    except requests.RequestException as e:
        status = type(e).__name__
    phase.record(status, (time.perf_counter() - started) * 1000)


def run_for(phase: Phase, seconds: float, request) -> None:
    """`phase.clients` threads, each sending `request(session, i)` back to back until time is up."""
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            request(session, i)

    started = time.monotonic()
    with ThreadPoolExecutor(phase.clients) as pool:
        for _ in range(phase.clients):
            pool.submit(client)
    phase.seconds = time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-clients", type=int, default=50)
    parser.add_argument("--photo-clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rss-requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: COUPLET_WORKERS)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: COUPLET_THREADS)")
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()

    settings = Settings.from_env()
    workers, threads = args.workers or settings.workers, args.threads or settings.threads
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = Path("/tmp") / f"couplet-load-{port}.log"
    server = start_server(port, workers, threads, log_path)
    report: dict = {"workers": workers, "threads": threads, "cpus": os.cpu_count(), "phases": [], "rss": []}
    try:
        started = time.monotonic()
        wait_ready(url)
        lines, images = upper_lines(settings), photos(settings)
        # Every worker loads its models on its first requests: warm them all before measuring.
        with ThreadPoolExecutor(workers * 2) as pool:
            list(
                pool.map(
                    lambda i: requests.post(
                        url + "/api/photo", files={"file": ("p.jpg", images[i % len(images)])}, timeout=300
                    ),
                    range(workers * 2),
                )
            )
        report["startup_seconds"] = round(time.monotonic() - started, 1)
        pids = worker_pids(server.pid)
        report["rss_after_warmup_mb"] = round(rss_mb(pids), 1)

        if args.text_clients:
            text = Phase("text /api/couplet", args.text_clients)
            run_for(
                text,
                args.seconds,
                lambda s, i: timed_post(
                    text, s, url + "/api/couplet", json={"upper": lines[i % len(lines)], "n": 3}
                ),
            )
            report["phases"].append(text.summary())
        if args.photo_clients:
            photo = Phase("photo /api/photo", args.photo_clients)
            run_for(
                photo,
                args.seconds,
                lambda s, i: timed_post(
                    photo,
                    s,
                    url + "/api/photo",
                    files={"file": ("p.jpg", images[i % len(images)], "image/jpeg")},
                ),
            )
            report["phases"].append(photo.summary())
        if args.rss_requests:
            soak = Phase(f"rss {args.rss_requests} photos", args.photo_clients or 8)
            report["rss"].append({"requests": 0, "rss_mb": round(rss_mb(pids), 1)})
            done = 0
            t0 = time.monotonic()
            while done < args.rss_requests:
                batch = min(RSS_EVERY, args.rss_requests - done)
                with ThreadPoolExecutor(soak.clients) as pool:
                    # The requests module as the "session": a new connection per request, no shared state.
                    list(
                        pool.map(
                            lambda i: timed_post(
                                soak,
                                requests,
                                url + "/api/photo",
                                files={"file": ("p.jpg", images[i % len(images)], "image/jpeg")},
                            ),
                            range(done, done + batch),
                        )
                    )
                done += batch
                report["rss"].append({"requests": done, "rss_mb": round(rss_mb(pids), 1)})
                print(f"  rss after {done} photos: {report['rss'][-1]['rss_mb']} MB", flush=True)
            soak.seconds = time.monotonic() - t0
            report["phases"].append(soak.summary())
            report["workers_restarted"] = sorted(set(worker_pids(server.pid))) != sorted(pids)
    finally:
        server.terminate()
        server.wait(timeout=60)

    print(
        f"\ngunicorn {workers} workers x {threads} threads on {os.cpu_count()} CPUs; "
        f"ready and warm after {report.get('startup_seconds')} s; log: {log_path}\n"
    )
    header = [
        "phase",
        "clients",
        "requests",
        "errors",
        "seconds",
        "throughput_rps",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in report["phases"]:
        print("| " + " | ".join(str(row[h]) for h in header) + " |")
    if report["rss"]:
        curve = report["rss"]
        print(
            f"\nworker RSS: {curve[0]['rss_mb']} MB at 0 → {curve[-1]['rss_mb']} MB after {curve[-1]['requests']} photos "
            f"(max {max(p['rss_mb'] for p in curve)} MB); workers restarted: {report.get('workers_restarted')}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nwrote {args.out.relative_to(PROJECT_ROOT) if args.out.is_relative_to(PROJECT_ROOT) else args.out}"
    )


if __name__ == "__main__":
    main()
