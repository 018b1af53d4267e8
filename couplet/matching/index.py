"""The vector index over the corpus's upper lines: built once per (corpus, encoder), memory-mapped on load.

FAISS HNSW over fp16 vectors (inner product on unit vectors, so cosine similarity). An IVF index was
measured first and rejected: queries of a few tag words lie far from the clusters of whole lines, so
IVF needed to scan an eighth of the corpus for 0.88 recall@10, where HNSW reaches 0.97 in ~1.5 ms
(README, "Matcher"). The file is mapped into memory on load, so gunicorn workers share one copy
through the page cache. The line filters are applied inside the search (an id bitmap), so a narrow
filter still returns full result lists.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from core.errors import DataError
from couplet.corpus import Corpus
from couplet.matching.encoder import embed, encoder_hash, load_encoder

log = logging.getLogger(__name__)

INDEX_FILE = "vectors.faiss"
META_FILE = "index.json"
CHUNK = 20_000  # lines per saved embedding chunk: the unit of resumption


HNSW_M = 32
"""Graph neighbours per node: 16 lost recall on these short queries, 32 costs 128 MB more."""
EF_SEARCH = 256
"""Search breadth: 256 gives recall@10 >= 0.95 against exact search (benchmarks/matcher.py)."""


@dataclass(frozen=True)
class IndexMeta:
    corpus_sha256: str
    encoder_sha256: str
    factory: str
    """What was built, as a FAISS index_factory string."""
    lines: int
    dim: int
    build_seconds: float
    embed_lines_per_second: float


def factory(m: int = HNSW_M) -> str:
    return f"HNSW{m},SQfp16"


def read_meta(index_dir: Path) -> IndexMeta | None:
    path = index_dir / META_FILE
    if not path.exists() or not (index_dir / INDEX_FILE).exists():
        return None
    try:
        return IndexMeta(**json.loads(path.read_text()))
    except (TypeError, ValueError):
        return None


def stale_reason(
    meta: IndexMeta | None, corpus_sha256: str, encoder_sha256: str, wanted_factory: str | None = None
) -> str | None:
    """Why the index on disk cannot serve the current corpus and encoder (or is not of the wanted type,
    when given), or None if it can."""
    if meta is None:
        return "there is no index yet"
    if meta.corpus_sha256 != corpus_sha256:
        return "the corpus changed"
    if meta.encoder_sha256 != encoder_sha256:
        return "the encoder changed"
    if wanted_factory is not None and meta.factory != wanted_factory:
        return f"the index type changed ({meta.factory} -> {wanted_factory})"
    return None


class VectorIndex:
    def __init__(
        self, index: faiss.Index, table: Corpus, meta: IndexMeta, ef_search: int = EF_SEARCH
    ) -> None:
        self.index = index
        self.table = table
        self.meta = meta
        self.ef_search = ef_search

    @classmethod
    def load(cls, index_dir: Path, table: Corpus, encoder_sha256: str) -> VectorIndex:
        meta = read_meta(index_dir)
        reason = stale_reason(meta, table.corpus_sha256, encoder_sha256)
        if reason:
            raise DataError(
                f"the matcher index in {index_dir} cannot be used ({reason}): run `couplet index build`"
            )
        # IO_FLAG_MMAP_IFC maps the vectors and the graph from the file instead of copying them.
        index = faiss.read_index(str(index_dir / INDEX_FILE), faiss.IO_FLAG_MMAP_IFC)
        return cls(index, table, meta)

    @lru_cache(maxsize=8)  # noqa: B019 - one index per process, a handful of filter combinations
    def _selector(self, min_len: int, max_len: int, ze_only: bool) -> tuple[faiss.IDSelector, np.ndarray]:
        # The selector only points at the bitmap's bytes: the bitmap is cached with it to stay alive.
        bitmap = np.packbits(self.table.allowed(min_len, max_len, ze_only), bitorder="little")
        return faiss.IDSelectorBitmap(len(self.table), faiss.swig_ptr(bitmap)), bitmap

    def search(
        self,
        query: np.ndarray,
        n: int,
        min_len: int,
        max_len: int,
        ze_only: bool,
        ef_search: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosine similarities) of the ``n`` nearest allowed lines, best first."""
        selector, _ = self._selector(min_len, max_len, ze_only)
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(n, ef_search or self.ef_search))
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), n, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return self.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))


@dataclass(frozen=True)
class BuildReport:
    skipped: bool
    reason: str | None
    meta: IndexMeta


def _embed_chunks(model, lines: list[str], work: Path, batch_size: int) -> tuple[np.ndarray, float]:
    """Embeddings of all lines, saved chunk by chunk so an interrupted build resumes; and lines/s."""
    work.mkdir(parents=True, exist_ok=True)
    starts = range(0, len(lines), CHUNK)
    done = sum(min(CHUNK, len(lines) - s) for s in starts if (work / f"{s:08d}.npy").exists())
    seconds, fresh = 0.0, 0
    with tqdm(
        total=len(lines), initial=done, desc="embedding lines", unit="line", smoothing=0.1, mininterval=2
    ) as bar:
        for start in starts:
            path = work / f"{start:08d}.npy"
            if path.exists():
                continue
            chunk = lines[start : start + CHUNK]
            t0 = time.perf_counter()
            vectors = embed(model, chunk, batch_size=batch_size)
            seconds += time.perf_counter() - t0
            fresh += len(chunk)
            np.save(work / f"{start:08d}.tmp.npy", vectors)
            (work / f"{start:08d}.tmp.npy").replace(path)
            bar.update(len(chunk))
    vectors = np.concatenate([np.load(work / f"{s:08d}.npy") for s in starts])
    return vectors, (fresh / seconds if seconds else 0.0)


def build_index(
    corpus: Corpus,
    index_dir: Path,
    encoder_dir: Path,
    m: int = HNSW_M,
    force: bool = False,
    batch_size: int = 256,
) -> BuildReport:
    """Build the index of the corpus's lines unless the one on disk matches the corpus, the encoder and the
    graph size ``m``."""
    t0 = time.perf_counter()
    corpus_sha, encoder_sha = corpus.corpus_sha256, encoder_hash(encoder_dir)
    old = read_meta(index_dir)
    reason = "forced" if force else stale_reason(old, corpus_sha, encoder_sha, factory(m))
    if reason is None:
        log.info("the matcher index in %s is up to date", index_dir)
        return BuildReport(True, None, old)
    log.info("building the matcher index: %s", reason)
    model = load_encoder(encoder_dir)
    work = index_dir / f"embeddings-{corpus_sha[:12]}-{encoder_sha[:12]}"
    vectors, speed = _embed_chunks(model, corpus.lines, work, batch_size)
    dim = vectors.shape[1]
    index = faiss.index_factory(dim, factory(m), faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)  # the fp16 quantiser needs no real training; FAISS asks for the call
    log.info("linking %d vectors into the %s graph", len(vectors), factory(m))
    for start in tqdm(range(0, len(vectors), CHUNK), desc="graph", unit="chunk", mininterval=2):
        index.add(vectors[start : start + CHUNK])
    tmp = index_dir / (INDEX_FILE + ".tmp")
    faiss.write_index(index, str(tmp))
    tmp.replace(index_dir / INDEX_FILE)
    meta = IndexMeta(
        corpus_sha,
        encoder_sha,
        factory(m),
        len(vectors),
        dim,
        round(time.perf_counter() - t0, 1),
        round(speed, 1),
    )
    (index_dir / META_FILE).write_text(json.dumps(asdict(meta), indent=2))
    for leftover in index_dir.glob("embeddings-*"):
        shutil.rmtree(leftover)
    log.info("matcher index: %d lines, %s, built in %.0f s", len(vectors), meta.factory, meta.build_seconds)
    return BuildReport(False, reason, meta)
