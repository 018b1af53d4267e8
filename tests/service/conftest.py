"""Fixtures of the service tests: a real redis-server on loopback, a tiny site (model + bad words), apps.

The Redis server is the Debian package's binary, started once per session on a free loopback port
in a temporary folder with persistence off, and shut down at the end. Each test that asks for
`redis_url` starts from an empty database.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from servicekit import VOCAB, free_port, write_site

from app.web import create_app
from core.settings import Settings


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> str:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; ./run.sh test installs it)")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
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
            "no",
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server) -> str:
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


@pytest.fixture(scope="session")
def tiny_generator(tmp_path_factory) -> Path:
    """A randomly initialised tiny generator (fast; its lines are nonsense but obey the hard rules)."""
    import torch
    from transformers import BartForConditionalGeneration

    from couplet.model.config import bart_config
    from couplet.model.tasks import add_markers
    from couplet.model.tokenizer import build_tokenizer

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("generator")
    tok = build_tokenizer([VOCAB])
    add_markers(tok)  # as the shipped model: it writes upper lines from keywords too
    BartForConditionalGeneration(bart_config(tok, "tiny")).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture
def make_site(tiny_generator, tmp_path):
    """make_site(name, **changes) → Settings over a site of its own (see write_site), the tiny model."""

    def make(name: str = "site", **changes) -> Settings:
        root = tmp_path / name
        write_site(root, tiny_generator)
        base = replace(
            Settings.from_env(),
            data_dir=root / "data",
            models_dir=root / "models",
            redis_url=None,
            wechat_appid=None,
            wechat_secret=None,
        )
        return replace(base, **changes)

    return make


@pytest.fixture
def make_client(make_site):
    """make_client(**settings changes) → a Flask test client of a fresh app over its own site."""
    count = 0

    def make(**changes):
        nonlocal count
        count += 1
        app = create_app(make_site(f"site{count}", **changes))
        app.testing = True
        return app.test_client()

    return make
