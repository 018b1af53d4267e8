"""Lock and refill, other characters for one position, upper lines for a lower line, on a tiny random model.

The model's lines are nonsense; what is tested is what the search guarantees: kept characters never
change and every answer passes the hard rules, whatever the pattern.
"""

from __future__ import annotations

import random

import pytest
import torch
from synthetic import LOWER_CHARS, UPPER_CHARS, synthetic_pairs

from core.errors import UserError
from couplet.badwords import BadWords
from couplet.locks import lock, reopen
from couplet.model.generator import WEIGHTS, Generator
from couplet.rules import broken_hard_rules, is_punct

BAD = BadWords(frozenset({"秋霜", "烟", "草木时"}))
POOL = sorted(set(LOWER_CHARS) - {"烟"})


@pytest.fixture(scope="module")
def generator(tiny_model_dir) -> Generator:
    return Generator(tiny_model_dir, BAD)


def valid_lower(upper: str, rng: random.Random) -> str:
    """A lower line that passes the hard rules: a fresh character per distinct character of the upper line."""
    chars = iter(rng.sample(POOL, len(set(upper))))
    fresh = {u: u if is_punct(u) else next(chars) for u in dict.fromkeys(upper)}
    return "".join(fresh[u] for u in upper)


def random_patterns(count: int, seed: int) -> list[tuple[str, list[str | None]]]:
    """(upper, kept) pairs: a random share of a valid lower line's positions kept (repeats of the upper line
    included), the kept characters passing the bad-word list."""
    rng = random.Random(seed)
    uppers = [u for u, _ in synthetic_pairs(count * 2, seed)] + ["春来春去，花开花落", "天天", "风"]
    found = []
    for upper in uppers:
        lower, share = valid_lower(upper, rng), rng.random()
        kept = [ch if rng.random() < share else None for ch in lower]
        if BAD.find("".join(ch or "？" for ch in kept)) is None:
            found.append((upper, kept))
    return found[:count]


def assert_answer(upper: str, kept: list[str | None], lower: str) -> None:
    assert all(ch is None or lower[i] == ch for i, ch in enumerate(kept)), (upper, kept, lower)
    assert broken_hard_rules(upper, lower) == {}, (upper, kept, lower)
    assert BAD.find(lower) is None, (upper, kept, lower)


def test_kept_characters_never_change_and_every_answer_passes_the_hard_rules(generator):
    patterns = random_patterns(150, seed=7)
    assert len(patterns) >= 140
    for upper, kept in patterns:
        candidates = generator.refill(upper, lock(upper, kept, BAD), n=3)
        assert candidates, (upper, kept)
        for c in candidates:
            assert_answer(upper, kept, c.lower)


def test_sampled_refills_keep_the_characters_too(generator):
    from couplet.model.generator import DecodeOptions

    for seed, (upper, kept) in enumerate(random_patterns(40, seed=8)):
        options = DecodeOptions(sample=True, seed=seed)
        for c in generator.refill(upper, lock(upper, kept, BAD), n=3, options=options):
            assert_answer(upper, kept, c.lower)


def test_a_bad_word_is_not_completed_around_a_kept_character(generator):
    # 霜 kept after an open position: the search may not write 秋 before it; 秋 kept: not 霜 after it.
    for pattern in (
        ["秋", None, None, None, None],
        [None, "霜", None, None, None],
        [None, None, None, "草", "木"],
    ):
        for c in generator.refill("春风化雨天", lock("春风化雨天", pattern, BAD), n=5):
            assert BAD.find(c.lower) is None, c.lower


def test_with_nothing_kept_refill_writes_what_generate_writes(generator):
    for upper in ("春风化雨", "春来春去，花开花落"):
        everything_open = lock(upper, [None] * len(upper), BAD)
        assert [c.lower for c in generator.refill(upper, everything_open, n=3)] == [
            c.lower for c in generator.generate(upper, n=3)
        ]


def test_a_fully_kept_line_comes_back_alone(generator):
    (candidate,) = generator.refill("春风化雨", lock("春风化雨", list("秋月成霞"), BAD), n=3)
    assert candidate.lower == "秋月成霞"


def test_alternatives_change_only_the_position_and_its_repeats(generator):
    rng = random.Random(11)
    for upper, _ in synthetic_pairs(40, 12) + [("春来春去，花开花落", "")]:
        lower = valid_lower(upper, rng)
        position = rng.choice([i for i, u in enumerate(upper) if not is_punct(u)]) + 1
        group = {i for i, u in enumerate(upper) if u == upper[position - 1]}
        found = generator.alternatives(upper, lock(upper, reopen(upper, lower, position), BAD), 6)
        assert found, (upper, lower, position)
        assert len({a.char for a in found}) == len(found)
        scores = [a.candidate.score for a in found]
        assert scores == sorted(scores, reverse=True)
        for a in found:
            line = a.candidate.lower
            assert [i for i in range(len(upper)) if line[i] != lower[i]] in ([], sorted(group)), (lower, line)
            assert all(line[i] == a.char for i in group)
            assert broken_hard_rules(upper, line) == {} and BAD.find(line) is None, (upper, line)


@torch.inference_mode()
@pytest.mark.parametrize(
    ("upper", "lower", "position"),
    [("春风化雨", "秋月成霞", 2), ("春来春去，花开", "秋往秋归，草长", 3), ("春来春去", "秋往秋归", 4)],
)
def test_alternatives_are_scored_as_whole_lines_as_transformers_scores_them(
    generator, upper, lower, position
):
    found = generator.alternatives(upper, lock(upper, reopen(upper, lower, position), BAD), 4)
    first = upper.index(upper[position - 1])
    assert found
    for a in found:
        labels = torch.tensor([generator._ids(a.candidate.lower)])
        logits = generator.model(input_ids=torch.tensor([generator._ids(upper)]), labels=labels).logits
        logp = torch.log_softmax(logits, dim=-1)
        whole_line = float(logp.gather(-1, labels.unsqueeze(-1)).mean())
        assert a.candidate.model_score == pytest.approx(whole_line, abs=1e-4)
        assert a.char_logprob == pytest.approx(float(logp[0, first, labels[0, first]]), abs=1e-4)


def test_uppers_for_a_lower_line_pass_the_hard_rules_and_end_on_ze(generator):
    for _, lower in synthetic_pairs(30, 13) + [("", "秋去秋来，草长草飞")]:
        found = generator.uppers_for(lower, n=3)
        assert len(found) == 3
        assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
        last = max(i for i, ch in enumerate(lower) if not is_punct(ch))
        for c in found:
            assert broken_hard_rules(c.upper, lower) == {}, (lower, c.upper)
            assert BAD.find(c.upper) is None
            if lower.index(lower[last]) == last:  # a repeat's last character copies an earlier one
                assert c.rules["upper_ends_ze"].passed, (lower, c.upper)
            rules = c.rules
            assert c.score == pytest.approx(
                c.model_score
                + WEIGHTS.ends_ping * rules["upper_ends_ze"].score
                + WEIGHTS.tone_opposition * rules["tone_opposition"].score
            )


def test_kept_characters_that_break_a_rule_never_reach_the_search():
    with pytest.raises(UserError) as caught:
        lock("春风化雨", ["秋", None, "春", None], BAD)
    assert caught.value.code == "no_reuse"


def test_upper_pool_stays_apart_from_the_lower_pool():
    # The patterns above rely on it: a lower line from POOL never reuses an upper line's character.
    assert not set(POOL) & set(UPPER_CHARS)


def test_an_ending_rule_that_would_leave_no_character_gives_way(generator):
    from couplet.model.decoding import CoupletConstraints

    nothing = torch.zeros(len(generator._table.id_to_char), dtype=torch.bool)
    rules = CoupletConstraints(["春风"], generator._table, BAD, 1, endings=nothing)
    start = generator.model.config.decoder_start_token_id
    written = generator.tokenizer.convert_tokens_to_ids(["秋"])
    assert bool(
        rules(torch.tensor([[start, *written]]), torch.zeros(1, len(generator.tokenizer)))[0].isfinite().any()
    )
