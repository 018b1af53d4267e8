"""The measures BLEU misses (couplet/measures.py) and the tone tables they read (couplet/tones.py)."""

from __future__ import annotations

import json

import pytest

from couplet.measures import (
    FAIL,
    PASS,
    UNDECIDED,
    Tally,
    checked_positions,
    copying,
    diversity,
    explain,
    is_near_copy,
    parallelism,
    summarise,
    tone_opposition,
)
from couplet.rules import PING, ZE
from couplet.tones import AMBIGUOUS, PINGSHUI, STANDARDS, XINYUN, line_tones, pingshui_tones, xinyun_tones

# --- tones ------------------------------------------------------------------------------------------


def test_entering_tone_characters_are_ze_in_pingshui_and_ping_in_xinyun() -> None:
    assert pingshui_tones("国白竹福一") == (ZE,) * 5
    assert xinyun_tones("国白竹福一") == (PING,) * 5


def test_plain_characters_agree_under_both_standards() -> None:
    for standard in STANDARDS:
        assert line_tones("天山水月", standard) == (PING, PING, ZE, ZE)


def test_a_character_read_both_ways_is_ambiguous_not_guessed() -> None:
    assert xinyun_tones("看") == (AMBIGUOUS,)  # kān / kàn
    assert pingshui_tones("看") == (AMBIGUOUS,)  # 寒 / 翰
    assert pingshui_tones("先") == (AMBIGUOUS,)  # 先 / 霰: the package's 先 rhyme misses its head character


def test_a_known_word_settles_a_modern_reading_but_not_a_classical_one() -> None:
    assert xinyun_tones("长城") == (PING, PING)  # cháng, from pypinyin's phrase dictionary
    assert pingshui_tones("长城")[0] == AMBIGUOUS  # 陽 / 養 / 漾: the rhyme book cannot tell


def test_pingshui_converts_to_traditional_characters_in_context() -> None:
    assert pingshui_tones("干净")[0] == PING  # 乾
    assert pingshui_tones("干部")[0] == AMBIGUOUS  # 幹: 寒 and 翰


def test_punctuation_has_no_tone() -> None:
    for standard in STANDARDS:
        assert line_tones("春风，秋月", standard)[2] is None


# --- parallelism -----------------------------------------------------------------------------------


def test_a_classic_parallel_pair_scores_high() -> None:
    assert parallelism("海阔凭鱼跃", "天高任鸟飞").rate == 1.0
    assert parallelism("两个黄鹂鸣翠柳", "一行白鹭上青天").rate >= 6 / 7


def test_a_pair_of_unlike_words_scores_low() -> None:
    assert parallelism("天高云淡", "我们去了").rate == 0.0
    assert parallelism("海阔凭鱼跃", "我们的朋友").rate == 0.0


def test_parallelism_skips_punctuation() -> None:
    result = parallelism("风声雨声读书声，声声入耳", "家事国事天下事，事事关心")
    assert result.judged == 11


# --- tone opposition -------------------------------------------------------------------------------


def test_checked_positions_are_even_and_clause_final() -> None:
    assert checked_positions("风声雨声读书声，声声入耳") == [1, 3, 5, 6, 9, 11]
    assert checked_positions("白日依山尽") == [1, 3, 4]


def test_opposed_tones_pass_under_both_standards() -> None:
    for standard in STANDARDS:
        assert tone_opposition("白日依山尽", "黄河入海流", standard) == Tally(3, 3, 0)


def test_repeated_tones_fail() -> None:
    for standard in STANDARDS:
        assert tone_opposition("喜气盈门万户欢", "喜气盈门万户红", standard).rate == 0.0


def test_the_standards_disagree_on_an_entering_tone() -> None:
    # 竹 (2nd) against 花: both 平 in modern Mandarin, 仄 against 平 in the rhyme book.
    assert tone_opposition("翠竹", "红花", XINYUN) == Tally(0, 1, 0)
    assert tone_opposition("翠竹", "红花", PINGSHUI) == Tally(1, 1, 0)


def test_an_ambiguous_character_leaves_its_position_undecided() -> None:
    assert tone_opposition("远看", "近闻", PINGSHUI) == Tally(0, 0, 1)


def test_explain_gives_each_position_its_tones_and_verdicts() -> None:
    notes = explain("翠竹远看", "红花近闻")
    json.dumps(notes)  # a page can take it as it is
    assert [n["index"] for n in notes] == [0, 1, 2, 3]
    first, second, _, last = notes
    assert not first["checked"] and first["verdicts"] is None
    assert second["upper"] == "竹" and second["lower"] == "花"
    assert second["upper_tones"] == {XINYUN: PING, PINGSHUI: ZE}
    assert second["verdicts"] == {XINYUN: FAIL, PINGSHUI: PASS}
    assert last["upper_tones"][PINGSHUI] == AMBIGUOUS and last["verdicts"][PINGSHUI] == UNDECIDED


# --- diversity and copying -------------------------------------------------------------------------


def test_a_near_copy_is_detected() -> None:
    assert is_near_copy("喜气盈门万户欢", "喜气盈门万户红")
    assert not is_near_copy("喜气盈门万户欢", "春风得意千家乐")
    assert not is_near_copy("喜气盈门万户欢", "喜气盈门万户欢欢")


def test_diversity_of_answers() -> None:
    result = diversity(
        [["喜气盈门万户欢", "喜气盈门万户红", "春风得意千家乐"], ["天高", "海阔", "云淡"], ["孤单"]]
    )
    assert result.answers == 2  # a one-line answer has no pair to compare
    assert result.near_copy_share == 0.5
    assert result.mean_differing == pytest.approx(((1 + 7 + 7) / 3 + 2) / 2)
    assert diversity([]).near_copy_share is None


def test_copying_counts_verbatim_corpus_lower_lines() -> None:
    assert (
        copying(["黄河入海流", "天高任鸟飞", "新的一行"], frozenset({"黄河入海流", "天高任鸟飞。"})) == 1 / 3
    )


def test_summarise_reports_every_measure() -> None:
    report = summarise(
        [("白日依山尽", "黄河入海流"), ("海阔凭鱼跃", "天高任鸟飞")], frozenset({"黄河入海流"})
    )
    assert report["n"] == 2
    assert report["tone_opposition"] == {XINYUN: 1.0, PINGSHUI: 1.0}
    assert set(report["tone_undecided"]) == set(STANDARDS)
    assert report["copying"] == 0.5
    assert 0.0 < report["parallelism"] <= 1.0


# --- on the real corpus ----------------------------------------------------------------------------


@pytest.mark.data
def test_classic_couplets_keep_the_classical_tones(prepared_real) -> None:
    """Published couplets were written to 平水韵: the table must show it, and show it above 新韵."""
    from couplet.evaluate import corpus_lowers
    from couplet.splits import read_split

    tones = summarise(read_split(prepared_real, "classic"), corpus_lowers(prepared_real))["tone_opposition"]
    assert tones[PINGSHUI] >= 0.95
    assert tones[PINGSHUI] > tones[XINYUN] + 0.05
