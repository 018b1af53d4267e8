"""A line's words: the segmentation the store keeps, and what counts as saying a word."""

from __future__ import annotations

import pytest

from couplet.words import MAX_LINE, segment, straddles, word_ends, words


@pytest.mark.parametrize("line", ["铁面包公官榜样", "春风，秋月", "如果心花能结果", "山", "，。", ""])
def test_the_mask_of_word_ends_gives_the_segmentation_back(line):
    assert words(line, word_ends(line)) == segment(line)


def test_a_line_too_long_for_the_mask_is_refused():
    with pytest.raises(ValueError):
        word_ends("山" * (MAX_LINE + 1))


def test_a_word_across_two_words_straddles():
    line = "铁面包公官榜样"  # 铁面 / 包公 / 官 / 榜样
    assert straddles(line, segment(line), {"面包"})
    assert not straddles(line, segment(line), {"包公"})  # a word of the line
    assert not straddles(line, segment(line), {"官"})
    assert not straddles("面包坚硬砖头软", segment("面包坚硬砖头软"), {"面包"})


def test_a_character_inside_a_longer_word_does_not_straddle_and_is_not_said():
    line = "如果心花能结果"  # 如果 / 心花 / 能 / 结果
    assert not straddles(line, segment(line), {"果"})
    assert "果" not in segment(line)


def test_a_concept_said_by_one_form_does_not_straddle_by_another():
    line = "明月照长天空"
    line_words = ["明月", "照", "长天", "空"]
    assert straddles(line, line_words, {"天空"})
    assert not straddles(line, line_words, {"天空", "长天"})
