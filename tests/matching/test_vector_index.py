"""The FAISS index: filtered search, exactness when every cluster is probed, rebuilds on hash changes, resume."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from core.errors import DataError
from couplet.corpus import load_corpus
from couplet.matching import index as index_module
from couplet.matching.encoder import (
    EncoderShape,
    embed,
    encoder_hash,
    load_encoder,
    new_encoder,
    save_encoder,
)
from couplet.matching.index import VectorIndex, build_index, read_meta
from couplet.resources import get_vector_index


def test_search_is_filtered_and_exact_when_the_search_is_wide(indexed_site):
    index = get_vector_index(indexed_site)
    model = load_encoder(indexed_site.matcher_dir)
    table = index.table
    query = embed(model, ["山 月"])[0]
    ids, scores = index.search(query, 10, 5, 11, True, ef_search=1000)
    assert len(ids) == 10 and list(scores) == sorted(scores, reverse=True)
    allowed = table.allowed(5, 11, True)
    assert allowed[ids].all()
    exact = embed(model, table.lines) @ query
    exact[~allowed] = -np.inf
    assert set(ids) == set(np.argsort(-exact)[:10])
    assert np.allclose(index.vectors(ids) @ query, scores, atol=2e-3)


def test_meta_records_the_hashes(indexed_site):
    meta = read_meta(indexed_site.index_dir)
    assert meta.encoder_sha256 == encoder_hash(indexed_site.matcher_dir)
    assert meta.lines == len(load_corpus(indexed_site.prepared_dir, indexed_site.corpus_dir))


def test_a_second_build_is_a_no_op_and_changes_trigger_a_rebuild(copy_of_indexed):
    site = copy_of_indexed

    def build(m: int):
        return build_index(
            load_corpus(site.prepared_dir, site.corpus_dir), site.index_dir, site.matcher_dir, m=m
        )

    assert build(16).skipped
    assert build(8).reason == "the index type changed (HNSW16,SQfp16 -> HNSW8,SQfp16)"

    train = site.prepared_dir / "train.tsv"
    train.write_text(train.read_text(encoding="utf-8") + "新添一行上联\t新添一行下联\n", encoding="utf-8")
    corpus = load_corpus(site.prepared_dir, site.corpus_dir)
    with pytest.raises(DataError, match="the corpus changed"):
        VectorIndex.load(site.index_dir, corpus, encoder_hash(site.matcher_dir))
    report = build(8)
    assert report.reason == "the corpus changed" and report.meta.lines == len(corpus)

    model = load_encoder(site.matcher_dir)
    shutil.rmtree(site.matcher_dir)
    vocab = model.tokenizer.convert_ids_to_tokens(list(range(len(model.tokenizer))))
    save_encoder(new_encoder(vocab, EncoderShape(layers=1, hidden=32, heads=2), seed=1), site.matcher_dir)
    assert build(8).reason == "the encoder changed"
    assert not list(site.index_dir.glob("embeddings-*")), "the resumable chunks are removed after a build"


def test_an_interrupted_build_reuses_its_saved_chunks(indexed_site, tmp_path, monkeypatch):
    site = indexed_site
    monkeypatch.setattr(index_module, "CHUNK", 100)
    lines = load_corpus(site.prepared_dir, site.corpus_dir).lines
    model = load_encoder(site.matcher_dir)
    work = tmp_path / "work"
    work.mkdir()
    np.save(work / "00000100.npy", np.zeros((100, 32), dtype=np.float32))  # as if left by an earlier run
    vectors, _ = index_module._embed_chunks(model, lines, work, batch_size=64)
    assert vectors.shape == (len(lines), 32)
    assert not vectors[100:200].any() and np.allclose(np.linalg.norm(vectors[:100], axis=1), 1, atol=1e-4)


def test_without_an_encoder_the_index_is_missing_with_a_clear_message(keyword_site, caplog):
    get_vector_index.clear()  # an earlier test may have looked for this site's index: its warning is logged once
    with caplog.at_level(logging.WARNING, logger="couplet.resources"):
        assert get_vector_index(keyword_site) is None
        assert get_vector_index(keyword_site) is None
    warnings = [r.getMessage() for r in caplog.records if "no vector index" in r.getMessage()]
    assert len(warnings) == 1 and "couplet matcher train" in warnings[0]
