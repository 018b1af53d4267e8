"""Fixtures for the generator (a generated corpus and a tiny, randomly initialised model) and for the data
pipeline (a fake mirror and the data fetched and prepared from it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakemirror import DEV_UPPERS, FakeCorpus, Mirror, make_corpus, make_mirror, use_sources
from synthetic import LOWER_CHARS, UPPER_CHARS, synthetic_pairs
from transformers import BartForConditionalGeneration

import couplet.prepare
from couplet.fetch import fetch_all
from couplet.model.config import bart_config
from couplet.model.tokenizer import build_tokenizer
from couplet.prepare import prepare


@pytest.fixture(scope="session")
def synthetic_prepared(tmp_path_factory) -> Path:
    """A prepared-data folder (train/dev/test/test_novel) made of generated pairs."""
    root = tmp_path_factory.mktemp("prepared")
    splits = {"train": synthetic_pairs(400, 1), "dev": synthetic_pairs(40, 2), "test": synthetic_pairs(40, 3)}
    splits["test_novel"] = splits["test"][:20]
    for name, pairs in splits.items():
        (root / f"{name}.tsv").write_text("".join(f"{u}\t{d}\n" for u, d in pairs), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A randomly initialised tiny generator whose vocabulary covers the synthetic pools and test lines."""
    import torch

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_model")
    extra = "晚摇树还挺来去开落人间天上好，。？！"
    tok = build_tokenizer([UPPER_CHARS + LOWER_CHARS + extra])
    BartForConditionalGeneration(bart_config(tok, "tiny")).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_writer_dir(tmp_path_factory) -> Path:
    """The tiny generator with the task markers (couplet/model/tasks.py): it can be asked to write lines."""
    import torch

    from couplet.model.tasks import add_markers

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_writer")
    tok = build_tokenizer([UPPER_CHARS + LOWER_CHARS + "晚摇树还挺来去开落人间天上好，。？！"])
    add_markers(tok)
    BartForConditionalGeneration(bart_config(tok, "tiny")).save_pretrained(path)
    tok.save_pretrained(path)
    return path


# --- the data pipeline's fake mirror (fakemirror.py) ---------------------------------------------------


@pytest.fixture(scope="session")
def corpus() -> FakeCorpus:
    return make_corpus()


@pytest.fixture
def mirror(tmp_path: Path, corpus: FakeCorpus, monkeypatch: pytest.MonkeyPatch) -> Mirror:
    """A fresh fake mirror, its sources.json in effect, COUPLET_DATA_DIR at tmp_path/data."""
    m = make_mirror(tmp_path / "mirror", corpus, tmp_path / "sources.json")
    use_sources(monkeypatch, m.sources_path)
    monkeypatch.setattr(couplet.prepare, "DEV_UPPERS", DEV_UPPERS)
    monkeypatch.setenv("COUPLET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COUPLET_DATA_MIRROR", raising=False)
    return m


@pytest.fixture(scope="session")
def fake_data(tmp_path_factory: pytest.TempPathFactory, corpus: FakeCorpus) -> Path:
    """Data dir with raw/ fetched from a fake mirror and prepared/ built once, for read-only tests."""
    root = tmp_path_factory.mktemp("prepared")
    m = make_mirror(root / "mirror", corpus, root / "sources.json")
    with pytest.MonkeyPatch.context() as mp:
        use_sources(mp, m.sources_path)
        mp.setattr(couplet.prepare, "DEV_UPPERS", DEV_UPPERS)
        fetch_all(root / "data" / "raw", m.root)
        prepare(root / "data" / "raw", root / "data" / "prepared", root / "data" / "corpus")
    return root / "data"
