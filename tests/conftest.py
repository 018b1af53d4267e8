"""Session fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import Settings

MIRROR_UNSET = "COUPLET_DATA_MIRROR is not set: real-data tests need the data mirror"


@pytest.fixture(scope="session")
def prepared_real() -> Path:
    """The prepared splits of the real corpus, fetched from COUPLET_DATA_MIRROR and prepared once (the corpus
    store with them, in Settings.corpus_dir).

    They are cached under COUPLET_DATA_DIR (default: <repo>/data), so later runs only verify
    checksums: fetch keeps verified files and prepare is a no-op while its outputs are up to date.
    """
    from couplet.fetch import fetch_all
    from couplet.prepare import prepare

    value = os.environ.get("COUPLET_DATA_MIRROR")
    if not value:
        pytest.skip(MIRROR_UNSET)
    mirror = Path(value).expanduser()
    if not mirror.is_dir():
        pytest.skip(f"COUPLET_DATA_MIRROR={value} does not exist: real-data tests need the data mirror")
    settings = Settings.from_env()
    fetch_all(settings.raw_dir, mirror)
    prepare(settings.raw_dir, settings.prepared_dir, settings.corpus_dir)
    return settings.prepared_dir
