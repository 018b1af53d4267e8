"""Fixtures of the matcher tests: a generated corpus, a tiny untrained encoder, and sites built from them."""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from core.settings import Settings

# Scene characters the tags name, and filler characters that carry no scene.
SCENES = "山水月花风云湖松竹梅江天日雪犬舟"
FILLER = "长春秋新老千万一入来去开落高远深青白红"
BAD_WORDS = "坏词\n烟\n"
PUNS = ["铁面包公官榜样", "面包坚硬砖头软", "四面荷花三面柳", "如果心花能结果", "果熟满枝头"]
"""面包 straddles 铁面 / 包公 in the first, is a word of the second, and only its piece 面 is in the third;
果 is inside 如果 and 结果 in the fourth and a word of the fifth."""


def generated_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(upper, lower) pairs of 4 to 13 characters, some with a comma, each upper line holding 1–3 scenes."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        length = rng.choice([4, 5, 7, 7, 7, 9, 11, 13])
        chars = [rng.choice(FILLER) for _ in range(length)]
        for pos in rng.sample(range(length), rng.randint(1, 3)):
            chars[pos] = rng.choice(SCENES)
        if length >= 9:
            chars[length // 2] = "，"
        upper = "".join(chars)
        lower = "".join("，" if ch == "，" else rng.choice(FILLER) for ch in upper)
        pairs.append((upper, lower))
    # Lines the tests look for: a bad word, and tags the fillers never make.
    pairs += [("远山含烟入画来", "近水流光照影长"), ("孤舟独钓寒江雪", "老犬闲眠落日风")]
    return pairs


def write_site(root: Path, pairs: list[tuple[str, str]]) -> Settings:
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    (root / "data" / "prepared").mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw" / "badwords.txt").write_text(BAD_WORDS, encoding="utf-8")
    (root / "data" / "prepared" / "train.tsv").write_text(
        "".join(f"{u}\t{d}\n" for u, d in pairs), encoding="utf-8"
    )
    return replace(
        Settings.from_env(),
        data_dir=root / "data",
        models_dir=root / "models",
        redis_url=None,
        rate_limit_text="",
        rate_limit_photo="",
    )


@pytest.fixture(scope="session")
def pairs() -> list[tuple[str, str]]:
    return generated_pairs(400)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory, pairs) -> Path:
    """A randomly initialised encoder (1 layer, 32 wide) over the generated corpus's characters."""
    from couplet.matching.encoder import EncoderShape, char_vocab, new_encoder, save_encoder

    path = tmp_path_factory.mktemp("encoder")
    vocab = char_vocab((u + d for u, d in pairs), min_count=1, always="湖泊月亮小狗天空")
    save_encoder(new_encoder(vocab, EncoderShape(layers=1, hidden=32, heads=2)), path)
    return path


@pytest.fixture
def keyword_site_with(tmp_path, pairs):
    """A keyword site whose corpus also holds the given pairs."""
    return lambda extra: write_site(tmp_path, pairs + extra)


@pytest.fixture
def keyword_site(tmp_path, pairs) -> Settings:
    """A site with a corpus but no encoder: the matcher falls back to keywords."""
    return write_site(tmp_path, pairs)


def write_indexed_site(root: Path, pairs: list[tuple[str, str]], encoder: Path) -> Settings:
    """A site over ``pairs`` with ``encoder`` and its index built."""
    from couplet.corpus import load_corpus
    from couplet.matching.index import build_index

    settings = write_site(root, pairs)
    shutil.copytree(encoder, settings.matcher_dir)
    build_index(
        load_corpus(settings.prepared_dir, settings.corpus_dir),
        settings.index_dir,
        settings.matcher_dir,
        m=16,
    )
    return settings


@pytest.fixture(scope="session")
def indexed_site(tmp_path_factory, pairs, tiny_encoder) -> Settings:
    """A site with the tiny encoder and its index built."""
    return write_indexed_site(tmp_path_factory.mktemp("indexed"), pairs, tiny_encoder)


@pytest.fixture(scope="session")
def mixed_site(tmp_path_factory, pairs, tiny_encoder) -> tuple[Settings, list[str], list[str], list[str]]:
    """(site, jokey lines, scenic lines, topical lines): the generated corpus with jokey, scenic, festive
    and devotional lines that all say 山 and 云 as words, and lines that hold 面包 and 果 as words or not
    (PUNS), indexed with the tiny encoder."""
    jokey = [
        f"{marker}山对云去" for marker in ("吹牛", "狗屁", "扯淡", "忽悠", "胡说", "什么", "不是", "老婆")
    ]
    scenic = [f"山映{ch}云静" for ch in "竹梅花柳松雪溪"]  # no bigram in common with the jokes
    festive = [f"{marker}山与云开" for marker in ("新春", "迎春", "贺岁", "辞旧", "迎新", "新婚", "华诞")]
    devotional = [f"{marker}山外云深" for marker in ("菩提", "般若", "禅房", "梵音", "佛光")]
    settings = write_indexed_site(
        tmp_path_factory.mktemp("mixed"),
        pairs + [(line, "水流月落来") for line in jokey + scenic + festive + devotional + PUNS],
        tiny_encoder,
    )
    return settings, jokey, scenic, festive + devotional


@pytest.fixture
def copy_of_indexed(indexed_site, tmp_path) -> Settings:
    """A private copy of the indexed site, for tests that change its corpus or encoder."""
    shutil.copytree(indexed_site.data_dir.parent, tmp_path / "site")
    return replace(indexed_site, data_dir=tmp_path / "site" / "data", models_dir=tmp_path / "site" / "models")


@pytest.fixture(scope="session")
def real_site(prepared_real, tmp_path_factory) -> Settings:
    """The shipped encoder over the first 20,000 pairs of the real training split, indexed."""
    from couplet.corpus import load_corpus
    from couplet.matching.index import build_index
    from couplet.splits import read_split

    shipped = Settings.from_env().matcher_dir
    if not (shipped / "model.safetensors").exists():
        pytest.skip(f"no shipped encoder in {shipped}")
    settings = write_site(tmp_path_factory.mktemp("real"), read_split(prepared_real, "train")[:20_000])
    shutil.copy(prepared_real.parent / "raw" / "badwords.txt", settings.raw_dir / "badwords.txt")
    shutil.copytree(shipped, settings.matcher_dir)
    build_index(
        load_corpus(settings.prepared_dir, settings.corpus_dir), settings.index_dir, settings.matcher_dir
    )
    return settings
