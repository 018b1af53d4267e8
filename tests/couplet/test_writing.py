"""Whole couplets written from keywords, hiding two characters, and 横批, on a tiny random model.

The model's lines are nonsense; what is tested is what the search and the ranking guarantee: the hidden
characters stand where asked, every rule holds, the keywords are in the couplet, and bad input is refused.
"""

from __future__ import annotations

import pytest
from sites import site_settings

from core.settings import Settings
from couplet.banner import banners, repeats_couplet
from couplet.rules import broken_hard_rules
from couplet.writing import BadRequest, acrostic, unbannered, write, zodiac


@pytest.fixture(scope="module")
def settings(tiny_writer_dir, tmp_path_factory) -> Settings:
    return site_settings(tiny_writer_dir, tmp_path_factory.mktemp("writer_site"))


def whole(c) -> str:
    return c.upper + c.lower


@pytest.mark.parametrize(
    "chars, at", [("春秋", "head"), ("风雪", "head"), ("月年", "head"), ("月川", "tail")]
)
def test_acrostic_hides_the_characters_where_asked(settings, chars, at):
    found = acrostic(chars, length=7, at=at, n=3, settings=settings)
    assert len(found) == 3
    place = 0 if at == "head" else 6
    for c in found:
        assert (c.upper[place], c.lower[place]) == (chars[0], chars[1])
        assert len(c.upper) == len(c.lower) == 7
        assert not broken_hard_rules(c.upper, c.lower)
        assert "烟" not in whole(c)


def test_acrostic_puts_a_given_name_across_the_banner(settings):
    found = acrostic("春秋", banner="松竹梅兰", n=2, settings=settings)
    assert [c.banner for c in found] == ["松竹梅兰", "松竹梅兰"]


@pytest.mark.parametrize(
    "kwargs, code",
    [
        (dict(chars="春"), "bad_chars"),
        (dict(chars="春春"), "bad_chars"),
        (dict(chars="ab"), "bad_chars"),
        (dict(chars="春秋", at="middle"), "bad_position"),
        (dict(chars="春秋", length=3), "bad_length"),
        (dict(chars="春秋", banner="松竹"), "bad_banner"),
        (dict(chars="风雪", at="tail"), "bad_tones"),  # 风 reads 平: an upper line must end on 仄
    ],
)
def test_acrostic_refuses_what_cannot_be_written(settings, kwargs, code):
    with pytest.raises(BadRequest) as caught:
        acrostic(settings=settings, **kwargs)
    assert caught.value.code == code


@pytest.mark.parametrize("keywords", [["春风"], ["山", "水"], ["松竹", "月"], ["月月", "松"]])
def test_written_couplets_hold_every_keyword_and_every_rule(settings, keywords):
    found = write(keywords, length=7, n=3, settings=settings)
    assert len(found) == 3
    assert len({c.upper for c in found}) == 3
    for c in found:
        assert all(k in whole(c) for k in keywords), (keywords, c)
        assert not broken_hard_rules(c.upper, c.lower)
        assert len(c.banner) == 4 and not repeats_couplet(c.banner, c.upper, c.lower)


def test_couplets_written_without_a_banner_are_writes_couplets(settings):
    """The photo path chooses its own 横批: the same couplets as ``write``, without one."""
    plain = unbannered(["春风"], n=3, length=7, settings=settings)
    assert [(c.upper, c.lower) for c in plain] == [
        (c.upper, c.lower) for c in write(["春风"], n=3, length=7, settings=settings)
    ]
    assert all(c.banner == "" and "春风" in whole(c) for c in plain)
    with pytest.raises(BadRequest) as caught:
        unbannered(["坏词"], settings=settings)
    assert caught.value.code == "bad_word"


def test_a_theme_gives_each_couplet_its_own_words(settings):
    found = write(
        theme="诗酒", length=5, n=2, settings=settings
    )  # not an occasion of the table: the word itself
    assert all("诗酒" in whole(c) for c in found)
    assert zodiac(2027) == "羊" and zodiac(2024) == "龙"


@pytest.mark.parametrize(
    "kwargs, code",
    [
        (dict(), "no_keywords"),
        (dict(keywords=["spring"]), "bad_keyword"),
        (dict(keywords=["春风花雨山水月"]), "bad_keyword"),  # as long as the line
        (dict(keywords=["春", "风", "花", "雨", "山"]), "bad_keyword"),
        (dict(keywords=["坏词"]), "bad_word"),
        (dict(keywords=["春"], n=0), "bad_n"),
        (dict(keywords=["春"], year=0), "bad_year"),
    ],
)
def test_write_refuses_bad_keywords(settings, kwargs, code):
    with pytest.raises(BadRequest) as caught:
        write(settings=settings, **kwargs)
    assert caught.value.code == code


def test_banners_never_repeat_the_couplet(settings):
    found = banners("春风花雨山水月", "秋霜草雪海湖年", 5, settings)
    assert len(found) == 5
    assert len({b.text for b in found}) == 5
    for b in found:
        assert len(b.text) == 4 and not repeats_couplet(b.text, "春风花雨山水月", "秋霜草雪海湖年")


def test_repeating_a_word_of_the_couplet_is_caught():
    assert repeats_couplet("春风得意", "春风化雨千山绿", "旭日临窗万户红")
    assert repeats_couplet("山河万户", "春风化雨千山绿", "旭日临窗万户红")
    assert not repeats_couplet("国泰民安", "春风化雨千山绿", "旭日临窗万户红")
