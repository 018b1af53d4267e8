"""Prometheus metrics: request latency per endpoint and status, and the latency of each model stage.

Under gunicorn every worker is its own process, so `couplet serve` points PROMETHEUS_MULTIPROC_DIR
at an emptied folder before the workers start: prometheus_client then keeps the values in files
there, and `/metrics` answered by any worker adds up all of them. Without that variable (tests,
`flask run`) the values live in this process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# From a cached answer (~1 ms) to a photo on a busy CPU (tens of seconds).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUEST_LATENCY = Histogram(
    "couplet_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status code.",
    ["endpoint", "method", "status"],
    buckets=BUCKETS,
)
STAGE_LATENCY = Histogram(
    "couplet_stage_duration_seconds",
    "Time spent in one stage of answering (e.g. generate, tag, match, render).",
    ["stage"],
    buckets=BUCKETS,
)


@contextmanager
def stage_timer(stage: str) -> Iterator[None]:
    """Times the block into the stage histogram, also when it raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        STAGE_LATENCY.labels(stage=stage).observe(time.perf_counter() - started)


def exposition() -> tuple[bytes, str]:
    """The metrics in the Prometheus text format, and its content type: of all workers under gunicorn."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """Called by gunicorn's child_exit hook: drops the dead worker's live gauges (counts stay summed)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


def prepare_multiproc_dir(port: int) -> Path:
    """The folder the gunicorn workers share their metrics through, emptied: PROMETHEUS_MULTIPROC_DIR if
    set, else one per port under the temp dir. Values of a previous run must not be added to this one."""
    folder = Path(os.environ.get(MULTIPROC_ENV) or Path(tempfile.gettempdir()) / f"couplet-metrics-{port}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
