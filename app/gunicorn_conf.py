"""gunicorn settings that flags cannot carry (`couplet serve` passes `-c python:app.gunicorn_conf`).

- gunicorn's own log lines go through the app's structured, redacting handler;
- a dead worker's metrics files are marked so (prometheus_client multiprocess mode);
- worker heartbeats live in /dev/shm where it exists: a container's overlay /tmp can stall them;
- each worker's torch uses COUPLET_TORCH_THREADS threads per operation (1: requests run in parallel
  on request threads, and small models gain nothing from splitting one matrix product).
"""

from __future__ import annotations

import logging
import os

from core.logs import make_handler
from core.settings import Settings
from core.telemetry import worker_exited

worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def on_starting(server) -> None:
    # Workers are forked from the arbiter, so they inherit the handler set here.
    error_log = logging.getLogger("gunicorn.error")
    error_log.handlers = [make_handler(Settings.from_env())]
    error_log.propagate = False


def child_exit(server, worker) -> None:
    worker_exited(worker.pid)


def post_fork(server, worker) -> None:
    import torch

    torch.set_num_threads(Settings.from_env().torch_threads)
