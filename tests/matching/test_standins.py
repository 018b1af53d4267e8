"""Stand-ins: the words couplets say for a thing they never name (couplet/matching/standins.py)."""

from __future__ import annotations

import pytest

from couplet.matching import matcher
from couplet.matching.matcher import match
from couplet.matching.query import parse_tags
from couplet.matching.standins import load_standins, parse, stand_in
from couplet.rules import is_hanzi


def test_the_shipped_table_gives_food_and_drink_their_classical_words():
    table = load_standins()
    assert "佳肴" in table["披萨"] and "香" in table["咖啡"]
    for word, subs in table.items():
        assert all(map(is_hanzi, word)) and subs and all(all(map(is_hanzi, s)) for s in subs), word
        assert word not in subs


@pytest.mark.parametrize("text", ["披萨\n", "披萨\t\n", "披萨\t佳肴\n披萨\t香\n"])
def test_malformed_tables_are_refused(text):
    with pytest.raises(ValueError):
        parse(text)


def test_a_tag_with_stand_ins_shares_its_weight_among_them_and_keeps_its_kind():
    words = stand_in(parse_tags([("披萨", 0.6), ("香", 0.2), ("云", 0.4, "scene")]), {"披萨": ("佳肴", "香")})
    weights = {w.text: round(w.weight, 6) for w in words}
    total = 0.6 + 0.2 + 0.2  # the scene tag counts half
    assert weights == {
        "佳肴": round(0.3 / total, 6),
        "香": round(0.5 / total, 6),
        "云": round(0.2 / total, 6),
    }
    assert [w.text for w in words] == ["香", "佳肴", "云"]  # best first
    assert {w.text: w.kind for w in words}["云"] == "scene"
    plain = parse_tags([("山", 0.9)])
    assert stand_in(plain, {"披萨": ("佳肴",)}) == plain


def test_the_matcher_answers_a_tag_with_lines_that_say_its_stand_in(keyword_site, monkeypatch):
    """No fixture line says 披萨; with 犬 as its stand-in, the picks are lines that say 犬."""
    monkeypatch.setattr(matcher, "load_standins", lambda: {"披萨": ("犬",)})
    matches = match([("披萨", 1.0)], k=3, seed=0, settings=keyword_site)
    assert matches and all("犬" in m.upper and m.score > 0 for m in matches)
