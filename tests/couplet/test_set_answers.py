"""Set answers (couplet/model/set_answers.py): the telltale pairs of lines a corpus gives for many upper
lines, and the generator that does not recite them."""

from __future__ import annotations

import pytest

from couplet.badwords import BadWords
from couplet.model import set_answers
from couplet.model.generator import Generator


def contest(answer: str, entries: int, first: int = 0) -> list[tuple[str, str]]:
    """A contest's set line answered by ``entries`` different upper lines."""
    return [(f"上联第{n}句", answer) for n in range(first, first + entries)]


def test_the_telltale_pairs_are_those_said_almost_only_in_set_answers():
    corpus = contest("风过泸州带酒香", 12) + [(f"别句{n}", "风过竹林花自香") for n in range(9)]
    corpus += [(f"再问{n}", "酒香不怕巷子深") for n in range(5)] + [("又问", "泸水东流")]
    pairs = set_answers.derive(corpus)
    assert {"泸州", "过泸", "州带", "带酒"} <= pairs
    assert "风过" not in pairs  # 21 lines say it, 12 of them the set answer: under SHARE
    assert "酒香" not in pairs  # 17 lines, 12 of them the set answer
    # A line given for fewer upper lines than MIN_UPPERS is no set answer.
    assert set_answers.derive(contest("风过泸州带酒香", set_answers.MIN_UPPERS - 1)) == frozenset()


def test_punctuation_does_not_split_a_set_answer_and_a_recital_is_found_anywhere():
    corpus = contest("广府古城，百花芳草淹春秋", 6) + contest("广府古城百花芳草淹春秋", 6, first=6)
    pairs = set_answers.derive(corpus)
    assert "城百" in pairs  # the twelve count as one line
    assert BadWords(pairs).find("春到广府百花开")  # as the generator's search looks for them
    assert not BadWords(pairs).find("春到江南万木新")
    assert set_answers.parse("# header\n广府\n城百\n") == frozenset({"广府", "城百"})


def test_the_shipped_table_holds_the_distillers_contest_and_not_common_pairs():
    shipped = set_answers.load_set_answers()
    assert {"泸州", "广府"} <= shipped
    assert shipped.isdisjoint({"风过", "酒香", "春风", "明月"})


@pytest.fixture(scope="module")
def generator(tiny_model_dir) -> Generator:
    return Generator(tiny_model_dir, BadWords(frozenset({"秋霜"})))


def test_the_generator_does_not_write_a_line_that_recites_a_set_answer(generator):
    upper = "春风化雨千山绿"
    best = generator.generate(upper, n=3)[0].lower
    pair = best[1:3]
    plain = generator.unrecited
    try:
        generator.unrecited = BadWords(plain.words | {pair})
        offered = generator.generate(upper, n=3)
        assert offered and all(pair not in c.lower for c in offered)
        # A person's kept characters may spell it: refilling keeps them.
        kept = generator.refill(upper, {1: pair[0], 2: pair[1]}, n=1)
        assert kept and kept[0].lower[1:3] == pair
    finally:
        generator.unrecited = plain
