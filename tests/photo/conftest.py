"""Fixtures of the photo tests: a small corpus site with the shipped generator, the app, a photo, a phone
browser on the served app.

The site is a temporary data folder holding a hand-written training split (what the matcher picks
upper lines from) and a bad-word list; models come from the repository (the shipped generator, the
local tagger from its PyPI package), so the tests exercise the real pipeline in a few seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import chromium, live_server, phone_page
from photos import encode, scene, write_site

from app.web import create_app
from core.settings import PROJECT_ROOT, Settings


@pytest.fixture(scope="session")
def site_settings(tmp_path_factory) -> Settings:
    if not (PROJECT_ROOT / "data" / "models" / "generator" / "config.json").exists():
        pytest.skip("the shipped generator (data/models/generator) is missing")
    return write_site(tmp_path_factory.mktemp("photo_site"))


@pytest.fixture(scope="session")
def app(site_settings):
    app = create_app(site_settings)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def scene_jpeg() -> bytes:
    return encode(scene((800, 600)), quality=90)


@pytest.fixture(scope="module")
def live_url(app):
    """The app served on loopback for the browser tests of a module."""
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def page(live_url):
    """A phone-sized page in Debian's Chromium, shared by the browser tests of a module; a script error
    on the page fails the module."""
    with chromium() as browser:
        page = phone_page(browser)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        assert not errors, f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def photo_file(tmp_path_factory) -> Path:
    """A photo to upload from a browser: a real one from the data mirror when there is one, else a drawn
    landscape."""
    mirror = os.environ.get("COUPLET_DATA_MIRROR")
    real = Path(mirror or "/nonexistent") / "images" / "scenes" / "kodak13_mountain_stream.jpg"
    if real.exists():
        return real
    path = tmp_path_factory.mktemp("upload") / "scene.jpg"
    path.write_bytes(encode(scene((1200, 900)), quality=90))
    return path
