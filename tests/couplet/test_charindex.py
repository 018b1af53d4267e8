"""CharIndex: the same-length line sharing the most distinct characters."""

from __future__ import annotations

from couplet.charindex import CharIndex


def test_charindex_best_same_length_most_shared() -> None:
    index = CharIndex(["春风秋月", "春风", "海阔天空", "春花秋月", "春风秋雨冬雪"])
    assert index.best("春花秋水") == (3, 3)
    assert index.best("春风秋月") == (0, 4)
    assert index.best("春雨") == (1, 1)  # 春风 is the only two-character line
    assert index.best("春风秋月冬雪") == (4, 5)


def test_charindex_best_none_and_punctuation() -> None:
    index = CharIndex(["春风，秋月", "海阔天空"])
    assert index.best("甲乙丙丁") == (-1, 0)  # same length, nothing shared
    assert index.best("春风秋") == (-1, 0)  # no line of that length
    assert index.best("春雨，冬雪") == (0, 1)  # the comma is not a shared character
    assert index.best("，。，。，") == (-1, 0)
    assert CharIndex([]).best("春") == (-1, 0)


def test_charindex_counts_distinct_characters() -> None:
    index = CharIndex(["年年有余", "年丰有余"])
    # 年 counts once: 年年有余 shares {年, 有, 余} with both lines, and ties go to the first line.
    assert index.best("年年有余") == (0, 3)
    assert index.best("岁丰有余") == (1, 3)
