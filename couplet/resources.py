"""The one place that holds loaded models: each is built on first use, once per process."""

from __future__ import annotations

import logging
import threading
from functools import cache

from core.errors import DataError
from core.settings import Settings
from couplet.badwords import BadWords

log = logging.getLogger(__name__)
_lock = threading.Lock()


@cache
def _load_generator(settings: Settings):
    from couplet.model.generator import Generator

    return Generator(settings.generator_dir, get_badwords(settings), memory=_load_memory(settings))


@cache
def _load_memory(settings: Settings):
    """The corpus memory, built on first use if `couplet data prepare` has not built it; None without a corpus."""
    from couplet.memory import CorpusMemory, build_memory

    if not (settings.prepared_dir / "train.tsv").exists():
        log.warning("no prepared corpus in %s: lower lines come from the model alone", settings.prepared_dir)
        return None
    build_memory(settings.prepared_dir, settings.memory_dir)
    return CorpusMemory(settings.memory_dir)


@cache
def _load_badwords(settings: Settings) -> BadWords:
    path = settings.raw_dir / "badwords.txt"
    if not path.exists():
        raise DataError(f"the bad-word list {path} is missing: run `couplet data fetch`")
    return BadWords.load(path)


def get_generator(settings: Settings | None = None):
    with _lock:  # threads of one gunicorn worker must not load the model twice
        return _load_generator(settings or Settings.from_env())


def get_memory(settings: Settings | None = None):
    with _lock:
        return _load_memory(settings or Settings.from_env())


def get_badwords(settings: Settings | None = None) -> BadWords:
    return _load_badwords(settings or Settings.from_env())


# The upper-line matcher (couplet/matching/).
@cache
def _load_line_table(settings: Settings):
    from couplet.matching.lines import load_line_table

    return load_line_table(settings.prepared_dir, settings.index_dir)


@cache
def _load_encoder(settings: Settings):
    from couplet.matching.encoder import load_encoder

    return load_encoder(settings.matcher_dir)


@cache
def _load_vector_index(settings: Settings):
    """The index, or the DataError saying why there is none: kept, so requests do not re-check each time."""
    from couplet.matching.encoder import encoder_hash
    from couplet.matching.index import VectorIndex

    try:
        _load_encoder(settings)
        return VectorIndex.load(settings.index_dir, _load_line_table(settings), encoder_hash(settings.matcher_dir))
    except DataError as exc:
        log.warning("no vector index, the matcher falls back to keywords: %s", exc)
        return exc


@cache
def _load_keyword_index(settings: Settings):
    from couplet.matching.keyword import KeywordIndex

    log.info("building the keyword index of the matcher")
    return KeywordIndex(_load_line_table(settings).lines)


def get_line_table(settings: Settings | None = None):
    with _lock:
        return _load_line_table(settings or Settings.from_env())


def get_encoder(settings: Settings | None = None):
    with _lock:
        return _load_encoder(settings or Settings.from_env())


def get_vector_index(settings: Settings | None = None):
    with _lock:
        index = _load_vector_index(settings or Settings.from_env())
    if isinstance(index, DataError):
        # A fresh exception each time: re-raising the cached one would grow its traceback with every
        # request's frames (and the photos they hold) for the life of the worker.
        raise DataError(str(index))
    return index


def get_keyword_index(settings: Settings | None = None):
    with _lock:
        return _load_keyword_index(settings or Settings.from_env())
