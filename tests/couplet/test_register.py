"""How jokey, melancholy, festive and devotional a line reads (couplet/register.py), learnt from seeds on
small corpora."""

from __future__ import annotations

import random

import numpy as np
import pytest

from couplet.register import FLAG, Lexicon, fit, load_lexicon, word_game

SCENIC = "山水云月风花柳烟霞松竹梅江湖溪泉峰雪雨舟亭桥村田草叶"
SLOGAN_CONTEXT = "宏图奋进兴邦振业昌隆"
FESTIVE_CONTEXT = "灯彩红联喜庆团圆佳节"


def scenic_lines(n: int, rng: random.Random) -> list[str]:
    return ["".join(rng.choice(SCENIC) for _ in range(rng.choice([5, 7]))) for _ in range(n)]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    """Scenic lines, slogans that hold a marker (和谐, 小康) among their own words, New Year lines that hold
    one (新春, 迎春) among theirs, and clear lines."""
    rng = random.Random(0)
    slogans = [
        rng.choice(["和谐", "小康"]) + "".join(rng.choice(SLOGAN_CONTEXT) for _ in range(5))
        for _ in range(300)
    ]
    new_year = [
        rng.choice(["新春", "迎春"]) + "".join(rng.choice(FESTIVE_CONTEXT) for _ in range(5))
        for _ in range(300)
    ]
    clear = [
        "犬子不是狗",
        "削尖脑袋钻钱孔",
        "春风杨柳万千条",
        "场场细雨悼英灵",
        "泪洒冰天悲失怙",
        "良缘喜结鸳鸯谱",
    ]
    return scenic_lines(2000, rng) + slogans + new_year + clear


@pytest.fixture(scope="module")
def signals(corpus):
    return fit(corpus, ["云对雨", "雪对风", "晚照对晴空"])


def score(signals, signal: str, line: str) -> float:
    return float(signals.scores(signal, [line])[0])


def test_clear_lines_get_their_register_and_mood(signals):
    for line in ("犬子不是狗", "削尖脑袋钻钱孔"):  # chatter and a dog; a colloquial head bored into money
        assert score(signals, "jokey", line) >= FLAG, line
    assert score(signals, "jokey", "春风杨柳万千条") < FLAG
    assert score(signals, "melancholy", "场场细雨悼英灵") >= FLAG
    assert score(signals, "melancholy", "春风杨柳万千条") < FLAG
    assert score(signals, "festive", "良缘喜结鸳鸯谱") >= FLAG  # a wedding's
    assert score(signals, "festive", "春风杨柳万千条") < FLAG
    assert score(signals, "devotional", "菩提树下悟禅心") >= FLAG  # a temple's
    assert score(signals, "devotional", "春风杨柳万千条") < FLAG


def test_word_games_are_jokey():
    assert word_game("天天在天上") and word_game("水车车水车车水") and word_game("夜夜笙歌笙夜夜")
    assert not word_game("春风杨柳万千条") and not word_game("夜夜只期明月在")
    assert not word_game("山山，水水")  # twice in a clause is a reduplication, not a game


def test_the_classifier_reaches_lines_no_marker_names(signals):
    """A slogan without a marker reads jokey from the company the markers keep; scenic lines do not."""
    unmarked = "宏图奋进兴邦"
    assert not load_lexicon().marked("jokey", unmarked)
    assert score(signals, "jokey", unmarked) >= FLAG
    scenic = signals.scores("jokey", scenic_lines(200, random.Random(1)))
    assert (scenic < FLAG).mean() >= 0.95


def test_festive_lines_without_a_marker_read_festive_from_their_company(signals):
    unmarked = "红联喜庆团圆节"
    assert not load_lexicon().marked("festive", unmarked)
    assert score(signals, "festive", unmarked) >= FLAG
    scenic = signals.scores("festive", scenic_lines(200, random.Random(1)))
    assert (scenic < FLAG).mean() >= 0.95


def test_a_corpus_without_seeds_scores_by_the_lexicon_alone():
    signals = fit(["明月松间照", "清泉石上流"] * 10, [])
    assert signals.models == {"jokey": None, "melancholy": None, "festive": None, "devotional": None}
    scores = signals.scores("jokey", ["明月松间照", "犬子不是狗"])
    assert scores.dtype == np.float32 and scores.tolist() == [0.0, 1.0]


def test_the_lexicon_is_read_strictly():
    lexicon = Lexicon.parse("# comment\njokey\t狗 不是\nmelancholy\t悼\n")
    assert lexicon.found("jokey", "犬子不是狗") == ["不是", "狗"]
    assert lexicon.marked("melancholy", "场场细雨悼英灵") and not lexicon.marked("melancholy", "犬子不是狗")
    for bad in ("gloomy\t悼\n", "jokey\n", "jokey\t \n"):
        with pytest.raises(ValueError):
            Lexicon.parse(bad)
    shipped = load_lexicon()
    assert all(shipped.markers[signal] for signal in ("jokey", "melancholy", "festive", "devotional"))
