"""Constrained decoding: whatever the weights, every candidate obeys the hard rules."""

from __future__ import annotations

import pytest

from couplet.badwords import BadWords
from couplet.errors import DataError
from couplet.model.generator import DecodeOptions, Generator
from couplet.rules import PUNCTUATION

HARD_RULES = ("equal_length", "punctuation", "no_reuse", "repeats_mirrored")
UPPERS = ["春风化雨", "晚风摇树树还挺", "春来春去，花开花落", "天天向上", "山水", "月", "诗酒茶，琴棋画，松竹梅兰"]


@pytest.fixture(scope="module")
def generator(tiny_model_dir) -> Generator:
    return Generator(tiny_model_dir, BadWords(frozenset({"秋霜", "烟"})))


@pytest.mark.parametrize("upper", UPPERS)
def test_beam_candidates_obey_hard_rules(generator, upper):
    candidates = generator.generate(upper, n=3)
    assert 1 <= len(candidates) <= 3
    assert len({c.lower for c in candidates}) == len(candidates)
    for c in candidates:
        assert len(c.lower) == len(upper)
        for name in HARD_RULES:
            assert c.rules[name].passed, (upper, c.lower, name)
        assert "秋霜" not in c.lower and "烟" not in c.lower
        assert all(ch not in PUNCTUATION for i, ch in enumerate(c.lower) if upper[i] not in PUNCTUATION)


def test_candidates_are_ranked_by_score(generator):
    scores = [c.score for c in generator.generate("晚风摇树树还挺", n=5)]
    assert scores == sorted(scores, reverse=True)


def test_repeats_are_mirrored_and_new_characters_differ(generator):
    for c in generator.generate("春来春去，花开花落", n=5):
        d = c.lower
        assert d[0] == d[2] and d[5] == d[7]
        assert len({d[0], d[1], d[3]}) == 3 and len({d[5], d[6], d[8]}) == 3


def test_beam_search_is_deterministic(generator):
    first = [c.lower for c in generator.generate("晚风摇树树还挺", n=3)]
    assert first == [c.lower for c in generator.generate("晚风摇树树还挺", n=3)]


def test_sampling_is_seeded_and_obeys_the_rules(generator):
    opts = DecodeOptions(sample=True, seed=7, temperature=1.5, top_k=50)
    a = [c.lower for c in generator.generate("诗酒茶，琴棋画，松竹梅兰", n=3, options=opts)]
    b = [c.lower for c in generator.generate("诗酒茶，琴棋画，松竹梅兰", n=3, options=opts)]
    assert a == b
    others = {
        tuple(c.lower for c in generator.generate("诗酒茶，琴棋画，松竹梅兰", n=3, options=DecodeOptions(sample=True, seed=s)))
        for s in range(4)
    }
    assert len(others) > 1
    for c in generator.generate("春来春去，花开花落", n=3, options=opts):
        assert all(c.rules[name].passed for name in HARD_RULES), c.lower


def test_batch_matches_single(generator):
    batch = generator.generate_batch(UPPERS, n=2)
    assert [[c.lower for c in cands] for cands in batch] == [
        [c.lower for c in generator.generate(u, n=2)] for u in UPPERS
    ]


def test_candidate_to_dict_is_json_ready(generator):
    d = generator.generate("春风化雨", n=1)[0].to_dict()
    assert set(d) == {"lower", "source", "score", "model_score", "rules"}
    assert set(d["rules"]["no_reuse"]) == {"passed", "score"}


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="couplet train"):
        Generator(tmp_path, None)
