"""The corpus memory: the same upper line (punctuation aside) recalls every lower line people wrote for
it, and the generator ranks those together with its own lines by one score."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from couplet.badwords import BadWords
from couplet.corpus import load_corpus
from couplet.memory import CorpusMemory, relaid
from couplet.model.generator import DecodeOptions, Generator
from couplet.rules import check

# Filler lines from pools that share no character with the lines the tests ask about.
FILLER_UPPER, FILLER_LOWER = "松竹梅兰书画琴棋诗酒茶星日天地", "墨笔歌舞词曲柳菊泉时辰雪霜湖海"
KNOWN = "春风化雨山河秀"
KNOWN_LOWERS = ["秋夜烟川草木新", "桃李年辰海湖新", "秋夜烟川草木春"]
"""The third reuses 春 of the upper line: it breaks a hard rule."""
PUNCTUATED = "春江花月，山水天"


def filler(n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    return [
        ("".join(rng.choices(FILLER_UPPER, k=7)), "".join(rng.choices(FILLER_LOWER, k=7))) for _ in range(n)
    ]


def memory_of(pairs: list[tuple[str, str]], root: Path) -> CorpusMemory:
    (root / "prepared").mkdir(parents=True)
    (root / "prepared" / "train.tsv").write_text("".join(f"{u}\t{d}\n" for u, d in pairs), encoding="utf-8")
    return CorpusMemory(load_corpus(root / "prepared", root / "corpus"))


@pytest.fixture()
def memory(tmp_path) -> CorpusMemory:
    pairs = filler(300) + [(KNOWN, lower) for lower in KNOWN_LOWERS]
    pairs += [(PUNCTUATED, "秋夜草木，湖海年"), ("春江花月山水天", "秋雪草木湖海年")]
    return memory_of(pairs, tmp_path)


def test_the_same_line_recalls_all_its_lower_lines_in_corpus_order(memory):
    assert memory.recall(KNOWN) == KNOWN_LOWERS


def test_recall_is_capped_in_corpus_order(memory):
    assert memory.recall(KNOWN, limit=2) == KNOWN_LOWERS[:2]


def test_a_line_one_character_off_recalls_nothing(memory):
    assert memory.recall("春风化雨山河美") == []
    assert memory.recall("春风化雨山河秀水") == []
    assert memory.recall("人间好来去开") == []


def test_punctuation_does_not_tell_lines_apart(memory):
    # Typed with another mark, or none: the corpus's lower lines come laid out in the typed punctuation.
    assert memory.recall("春风化雨，山河秀") == ["秋夜烟川，草木新", "桃李年辰，海湖新", "秋夜烟川，草木春"]
    assert memory.recall("春江花月。山水天") == ["秋夜草木。湖海年", "秋雪草木。湖海年"]
    # Two corpus lines differ only by their comma: both answer, each lower line kept as written for its own.
    assert memory.recall(PUNCTUATED) == ["秋夜草木，湖海年", "秋雪草木，湖海年"]
    assert memory.recall("春江花月山水天") == ["秋夜草木湖海年", "秋雪草木湖海年"]


def test_relaid_moves_characters_into_the_upper_lines_punctuation():
    assert relaid("春风，秋月", "夏雨冬雪") == "夏雨，冬雪"
    assert relaid("春风秋月！", "夏雨，冬雪。") == "夏雨冬雪！"
    assert relaid("春风秋月", "夏雨，冬") is None  # three characters cannot fill four places


@pytest.fixture()
def generator(tiny_model_dir, memory) -> Generator:
    return Generator(tiny_model_dir, BadWords(frozenset()), memory=memory)


def test_a_line_one_character_off_gets_model_lines_only(generator):
    cands = generator.generate("春风化雨山河美", n=5)
    assert cands and all(c.source == "model" for c in cands)


def test_the_same_line_gets_every_passing_lower_line_ranked_with_the_model_by_score(generator):
    assert not check(KNOWN, KNOWN_LOWERS[2])["no_reuse"].passed
    known = generator._remembered([KNOWN])[0]
    assert sorted(c.lower for c in known) == sorted(
        KNOWN_LOWERS[:2]
    )  # both that pass; never the one reusing 春
    assert all(c.source == "memory" for c in known)
    cands = generator.generate(KNOWN, n=10)
    assert any(c.source == "model" for c in cands)
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    assert len({c.lower for c in cands}) == len(cands)
    # One score ranks both: a remembered line is answered unless ten lines score above it.
    for line in known:
        assert line.lower in {c.lower for c in cands if c.source == "memory"} or cands[-1].score >= line.score


def test_remembered_and_written_lines_are_scored_alike(generator):
    # A line the model wrote, forced through the model again, gets its beam score back: one scale for both.
    written = generator.generate("春风化雨山河美", n=3)
    forced = generator._model_scores([("春风化雨山河美", c.lower) for c in written])
    assert forced == pytest.approx([c.model_score for c in written], abs=1e-4)


def test_other_punctuation_still_gets_the_corpus_lines(generator):
    known = generator._remembered(["春风化雨，山河秀"])[0]
    assert {c.lower for c in known} == {"秋夜烟川，草木新", "桃李年辰，海湖新"}


def test_a_line_both_remembered_and_written_is_offered_once_as_memory(tiny_model_dir, tmp_path):
    plain = Generator(tiny_model_dir, BadWords(frozenset()))
    best = plain.generate(KNOWN, n=1)[0]
    memory = memory_of(filler(50) + [(KNOWN, best.lower)], tmp_path)
    cands = Generator(tiny_model_dir, BadWords(frozenset()), memory=memory).generate(KNOWN, n=3)
    assert [c.lower for c in cands].count(best.lower) == 1
    assert cands[0].lower == best.lower and cands[0].source == "memory"
    assert cands[0].score == pytest.approx(best.score, abs=1e-4)


def test_remembered_lines_must_pass_the_bad_words(tiny_model_dir, memory):
    blocked = Generator(tiny_model_dir, BadWords(frozenset({"草木"})), memory=memory)
    remembered = [c.lower for c in blocked.generate(KNOWN, n=10) if c.source == "memory"]
    assert remembered == ["桃李年辰海湖新"]


def test_sampling_asks_the_model_only(generator):
    cands = generator.generate(KNOWN, n=3, options=DecodeOptions(sample=True, seed=1))
    assert cands and all(c.source == "model" for c in cands)


def test_a_batch_ranks_each_line_as_alone(generator):
    uppers = [KNOWN, "春风化雨山河美"]
    batch = generator.generate_batch(uppers, n=4)
    assert [[(c.lower, c.source) for c in cands] for cands in batch] == [
        [(c.lower, c.source) for c in generator.generate(upper, n=4)] for upper in uppers
    ]
