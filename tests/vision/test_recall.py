"""Scoring tags against English labels: hits by word and by theme, unscored words, scene-tag precision."""

from __future__ import annotations

from vision.recall import load_label_table, score_photo
from vision.tags import Tag


def test_label_words_are_hit_by_their_tag_words_or_theme():
    tags = [
        Tag("山", 0.5, "local", kind="scene"),
        Tag("狐狸", 0.4, "local", theme="动物"),
        Tag("夕阳", 0.3, "local", kind="mood"),
        Tag("雪", 0.3, "local", kind="mood"),
    ]
    score = score_photo(["mountain", "animal", "people", "grayscale"], "Snow-dusted peaks at dusk", tags)
    assert score.found == ("mountain", "animal")
    assert score.missed == ("people",)
    assert score.unscored == ("grayscale",)
    # the description supports 夕阳 (dusk) and 雪 (the snow of snow-dusted)
    assert score.supported == ("山", "夕阳", "雪") and score.unsupported == ()


def test_object_tags_do_not_count_towards_scene_precision():
    score = score_photo(["sea"], "", [Tag("海", 0.5, "local", kind="scene"), Tag("城堡", 0.5, "local")])
    assert score.supported == ("海",) and score.unsupported == ()
    assert score_photo(["sea"], "", [Tag("雪", 0.5, "local", kind="mood")]).unsupported == ("雪",)


def test_the_table_knows_every_label_of_the_scene_set():
    table = load_label_table()
    for word in ("mountain", "sea", "snow", "night", "sunset", "temple", "people", "city", "tree", "field"):
        assert table[word], word
