"""Fixtures of the vision tests: the loopback API server and image makers (see fakeapi.py)."""

from __future__ import annotations

import threading

import pytest
from fakeapi import FakeApi, jpeg_bytes, png_bytes


@pytest.fixture
def fake_api():
    api = FakeApi()
    thread = threading.Thread(target=api.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.server.shutdown()
        api.server.server_close()


@pytest.fixture
def make_jpeg():
    return jpeg_bytes


@pytest.fixture
def make_png():
    return png_bytes
