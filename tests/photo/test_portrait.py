"""A close-up of a person: couplets written from a face's words instead of matched 游人 lines."""

from __future__ import annotations

from photos import encode, scene

from couplet.matching.matcher import marked_penalty
from couplet.rules import broken_hard_rules
from photo import pipeline
from photo.portrait import KEYWORDS, portrait_couplets, shows_person
from vision.tags import Tag


def test_a_person_the_tagger_is_sure_of_among_no_trees_or_flowers_is_shown():
    assert shows_person([Tag("人", 0.9, "local"), Tag("帽", 0.8, "local")])
    assert not shows_person([Tag("人", 0.4, "local"), Tag("帽", 0.8, "local")])  # unsure of the person
    assert not shows_person([Tag("人", 1.0, "local"), Tag("树", 0.99, "local")])  # out in a forest
    assert shows_person([Tag("人", 0.98, "local"), Tag("树", 0.26, "local")])  # a weak tree is background
    assert not shows_person([Tag("猫", 0.9, "local")])


def test_portrait_couplets_are_written_from_the_seeds_words_and_keep_the_rules(site_settings):
    tags = [Tag("人", 0.95, "local")]
    for seed in range(len(KEYWORDS)):
        couplets = portrait_couplets(tags, seed, 3, site_settings)
        assert len(couplets) == 3 and len({c.upper for c in couplets}) == 3
        words = KEYWORDS[seed]
        for c in couplets:
            assert not broken_hard_rules(c.upper, c.lower), (c.upper, c.lower)
            assert any(w in c.upper + c.lower for w in words), (words, c.upper, c.lower)
        # a couplet with a festive or jokey marker never goes before one without
        marked = marked_penalty(tags, [f"{c.upper}，{c.lower}" for c in couplets]) > 0
        assert list(marked) == sorted(marked)


def test_the_pipeline_writes_the_couplets_of_a_close_up_of_a_person(site_settings, monkeypatch):
    class Tagger:
        def __init__(self, tags: list[Tag]) -> None:
            self.tags = tags

        def tag(self, data: bytes) -> list[Tag]:
            return self.tags

    data = encode(scene((640, 480), marker=True))
    written = {
        c.upper
        for c in portrait_couplets([Tag("人", 0.9, "local")], pipeline.photo_seed(data), 3, site_settings)
    }
    portrait = Tagger([Tag("人", 0.9, "local"), Tag("帽", 0.7, "local")])
    monkeypatch.setattr(pipeline, "get_tagger", lambda settings: portrait)
    session = pipeline.create(data, site_settings)
    assert {c.upper for c in session.candidates} == written
    assert all(c.horizontal for c in session.candidates)
    assert "match" not in session.timings.stages
    # a person in a view (a scene tag) is matched as before
    portrait.tags = [Tag("人", 0.9, "local"), Tag("山", 0.8, "local", kind="scene")]
    viewed = pipeline.create(data, site_settings)
    assert not {c.upper for c in viewed.candidates} & written
    assert "match" in viewed.timings.stages


def test_the_couplets_of_a_pair_are_written_once_per_process(site_settings):
    from photo.portrait import _written

    tags = [Tag("人", 0.9, "local")]
    first = portrait_couplets(tags, 0, 3, site_settings)
    hits = _written.cache_info().hits
    assert portrait_couplets(tags, 0, 3, site_settings) == first
    assert _written.cache_info().hits == hits + 1
