"""Kept characters of a lower line (couplet/locks.py): the pattern, checks naming rule and position, repeats."""

from __future__ import annotations

import pytest

from core.errors import UserError
from couplet.badwords import BadWords
from couplet.locks import lock, parse_pattern, reopen

BAD = BadWords(frozenset({"坏蛋", "烟"}))


def test_both_question_marks_open_a_position():
    assert parse_pattern("喜?盈？万户?") == ["喜", None, "盈", None, "万", "户", None]


def test_kept_characters_and_punctuation_are_fixed():
    fixed = lock("春来春去，花开花落", parse_pattern("??秋??叶?叶?"), BAD)
    assert fixed == {4: "，", 2: "秋", 0: "秋", 5: "叶", 7: "叶"}


def test_a_kept_mark_stays_and_an_open_one_takes_the_upper_lines():
    assert lock("春风，化雨", parse_pattern("秋?！??"), BAD)[2] == "！"
    assert lock("春风！化雨", parse_pattern("秋???？"), BAD)[2] == "！"


def test_a_kept_character_is_copied_to_the_repeats_of_the_upper_line():
    fixed = lock("春来春去", parse_pattern("???冬"), BAD)
    assert fixed == {3: "冬"}
    fixed = lock("春来春去", parse_pattern("??秋?"), BAD)
    assert fixed == {0: "秋", 2: "秋"}


def test_a_fully_kept_line_is_its_own_answer():
    assert lock("春风", parse_pattern("秋月"), BAD) == {0: "秋", 1: "月"}


@pytest.mark.parametrize(
    ("upper", "pattern", "code", "words"),
    [
        ("春风化雨", "???", "equal_length", ["3 positions", "has 4"]),
        ("春风化雨", "?????", "equal_length", ["5 positions"]),
        ("春风化雨", "", "equal_length", ["0 positions"]),
        ("春风化雨", "秋?风?", "no_reuse", ["'风' at position 3"]),
        ("春风，化雨", "秋?月??", "punctuation", ["position 3", "'，'"]),
        ("春风化雨", "秋，??", "punctuation", ["position 2", "'，'", "'风'"]),
        ("春风化雨", "秋a??", "not_chinese", ["'a' at position 2"]),
        ("春风化雨", "秋😀??", "not_chinese", ["position 2"]),
        ("春来春去", "秋?冬?", "repeats_mirrored", ["positions 1 and 3", "'秋' and '冬'"]),
        ("春风化雨", "秋?秋?", "repeats_mirrored", ["positions 1 and 3", "'春' and '化'"]),
        ("春来春去", "?冬?冬", "repeats_mirrored", ["positions 2 and 4"]),
        ("春风化雨", "?坏蛋?", "bad_word", ["坏蛋"]),
        ("春风化雨", "??烟?", "bad_word", ["烟"]),
    ],
)
def test_kept_characters_that_break_a_hard_rule_are_refused_by_name_and_position(upper, pattern, code, words):
    with pytest.raises(UserError) as caught:
        lock(upper, parse_pattern(pattern), BAD)
    assert caught.value.code == code and caught.value.status == 400
    for word in words:
        assert word in str(caught.value)


def test_a_repeat_kept_at_its_second_position_reaches_the_first():
    # The kept 秋 under the second 春 puts a 秋 under the first: 秋 kept elsewhere under 风 breaks the pattern.
    with pytest.raises(UserError) as caught:
        lock("春风春雨", parse_pattern("?秋秋?"), BAD)
    assert caught.value.code == "repeats_mirrored"


def test_reopen_opens_the_position_and_its_repeats():
    assert reopen("春来春去", "秋往秋归", 3) == [None, "往", None, "归"]
    assert reopen("春风化雨", "秋月成霜", 2) == ["秋", None, "成", "霜"]


@pytest.mark.parametrize(
    ("position", "code"), [(0, "bad_position"), (5, "bad_position"), (-1, "bad_position"), (3, "punctuation")]
)
def test_reopen_refuses_a_position_outside_the_line_or_on_punctuation(position, code):
    with pytest.raises(UserError) as caught:
        reopen("春风，雨", "秋月，霜", position)
    assert caught.value.code == code
