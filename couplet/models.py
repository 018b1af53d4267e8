"""The one place that holds loaded models: each is built on first use, once per process."""

from __future__ import annotations

import threading
from functools import cache

from couplet.badwords import BadWords
from couplet.errors import DataError
from couplet.settings import Settings

_lock = threading.Lock()


@cache
def _load_generator(settings: Settings):
    from couplet.model.generator import Generator

    return Generator(settings.generator_dir, get_badwords(settings))


@cache
def _load_badwords(settings: Settings) -> BadWords:
    path = settings.raw_dir / "badwords.txt"
    if not path.exists():
        raise DataError(f"the bad-word list {path} is missing: run `couplet data fetch`")
    return BadWords.load(path)


def get_generator(settings: Settings | None = None):
    with _lock:  # threads of one gunicorn worker must not load the model twice
        return _load_generator(settings or Settings.from_env())


def get_badwords(settings: Settings | None = None) -> BadWords:
    return _load_badwords(settings or Settings.from_env())
