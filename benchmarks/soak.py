"""Soak run: mixed traffic at a steady rate for a long time, watching every worker's memory and descriptors.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/soak.py [--minutes 30] [--rate 4]

Starts `couplet serve` (COUPLET_WORKERS x COUPLET_THREADS, the shipped models, limits off) on loopback and sends `--rate` requests a
second, in a fixed rotation of text (/api/couplet), match (/api/couplet/match), photo (/api/photo) and digits
(/api/digits/predict) requests, each on its own thread so a slow one never delays the schedule. Every
minute it samples each worker's resident memory and open file descriptors and the latency percentiles of
that minute. After `--warmup` minutes, the run fails when any 5xx (or transport error) appears, or when a
worker's memory or descriptors at the end lie more than `--tolerance` above their level right after the
warm-up (growth without bound shows as a steady climb; the curve is printed to check by eye).

Prints the curve as a table and writes benchmarks/results/soak.json; exits 1 when the run fails. Only
loopback is targeted, and the run stops by itself after `--minutes`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import requests
from load import RESULTS, free_port, photos, start_server, upper_lines, wait_ready, worker_pids
from PIL import Image, ImageDraw

from core.settings import PROJECT_ROOT, Settings

KINDS = ("text", "match", "photo", "digits")
TAGS = [["山", "湖"], ["月亮", "天空"], ["花朵", "春天"], ["雪", "松树"], ["城市", "夜晚"], ["大海", "船"]]


def digit_png(i: int) -> bytes:
    image = Image.new("L", (140, 140), 255)
    ImageDraw.Draw(image).text((45, 20), str(i % 10), fill=0, font_size=100)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def worker_sample(pids: list[int]) -> dict[str, dict[str, float]]:
    """pid → resident MB and open descriptors."""
    out = {}
    for pid in pids:
        try:
            rss_kb = next(
                int(line.split()[1])
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
            out[str(pid)] = {"rss_mb": round(rss_kb / 1024, 1), "fds": len(os.listdir(f"/proc/{pid}/fd"))}
        except (FileNotFoundError, StopIteration):
            pass
    return out


class Minute:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {k: [] for k in KINDS}
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()

    def record(self, kind: str, status: str, ms: float) -> None:
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1
            if status == "200":
                self.latencies[kind].append(ms)

    def summary(self) -> dict:
        return {
            "statuses": dict(self.statuses),
            **{f"{k}_p50_ms": round(float(np.percentile(v, 50)), 1) for k, v in self.latencies.items() if v},
            **{f"{k}_p95_ms": round(float(np.percentile(v, 95)), 1) for k, v in self.latencies.items() if v},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=4.0, help="requests a second, all kinds together")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="minutes before memory and descriptors count"
    )
    parser.add_argument("--tolerance", type=float, default=0.10, help="allowed growth after the warm-up")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args()

    settings = Settings.from_env()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = Path("/tmp") / f"couplet-soak-{port}.log"
    server = start_server(port, settings.workers, settings.threads, log_path)
    lines, images = upper_lines(settings), photos(settings)
    digits = [digit_png(i) for i in range(10)]
    session = requests.Session()

    def request(kind: str, i: int):
        if kind == "text":
            return session.post(url + "/api/couplet", json={"upper": lines[i % len(lines)]}, timeout=60)
        if kind == "match":
            return session.post(
                url + "/api/couplet/match",
                json={"tags": [{"name": t} for t in TAGS[i % len(TAGS)]]},
                timeout=60,
            )
        if kind == "photo":
            return session.post(
                url + "/api/photo",
                files={"file": ("p.jpg", images[i % len(images)], "image/jpeg")},
                timeout=120,
            )
        return session.post(
            url + "/api/digits/predict", files={"file": ("d.png", digits[i % 10], "image/png")}, timeout=60
        )

    def send(minute: Minute, kind: str, i: int) -> None:
        started = time.perf_counter()
        try:
            status = str(request(kind, i).status_code)
        except requests.RequestException as e:
            status = type(e).__name__
        minute.record(kind, status, (time.perf_counter() - started) * 1000)

    curve: list[dict] = []
    try:
        wait_ready(url)
        for i in range(8):  # every worker loads every model before the clock starts
            for kind in KINDS:
                send(Minute(), kind, i)
        pids = worker_pids(server.pid)
        started = time.monotonic()
        sent = 0
        minute, minute_end, threads = Minute(), started + 60, []
        while time.monotonic() - started < args.minutes * 60:
            now = time.monotonic()
            if now >= minute_end:
                curve.append({"minute": len(curve) + 1, **minute.summary(), "workers": worker_sample(pids)})
                print(json.dumps(curve[-1], ensure_ascii=False), flush=True)
                minute, minute_end = Minute(), minute_end + 60
            due = int((now - started) * args.rate)
            while sent < due:
                thread = threading.Thread(
                    target=send, args=(minute, KINDS[sent % len(KINDS)], sent), daemon=True
                )
                thread.start()
                threads.append(thread)
                sent += 1
            threads = [t for t in threads if t.is_alive()]
            time.sleep(0.02)
        for thread in threads:
            thread.join(timeout=120)
        curve.append({"minute": len(curve) + 1, **minute.summary(), "workers": worker_sample(pids)})
        restarted = sorted(worker_pids(server.pid)) != sorted(pids)
    finally:
        server.terminate()
        server.wait(timeout=60)

    errors = sum(
        n for row in curve for key, n in row["statuses"].items() if not key.endswith((" 200", " 400"))
    )
    settled = [row for row in curve if row["minute"] > args.warmup] or curve[-1:]
    growth = {}
    for pid in settled[0]["workers"]:
        for measure in ("rss_mb", "fds"):
            first, last = (
                settled[0]["workers"][pid][measure],
                settled[-1]["workers"].get(pid, {}).get(measure),
            )
            growth[f"{pid} {measure}"] = (
                round((last - first) / first, 3) if last is not None and first else None
            )
    ok = errors == 0 and not restarted and all(g is not None and g <= args.tolerance for g in growth.values())
    report = {
        "minutes": args.minutes,
        "rate": args.rate,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "errors": errors,
        "workers_restarted": restarted,
        "growth_after_warmup": growth,
        "ok": ok,
        "curve": curve,
    }

    print("\n| minute | " + " | ".join(f"{k} p50/p95 ms" for k in KINDS) + " | RSS MB (per worker) | fds |")
    print("|---|" + "---|" * len(KINDS) + "---|---|")
    for row in curve:
        lat = " | ".join(f"{row.get(f'{k}_p50_ms', '-')}/{row.get(f'{k}_p95_ms', '-')}" for k in KINDS)
        rss = " ".join(str(w["rss_mb"]) for w in row["workers"].values())
        fds = " ".join(str(w["fds"]) for w in row["workers"].values())
        print(f"| {row['minute']} | {lat} | {rss} | {fds} |")
    print(
        f"\nerrors (5xx or transport): {errors}; workers restarted: {restarted}; growth after warm-up: {growth}"
    )
    print("PASS" if ok else "FAIL")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out.relative_to(PROJECT_ROOT) if args.out.is_relative_to(PROJECT_ROOT) else args.out}; "
        f"server log: {log_path}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
