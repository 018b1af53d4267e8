"""Lines whose time of day contradicts the photo (couplet/matching/clash.py)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from couplet.matching import clash, matcher
from couplet.matching.clash import DAY, DRINKS, GLOW, NIGHT, clashes, clashing


def test_a_blue_sky_rules_out_the_moon_and_a_night_the_sun():
    def scenes(*names: str) -> list[tuple[str, str]]:
        return [(name, "scene") for name in names]

    assert clashing(scenes("天空", "山")) == NIGHT == clashing(scenes("云", "海"))
    assert clashing(scenes("夜", "云")) == DAY | GLOW  # clouds lit by the moon or the city
    assert clashing(scenes("夜", "夕阳")) == DAY  # a dark dusk keeps its glow
    assert clashing(scenes("天空", "夕阳")) == frozenset()  # dusk under a blue sky: 暮 and 月 may fit
    assert clashing(scenes("山", "湖")) == frozenset()  # no time of day said
    assert clashing([("云", "object"), ("山", "object")]) == frozenset()  # typed words say no time of day


def test_clashes_mark_the_lines_that_name_the_other_time():
    lines = ["月落西山云放手", "雾锁千山树", "暮色横浮水岸边", "天气乍晴花满树"]
    assert clashes(lines, NIGHT).tolist() == [True, False, True, False]
    assert clashes(lines, DAY).tolist() == [False, False, False, True]
    assert clashes(lines, frozenset()).tolist() == [False] * 4


def test_words_in_which_the_moon_or_the_stars_mean_something_else_do_not_clash():
    lines = ["湖山一棹红尘远", "风月无边白发多", "春花秋月总关情", "岁月如歌", "明星闪耀", "一山一水月题诗"]
    assert clashes(lines, NIGHT).tolist() == [False, False, False, False, False, True]
    # The night's watches name the night without a character of NIGHT; 更 alone means "more".
    assert clashes(["野渡三更柳絮飞", "更上一层楼"], NIGHT).tolist() == [True, False]
    # So do the Milky Way and the setting sun.
    assert clashes(["天空河汉暗", "余晖斜落云峰外", "孤城落日云烟锁", "河水向东流"], NIGHT).tolist() == [
        True,
        True,
        True,
        False,
    ]


def test_the_matcher_takes_the_clash_penalty_off_a_moonlit_line_under_a_blue_sky():
    lines = SimpleNamespace(lines=["云开山月白", "云开山石白"])  # the same imagery share
    ids = np.array([0, 1])
    day = clashing([("山", "object"), ("天空", "scene")])
    moon, stone = matcher.pictured(lines, ids, day)
    assert stone - moon == pytest.approx(matcher.CLASH_PENALTY)
    undated = clashing([("山", "object")])
    assert np.diff(matcher.pictured(lines, ids, undated)) == pytest.approx(0.0)


def test_green_growth_without_a_snow_tag_rules_out_snow_and_ice():
    green = [("树", "object"), ("海", "scene")]
    assert {"雪", "冰"} <= clashing(green)
    assert clashing([*green, ("雪", "mood")]).isdisjoint("雪冰")  # snow on the trees
    assert clashing([("田野", "scene"), ("山", "scene")]) >= {"雪", "冰"}
    assert clashing([("树", "object"), ("花", "object")]) == frozenset()  # typed words: no view, no season
    assert clashing([("山", "scene"), ("湖", "scene")]).isdisjoint("雪冰")  # bare hills may be snowy


def test_the_glow_of_a_low_sun_fits_dusk_and_dawn_only():
    assert "霞" in clashing([("天空", "scene")])
    assert "霞" in clashing([("夜", "mood")])  # 晚霞如火 over the Milky Way
    assert "霞" not in clashing([("天空", "scene"), ("晨", "mood")])
    assert "霞" not in clashing([("云", "scene"), ("夕阳", "mood")])
    night = clashing([("夜", "mood"), ("山", "scene")])
    lines = ["晚霞如火", "落日熔金", "夕阳西下", "星垂平野阔", "天气乍晴花满树"]
    assert clashes(lines, night).tolist() == [True, True, True, False, True]  # the setting sun reads as 霞


def test_a_dish_or_a_drink_rules_out_the_wine_and_tea_no_tag_names():
    for meal in (["披萨"], ["咖啡"], ["汉堡", "土豆"]):
        assert clashing((name, "object") for name in meal) >= DRINKS
    assert clashing([("披萨", "object"), ("酒", "object")]).isdisjoint("酒")  # a glass of wine beside it
    assert "茶" in clashing([("披萨", "object"), ("酒", "object")])
    assert clashing([("山", "object"), ("船", "object")]).isdisjoint(DRINKS)  # 把酒临风 suits a view
    assert clashing([("茶", "object")]) == frozenset()  # tea is named: lines of tea fit


def test_the_matcher_keeps_wine_off_a_pizza(keyword_site_with, monkeypatch):
    """Over a pizza (here answered by the stand-in 犬), vivid lines of 犬 and wine, picked without the rule,
    lose to the plain lines of 犬."""
    scenes = "山水花云湖松竹梅江天日雪舟"
    wine = [(f"{a}犬{b}酒{a}月", "长春秋新老老") for a, b in zip(scenes, scenes[3:], strict=False)]
    site = replace(keyword_site_with(wine), match_prefer_ze=False)  # every wine line ends on 仄
    monkeypatch.setattr(matcher, "load_standins", lambda: {"披萨": ("犬", "香")})

    def picks(standins: dict) -> list[str]:
        monkeypatch.setattr(clash, "load_standins", lambda: standins)
        return [m.upper for m in matcher.match([("披萨", 1.0)], k=3, seed=0, settings=site)]

    assert any("酒" in line for line in picks({}))  # no dish known: nothing rules wine out
    served = picks({"披萨": ("犬", "香")})
    assert served and all("犬" in line and DRINKS.isdisjoint(line) for line in served)
