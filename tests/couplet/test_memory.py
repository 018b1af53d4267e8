"""The corpus memory: near-identical upper lines recall their human lower line, and it leads the list."""

from __future__ import annotations

import random

import pytest

from couplet.badwords import BadWords
from couplet.corpus import load_corpus
from couplet.memory import CorpusMemory
from couplet.model.generator import DecodeOptions, Generator
from couplet.rules import check

# Filler lines from pools that share no character with the lines the tests ask about.
FILLER_UPPER, FILLER_LOWER = "松竹梅兰书画琴棋诗酒茶星日天地", "墨笔歌舞词曲柳菊泉时辰雪霜湖海"


def filler(n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    return [("".join(rng.choices(FILLER_UPPER, k=7)), "".join(rng.choices(FILLER_LOWER, k=7))) for _ in range(n)]


@pytest.fixture()
def prepared(tmp_path):
    folder = tmp_path / "prepared"
    folder.mkdir()
    pairs = filler(300) + [("春风化雨山河秀", "秋夜烟川草木新"), ("春风化雨山河秀", "桃李年辰海湖新")]
    (folder / "train.tsv").write_text("".join(f"{u}\t{d}\n" for u, d in pairs), encoding="utf-8")
    return folder


@pytest.fixture()
def memory(prepared, tmp_path) -> CorpusMemory:
    return CorpusMemory(load_corpus(prepared, tmp_path / "corpus"))


def test_recalls_the_first_lower_line_of_a_near_identical_upper(memory):
    exact = memory.recall("春风化雨山河秀")
    assert exact is not None and exact.overlap == 1.0
    assert (exact.upper, exact.lower) == ("春风化雨山河秀", "秋夜烟川草木新")
    near = memory.recall("春风化雨山河美")  # 6 of 7 characters shared
    assert near is not None and near.upper == "春风化雨山河秀" and near.overlap == pytest.approx(6 / 7)


def test_lines_unlike_the_corpus_recall_nothing(memory):
    assert memory.recall("人间好来去开") is None  # no shared character
    assert memory.recall("春风人间好去开") is None  # 2 of 7 shared: below the threshold
    assert memory.recall("春风化雨山河秀水") is None  # no corpus line of that length shares enough


def test_generator_offers_the_remembered_line_first(tiny_model_dir, memory):
    generator = Generator(tiny_model_dir, BadWords(frozenset()), memory=memory)
    cands = generator.generate("春风化雨山河美", n=3)
    assert cands[0].source == "memory" and cands[0].lower == "秋夜烟川草木新"
    assert [c.source for c in cands[1:]] == ["model", "model"]
    assert len({c.lower for c in cands}) == 3
    assert cands[0].to_dict()["source"] == "memory"


def test_remembered_lines_must_pass_the_hard_rules_and_the_bad_words(tiny_model_dir, memory):
    # 秋夜烟川草木新 reuses 川 of this upper line, so the memory must stay silent
    upper = "春风化雨山河川"
    assert not check(upper, "秋夜烟川草木新")["no_reuse"].passed
    generator = Generator(tiny_model_dir, BadWords(frozenset()), memory=memory)
    assert all(c.source == "model" for c in generator.generate(upper, n=3))
    blocked = Generator(tiny_model_dir, BadWords(frozenset({"草木"})), memory=memory)
    assert all(c.source == "model" for c in blocked.generate("春风化雨山河美", n=3))


def test_sampling_asks_the_model_only(tiny_model_dir, memory):
    generator = Generator(tiny_model_dir, BadWords(frozenset()), memory=memory)
    cands = generator.generate("春风化雨山河美", n=2, options=DecodeOptions(sample=True, seed=1))
    assert all(c.source == "model" for c in cands)


def test_a_single_remembered_answer_needs_no_search(tiny_model_dir, memory):
    generator = Generator(tiny_model_dir, BadWords(frozenset()), memory=memory)
    batch = generator.generate_batch(["春风化雨山河美", "春风人间好去开"], n=1)
    assert [[c.source for c in cands] for cands in batch] == [["memory"], ["model"]]
    assert batch[0][0].lower == "秋夜烟川草木新"
