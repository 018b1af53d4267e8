"""The formal couplet rules, tone lookup and upper-line validation (couplet/rules.py)."""

from __future__ import annotations

import random

import pytest

from core.errors import UserError
from couplet import rules
from couplet.rules import (
    MAX_LEN,
    PING,
    RULES,
    ZE,
    InvalidUpper,
    RuleResult,
    broken_hard_rules,
    check,
    equal_length,
    lower_ends_ping,
    no_reuse,
    punctuation,
    repeats_mirrored,
    tone_opposition,
    tones,
    upper_ends_ze,
    validate_upper,
)

# A textbook couplet that passes every rule: 海3阔4凭2鱼2跃4 / 天1高1任4鸟3飞1.
GOOD = ("海阔凭鱼跃", "天高任鸟飞")


def assert_result(result: RuleResult, passed: bool, score: float) -> None:
    assert isinstance(result, RuleResult)
    assert result.passed is passed
    assert result.score == pytest.approx(score)
    assert 0.0 <= result.score <= 1.0


# --- tones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("春", (PING,)),  # chūn, tone 1
        ("月", (ZE,)),  # yuè, tone 4
        ("海阔凭鱼跃", (ZE, ZE, PING, PING, ZE)),
        ("天高任鸟飞", (PING, PING, ZE, ZE, PING)),
        ("的", (None,)),  # neutral tone: neither
        ("春风，秋月", (PING, PING, None, PING, ZE)),  # punctuation: neither
        ("ABC春", (None, None, None, PING)),  # non-Chinese: neither, one entry per character
        ("春1", (PING, None)),
    ],
)
def test_tones(line: str, expected: tuple) -> None:
    assert tones(line) == expected


def test_tones_resolve_heteronyms_in_context() -> None:
    # 长 is cháng (平) in 长城 but zhǎng (仄) in 行长.
    assert tones("长城") == (PING, PING)
    assert tones("行长") == (PING, ZE)


def test_tones_one_entry_per_character() -> None:
    for line in ("春风得意马蹄疾", "一二三，四五六。", "abc", "〇", "春 风"):
        assert len(tones(line)) == len(line)


# --- equal_length ----------------------------------------------------------------------------------


def test_equal_length() -> None:
    assert_result(equal_length(*GOOD), True, 1.0)
    assert_result(equal_length("海阔凭鱼跃", "天高任鸟"), False, 0.0)
    assert_result(equal_length("春风，秋月", "夏雨冬雪"), False, 0.0)


# --- punctuation -----------------------------------------------------------------------------------


def test_punctuation_no_marks_passes() -> None:
    assert_result(punctuation(*GOOD), True, 1.0)


def test_punctuation_same_positions_different_marks_pass() -> None:
    assert_result(punctuation("春风，秋月。", "夏雨？冬雪！"), True, 1.0)
    assert_result(punctuation("春风，秋月", "夏雨；冬雪"), True, 1.0)


def test_punctuation_different_positions_fail() -> None:
    assert_result(punctuation("春风，秋月", "夏雨冬，雪"), False, 0.0)
    # Marks at {2, 5} against {2}: one of two positions agree.
    assert_result(punctuation("春风，秋月。", "夏雨，冬雪花"), False, 0.5)


def test_punctuation_only_in_one_line_fails() -> None:
    assert_result(punctuation("春风秋月", "夏雨，雪"), False, 0.0)
    assert_result(punctuation("春风，月", "夏雨冬雪"), False, 0.0)


# --- no_reuse --------------------------------------------------------------------------------------


def test_no_reuse_passes_for_fresh_characters() -> None:
    assert_result(no_reuse(*GOOD), True, 1.0)


def test_no_reuse_ignores_punctuation() -> None:
    # The comma stands in both lines; that is not a reused character.
    assert_result(no_reuse("春风，秋月", "夏雨，冬雪"), True, 1.0)


def test_no_reuse_counts_reused_characters() -> None:
    # 春 comes back: 3 of 4 characters are fresh.
    assert_result(no_reuse("春风，秋月", "春雨，冬雪"), False, 0.75)
    assert_result(no_reuse("风", "风"), False, 0.0)


def test_no_reuse_lower_with_only_punctuation() -> None:
    assert_result(no_reuse("春，", "，。"), True, 1.0)


# --- repeats_mirrored ------------------------------------------------------------------------------


def test_repeats_mirrored_passes_when_patterns_match() -> None:
    assert_result(repeats_mirrored("一帆风顺年年好", "万事如意步步高"), True, 1.0)
    assert_result(repeats_mirrored("风花风月", "山水山林"), True, 1.0)  # non-adjacent repeat
    assert_result(repeats_mirrored(*GOOD), True, 1.0)


def test_repeats_mirrored_upper_repeat_not_in_lower() -> None:
    # 6 pairs (i<j) over 4 positions; only (0, 1) differs.
    assert_result(repeats_mirrored("年年有余", "岁月平安"), False, 5 / 6)


def test_repeats_mirrored_lower_repeat_not_in_upper() -> None:
    # (0, 1) and (2, 3) repeat in the lower line only.
    assert_result(repeats_mirrored("春风秋月", "花花草草"), False, 4 / 6)


def test_repeats_mirrored_ignores_punctuation_positions() -> None:
    # The two commas of the upper line are "equal" but the lower line's marks differ: not a repeat.
    assert_result(repeats_mirrored("春风，秋月，", "夏雨？冬雪！"), True, 1.0)


def test_repeats_mirrored_matches_definition_on_random_pairs() -> None:
    rng = random.Random(3)
    alphabet = "春风秋月花"
    for _ in range(200):
        n = rng.randint(1, 8)
        upper = "".join(rng.choice(alphabet) for _ in range(n))
        lower = "".join(rng.choice(alphabet) for _ in range(n))
        expected = all(
            (upper[i] == upper[j]) == (lower[i] == lower[j]) for i in range(n) for j in range(i + 1, n)
        )
        assert repeats_mirrored(upper, lower).passed is expected, (upper, lower)


# --- upper_ends_ze / lower_ends_ping ---------------------------------------------------------------


def test_upper_ends_ze() -> None:
    assert_result(upper_ends_ze(*GOOD), True, 1.0)
    assert_result(upper_ends_ze("海阔凭鱼跃。", "天高任鸟飞。"), True, 1.0)  # trailing mark skipped
    assert_result(upper_ends_ze("春风", "秋月"), False, 0.0)  # 风 is 平
    assert_result(upper_ends_ze("我的", "你们"), False, 0.0)  # neutral tone is neither
    assert_result(upper_ends_ze("，。", "，。"), False, 0.0)  # nothing to look at


def test_lower_ends_ping() -> None:
    assert_result(lower_ends_ping(*GOOD), True, 1.0)
    assert_result(lower_ends_ping("海阔凭鱼跃！", "天高任鸟飞！"), True, 1.0)
    assert_result(lower_ends_ping("清风", "明月"), False, 0.0)  # 月 is 仄


def test_ends_rules_look_at_their_own_line_only() -> None:
    assert upper_ends_ze("海阔凭鱼跃", "明月").passed
    assert lower_ends_ping("春风", "天高任鸟飞").passed


# --- tone_opposition -------------------------------------------------------------------------------


def test_tone_opposition_passes() -> None:
    assert_result(tone_opposition(*GOOD), True, 1.0)


def test_tone_opposition_partial() -> None:
    # Positions 2/4/6: 帆平-事仄 yes, 顺仄-意仄 no, 年平-步仄 yes.
    assert_result(tone_opposition("一帆风顺年年好", "万事如意步步高"), False, 2 / 3)


def test_tone_opposition_counts_per_clause() -> None:
    # Clauses 春风 / 秋月: the 2nd character of each; 风平-雨仄 yes, 月仄-雪仄 no.
    assert_result(tone_opposition("春风，秋月", "夏雨？冬雪"), False, 0.5)


def test_tone_opposition_nothing_to_check_passes() -> None:
    assert_result(tone_opposition("春", "月"), True, 1.0)
    assert_result(tone_opposition("春，月", "夏，雪"), True, 1.0)


# --- check -----------------------------------------------------------------------------------------


def test_check_runs_every_rule_in_order() -> None:
    results = check(*GOOD)
    assert list(results) == list(RULES)
    assert all(r.passed and r.score == 1.0 for r in results.values())


def test_check_reports_each_failure() -> None:
    results = check("风", "风")
    failed = {name for name, r in results.items() if not r.passed}
    assert failed == {"no_reuse", "upper_ends_ze"}


def test_check_scores_are_in_range_and_agree_with_passed() -> None:
    rng = random.Random(11)
    alphabet = "春风秋月海天山水花鸟，。？"
    for _ in range(150):
        upper = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
        lower = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
        for name, result in check(upper, lower).items():
            assert 0.0 <= result.score <= 1.0, (name, upper, lower)
            assert result.passed == (result.score == 1.0), (name, upper, lower, result)


# --- validate_upper --------------------------------------------------------------------------------


def test_validate_upper_accepts_and_strips() -> None:
    assert validate_upper("海阔凭鱼跃") == "海阔凭鱼跃"
    assert validate_upper("  海阔凭鱼跃\n") == "海阔凭鱼跃"
    assert validate_upper("\u3000春风\t") == "春风"  # ideographic space too
    assert validate_upper("〇") == "〇"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("春风,秋月", "春风，秋月"),
        ("春风,秋月.", "春风，秋月。"),
        ("春风?秋月!", "春风？秋月！"),
        ("春风;秋月:", "春风；秋月："),
        (" 春风,秋月 ", "春风，秋月"),
        ("春风﹐秋月｡", "春风，秋月。"),
    ],
)
def test_validate_upper_normalises_half_width_punctuation(text: str, expected: str) -> None:
    assert validate_upper(text) == expected


def test_validate_upper_accepts_exactly_max_len() -> None:
    assert MAX_LEN == 32
    line = "春" * 32
    assert validate_upper(line) == line
    assert validate_upper(f"  {line}  ") == line  # whitespace does not count


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("", "empty", "empty"),
        ("   \n\t", "empty", "empty"),
        ("春" * 33, "too_long", "33"),
        ("春" * 40, "too_long", "40"),
        ("a春风", "not_chinese", "'a'"),
        ("春风ABC", "not_chinese", "'A'"),
        ("春风😀", "not_chinese", "'😀'"),
        ("春\x07风", "not_chinese", "'\\x07'"),
        ("春风2", "not_chinese", "'2'"),
        ("春 风", "not_chinese", "' '"),
        ("春ａ", "not_chinese", "'ａ'"),  # full-width Latin
        ("，。", "no_characters", "no Chinese characters"),
        ("!?", "no_characters", "no Chinese characters"),  # normalised to ！？ first
    ],
)
def test_validate_upper_rejects(text: str, code: str, fragment: str) -> None:
    with pytest.raises(InvalidUpper) as info:
        validate_upper(text)
    assert info.value.code == code
    assert fragment in str(info.value)


def test_invalid_upper_names_position_and_character() -> None:
    with pytest.raises(InvalidUpper) as info:
        validate_upper("春风x秋月")
    assert "'x'" in str(info.value)
    assert "LATIN SMALL LETTER X" in str(info.value)
    assert "position 3" in str(info.value)


def test_invalid_upper_is_a_user_error() -> None:
    assert issubclass(InvalidUpper, UserError)
    assert rules.InvalidUpper("m", code="empty").code == "empty"


def test_a_couplet_that_passes_the_hard_rules_breaks_none() -> None:
    assert broken_hard_rules("春来春去，花开花落", "秋收秋藏，月缺月圆") == {}


def test_broken_hard_rules_are_named_in_order_with_what_to_change() -> None:
    broken = broken_hard_rules("春来春去", "春去")
    assert list(broken) == ["equal_length", "no_reuse"]
    assert broken["no_reuse"] == "the lower line may not use a character of the upper line"
