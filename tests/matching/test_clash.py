"""Lines whose time of day contradicts the photo (couplet/matching/clash.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from couplet.matching import matcher
from couplet.matching.clash import DAY_CHARS, NIGHT_CHARS, clashes, clashing_chars
from couplet.matching.query import parse_tags


def test_a_blue_sky_rules_out_the_moon_and_a_night_the_sun():
    assert clashing_chars(["天空", "山"]) == NIGHT_CHARS == clashing_chars(["云", "海"])
    assert clashing_chars(["夜", "云"]) == DAY_CHARS  # clouds lit by the moon or the city
    assert clashing_chars(["夜", "山"]) == DAY_CHARS
    assert clashing_chars(["天空", "夕阳"]) == frozenset()  # dusk under a blue sky: 暮 and 月 may fit
    assert clashing_chars(["山", "湖"]) == frozenset()  # no time of day said


def test_clashes_mark_the_lines_that_name_the_other_time():
    lines = ["月落西山云放手", "雾锁千山树", "暮色横浮水岸边", "天气乍晴花满树"]
    assert clashes(lines, NIGHT_CHARS).tolist() == [True, False, True, False]
    assert clashes(lines, DAY_CHARS).tolist() == [False, False, False, True]
    assert clashes(lines, frozenset()).tolist() == [False] * 4


def test_the_matcher_takes_the_clash_penalty_off_a_moonlit_line_under_a_blue_sky():
    lines = SimpleNamespace(lines=["云开山月白", "云开山石白"])  # the same imagery share
    ids = np.array([0, 1])
    day = parse_tags([("山", 0.9), ("天空", 0.6, "scene")])
    moon, stone = matcher.pictured(lines, ids, day)
    assert stone - moon == pytest.approx(matcher.CLASH_PENALTY)
    undated = parse_tags([("山", 0.9)])
    assert np.diff(matcher.pictured(lines, ids, undated)) == pytest.approx(0.0)
