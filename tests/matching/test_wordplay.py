"""Word games of sound and order (couplet/matching/wordplay.py) and their penalty in the matcher."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from couplet.matching import matcher
from couplet.matching.imagery import imagery
from couplet.matching.wordplay import homophone_pairs, mirrored, word_games


def test_neighbours_that_read_alike_are_counted_tone_and_all():
    assert homophone_pairs("暑鼠凉梁笔，描猫惊暑鼠") == 3  # shǔ shǔ, liáng liáng, shǔ shǔ
    assert homophone_pairs("烟掩檐沿燕") == 1  # 檐沿 yán yán; 烟掩 differ in tone
    assert homophone_pairs("座右有幽兰") == 0  # yòu yǒu: another tone
    assert homophone_pairs("山山水水") == 0  # a repeated character is a repeat, not a homophone
    assert homophone_pairs("世，事") == 0  # punctuation parts them


def test_two_pairs_make_a_game():
    lines = [
        "暑鼠凉梁笔，描猫惊暑鼠",
        "拾市适时适世十施仕试",
        "笔间猫栩栩",
        "世事如棋局局新",
        "山巅胜景游人醉",
    ]
    assert word_games(lines).tolist() == [True, True, False, False, False]


def test_a_pair_said_again_reversed_in_one_clause_is_a_game():
    assert mirrored("穿云石树云穿树") and mirrored("雾锁山头山锁雾") and mirrored("久不开会开不久")
    assert mirrored("面面有情，环水抱山山抱水")  # in any clause
    assert not mirrored("脱贫致富年年富")  # 富年 then 年富 right after: a reduplication
    assert not mirrored("云山，山云")  # a clause answering another is no game within one
    assert not mirrored("一树白梅一树雪")  # said again in the same order: a refrain
    assert word_games(["映日荷花日映花", "春风杨柳万千条"]).tolist() == [True, False]


def test_the_matcher_takes_the_jokey_penalty_off_a_homophone_game():
    lines = [
        "饥鸡凉梁啄米鼠",
        "饥禽凉梁啄米鼠",
    ]  # 饥鸡 and 凉梁: a game; 饥禽 leaves 凉梁 alone, a chance pair
    assert word_games(lines).tolist() == [True, False]
    assert np.diff(imagery(lines)) == pytest.approx(0.0)
    game, verse = matcher.pictured(SimpleNamespace(lines=lines), np.array([0, 1]), frozenset())
    assert verse - game == pytest.approx(matcher.JOKEY_PENALTY)
