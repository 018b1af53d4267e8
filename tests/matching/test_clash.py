"""Lines whose time of day contradicts the photo (couplet/matching/clash.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from couplet.matching import matcher
from couplet.matching.clash import DAY, NIGHT, clashes, clashing
from couplet.matching.query import parse_tags


def test_a_blue_sky_rules_out_the_moon_and_a_night_the_sun():
    def scenes(*names: str) -> list[tuple[str, str]]:
        return [(name, "scene") for name in names]

    assert clashing(scenes("天空", "山")) == NIGHT == clashing(scenes("云", "海"))
    assert clashing(scenes("夜", "云")) == DAY  # clouds lit by the moon or the city
    assert clashing(scenes("天空", "夕阳")) == frozenset()  # dusk under a blue sky: 暮 and 月 may fit
    assert clashing(scenes("山", "湖")) == frozenset()  # no time of day said
    assert clashing([("云", "object"), ("山", "object")]) == frozenset()  # typed words say no time of day


def test_clashes_mark_the_lines_that_name_the_other_time():
    lines = ["月落西山云放手", "雾锁千山树", "暮色横浮水岸边", "天气乍晴花满树"]
    assert clashes(lines, NIGHT).tolist() == [True, False, True, False]
    assert clashes(lines, DAY).tolist() == [False, False, False, True]
    assert clashes(lines, frozenset()).tolist() == [False] * 4


def test_the_matcher_takes_the_clash_penalty_off_a_moonlit_line_under_a_blue_sky():
    lines = SimpleNamespace(lines=["云开山月白", "云开山石白"])  # the same imagery share
    ids = np.array([0, 1])
    day = parse_tags([("山", 0.9), ("天空", 0.6, "scene")])
    moon, stone = matcher.pictured(lines, ids, day)
    assert stone - moon == pytest.approx(matcher.CLASH_PENALTY)
    undated = parse_tags([("山", 0.9)])
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
    assert "霞" not in clashing([("天空", "scene"), ("晨", "mood")])
    assert "霞" not in clashing([("云", "scene"), ("夕阳", "mood")])
