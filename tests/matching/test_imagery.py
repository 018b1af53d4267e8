"""The imagery share: how much of a line names things a photo can show."""

from __future__ import annotations

import pytest

from couplet.matching.imagery import VISIBLE_SECTIONS, imagery, imagery_chars
from couplet.matching.synonyms import Synonyms, load_synonyms


def test_sections_are_read_from_the_headings_of_the_table():
    table = Synonyms.parse("# A comment, not a heading\n# 山水\n山\t山峰\n水\t河水\n# 人物\n翁\t老人\n")
    assert table.sections == {"山": "山水", "水": "山水", "翁": "人物"}
    shipped = load_synonyms().sections
    assert shipped["云"] == "天象与时令" and shipped["人"] == "人物" and shipped["喜"] == "人事与心情"
    assert set(shipped.values()) >= VISIBLE_SECTIONS


def test_the_imagery_characters_are_things_one_can_see():
    chars = imagery_chars()
    assert set("山水云树花鸟月舟亭红") <= chars
    assert not set("人喜愁思之") & chars  # people, feelings and function words name nothing to see


@pytest.mark.parametrize(
    ("scenic", "other"),
    [("云树千山，风泉万壑", "让人终有人夸好"), ("野旷天低树", "足协扯球蛋"), ("海阔云连树", "人在人情在")],
)
def test_a_line_that_paints_a_scene_has_more_imagery_than_a_maxim_or_a_jibe(scenic, other):
    shares = imagery([scenic, other])
    assert shares[0] >= 0.5 > 0.2 >= shares[1]


def test_the_share_counts_chinese_characters_only():
    assert imagery(["山，水", "", "ok"]).tolist() == [1.0, 0.0, 0.0]


def test_a_thing_repeated_counts_once():
    shares = imagery(["树、大树、参天大树", "田家田里田田叶", "雪染山川树"])
    # 树 and 天 of seven; 田, 家 and 叶 of seven; 雪, 山, 川 and 树 of five
    assert shares.tolist() == pytest.approx([2 / 7, 3 / 7, 4 / 5])
