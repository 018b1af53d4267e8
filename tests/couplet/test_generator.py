"""Constrained decoding: whatever the weights, every candidate obeys the hard rules."""

from __future__ import annotations

import pytest
import torch

from core.errors import DataError
from couplet.badwords import BadWords
from couplet.model.generator import DecodeOptions, Generator
from couplet.rules import HARD_RULES, PUNCTUATION

UPPERS = [
    "春风化雨",
    "晚风摇树树还挺",
    "春来春去，花开花落",
    "天天向上",
    "山水",
    "月",
    "诗酒茶，琴棋画，松竹梅兰",
]


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
        tuple(
            c.lower
            for c in generator.generate(
                "诗酒茶，琴棋画，松竹梅兰", n=3, options=DecodeOptions(sample=True, seed=s)
            )
        )
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
    assert set(d) == {"lower", "source", "score", "model_score", "rules", "positions"}
    assert set(d["rules"]["no_reuse"]) == {"passed", "score"}


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="couplet train"):
        Generator(tmp_path, None)


def test_constraints_leave_each_row_only_what_the_rules_allow(generator):
    from couplet.model.decoding import CoupletConstraints

    tok = generator.tokenizer
    uppers = ["春来春去，花开", "天天向上"]
    rules = CoupletConstraints(uppers, generator._table, generator.badwords, rows_per_upper=2)
    start = generator.model.config.decoder_start_token_id

    def allowed(rows: list[str]) -> list[set[str]]:
        input_ids = torch.tensor([[start, *tok.convert_tokens_to_ids(list(r))] for r in rows])
        scores = torch.zeros(len(rows), len(tok))
        out = rules(input_ids, scores)
        return [
            {tok.convert_ids_to_tokens(i) for i in torch.isfinite(row).nonzero().flatten().tolist()}
            for row in out
        ]

    # position 1: 来 is new (nothing written may repeat, nor 春/来/去/花/开 of the upper line);
    # position 1 of 天天向上 repeats position 0, so only what the row wrote there is allowed
    first = allowed(["秋", "烟", "地", "山"])
    assert "秋" not in first[0] and "烟" not in first[1] and not first[0] & set("春来去花开")
    assert "霜" not in first[0] and "霜" in first[1]  # 秋霜 is a bad word: 霜 may not follow 秋
    assert first[2] == {"地"} and first[3] == {"山"}
    # position 2 of 春来春去 mirrors position 0
    assert allowed(["秋月", "雪风", "地地", "山山"])[:2] == [{"秋"}, {"雪"}]
    # position 4 is the comma in the first line and past the end of the second: only the end token
    fourth = allowed(["秋月秋雨", "雪风雪雨", "地地天云", "山山水水"])
    assert fourth == [{"，"}, {"，"}, {tok.eos_token}, {tok.eos_token}]


def test_a_bad_word_is_looked_for_across_the_copies_of_repeats(generator):
    from couplet.model.decoding import DEAD_END, CoupletConstraints

    tok = generator.tokenizer
    start = generator.model.config.decoder_start_token_id

    def scores(upper: str, written: str) -> torch.Tensor:
        rules = CoupletConstraints([upper], generator._table, generator.badwords, rows_per_upper=1)
        input_ids = torch.tensor([[start, *tok.convert_tokens_to_ids(list(written))]])
        return rules(input_ids, torch.zeros(1, len(tok)))[0]

    # position 4 of 春风花雨风 will copy the 霜 written at position 1: position 3 may not be 秋 (秋霜 is bad)
    assert scores("春风花雨风", "草霜木")[tok.convert_tokens_to_ids("秋")] == float("-inf")
    assert scores("春风花雨风", "草雪木")[tok.convert_tokens_to_ids("秋")] == 0
    # position 3 of 春风花春 must copy the 霜 of position 0 after 秋: the line becomes the search's last choice
    forced = scores("春风花春", "霜草秋")
    assert forced[tok.convert_tokens_to_ids("霜")] == -DEAD_END and int(forced.isfinite().sum()) == 1
