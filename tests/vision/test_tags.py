"""Tag validation and duplicate merging."""

from __future__ import annotations

import pytest

from vision.tags import Tag, Tagger, merge_tags


def test_tag_rejects_confidence_outside_0_1_and_empty_names():
    with pytest.raises(ValueError):
        Tag("狗", 1.2, "local")
    with pytest.raises(ValueError):
        Tag("狗", float("nan"), "local")
    with pytest.raises(ValueError):
        Tag("", 0.5, "local")


def test_merge_max_keeps_the_strongest_duplicate_and_sorts():
    tags = [
        Tag("狗", 0.3, "a", "beagle"),
        Tag("湖", 0.5, "a"),
        Tag("狗", 0.6, "b", "pug"),
        Tag("山", 0.5, "a"),
    ]
    merged = merge_tags(tags)
    assert [(t.name, t.confidence, t.source, t.name_en) for t in merged] == [
        ("狗", 0.6, "b", "pug"),
        ("山", 0.5, "a", None),
        ("湖", 0.5, "a", None),
    ]


def test_merge_sum_adds_probabilities_of_one_softmax_and_caps_at_one():
    tags = [
        Tag("狗", 0.4, "local", "beagle", "动物"),
        Tag("狗", 0.35, "local", "pug", "动物"),
        Tag("猫", 0.2, "local"),
    ]
    merged = merge_tags(tags, combine="sum")
    assert merged[0].name == "狗" and merged[0].confidence == pytest.approx(0.75)
    assert merged[0].name_en == "beagle" and merged[0].theme == "动物"
    assert merge_tags([Tag("狗", 0.7, "x"), Tag("狗", 0.6, "x")], combine="sum")[0].confidence == 1.0
    with pytest.raises(ValueError):
        merge_tags(tags, combine="mean")  # type: ignore[arg-type]


def test_anything_with_a_tag_method_is_a_tagger():
    class Fixed:
        def tag(self, image_bytes: bytes) -> list[Tag]:
            return [Tag("山", 1.0, "fixed")]

    assert isinstance(Fixed(), Tagger)
    assert not isinstance(object(), Tagger)
