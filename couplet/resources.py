"""The one place that holds loaded models: each is built on first use, once per process and settings."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.errors import DataError
from core.lazy import resource
from core.settings import Settings
from couplet.badwords import BadWords

if TYPE_CHECKING:
    from couplet.corpus import Corpus
    from couplet.matching.index import VectorIndex
    from couplet.model.generator import Generator

log = logging.getLogger(__name__)


@resource
def get_generator(settings: Settings) -> Generator:
    from couplet.model.generator import Generator

    return Generator(settings.generator_dir, get_badwords(settings), memory=get_memory(settings))


@resource
def get_memory(settings: Settings):
    """The corpus memory over the corpus store; None without a corpus."""
    from couplet.memory import CorpusMemory

    if not (settings.prepared_dir / "train.tsv").exists():
        log.warning("no prepared corpus in %s: lower lines come from the model alone", settings.prepared_dir)
        return None
    return CorpusMemory(get_corpus(settings))


@resource
def get_corpus(settings: Settings) -> Corpus:
    """The corpus store, built on first use if `couplet data prepare` has not built it."""
    from couplet.corpus import load_corpus

    return load_corpus(settings.prepared_dir, settings.corpus_dir)


@resource
def get_badwords(settings: Settings) -> BadWords:
    path = settings.raw_dir / "badwords.txt"
    if not path.exists():
        raise DataError(f"the bad-word list {path} is missing: run `couplet data fetch`")
    return BadWords.load(path)


# The upper-line matcher (couplet/matching/).
@resource
def get_encoder(settings: Settings):
    from couplet.matching.encoder import load_encoder

    return load_encoder(settings.matcher_dir)


@resource
def get_vector_index(settings: Settings) -> VectorIndex | None:
    """The index, or None when there is none that fits the corpus and the encoder (the reason is logged
    once): the matcher then ranks by keywords, and no request pays for hashing the encoder again."""
    from couplet.matching.encoder import encoder_hash
    from couplet.matching.index import VectorIndex

    try:
        get_encoder(settings)
        return VectorIndex.load(settings.index_dir, get_corpus(settings), encoder_hash(settings.matcher_dir))
    except DataError as exc:
        log.warning("no vector index, the matcher falls back to keywords: %s", exc)
        return None
