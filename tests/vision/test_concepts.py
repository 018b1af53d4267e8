"""The concept vocabulary: cloud services' scene words become scene and mood tags with their kind."""

from __future__ import annotations

import pytest
from fakeapi import Reply

from vision.azure import AzureTagger
from vision.concepts import concept, concept_tags, concepts_of
from vision.tags import Tag

V32 = "/vision/v3.2/tag"


def test_service_words_in_english_and_chinese_name_concepts():
    assert [c.name for c in concepts_of("Mountain")] == ["山"]
    assert [c.name for c in concepts_of("日落")] == ["夕阳"]
    assert sorted(c.name for c in concepts_of("雪山")) == ["山", "雪"]
    assert concepts_of("dog") == ()
    assert (
        concept("夜").kind == "mood" and concept("古建筑").kind == "scene" and concept("人").kind == "object"
    )


def test_concept_tags_rename_scene_words_keep_the_rest_and_merge_by_max():
    tags = [
        Tag("mountain", 0.9, "azure"),
        Tag("sunset", 0.8, "azure"),
        Tag("hill", 0.95, "azure"),
        Tag("snow", 0.4, "azure"),
        Tag("dog", 0.7, "azure"),
    ]
    got = {(t.name, t.kind, t.theme, t.confidence) for t in concept_tags(tags)}
    assert got == {
        ("山", "scene", "山", 0.95),
        ("夕阳", "mood", "景", 0.8),
        ("雪", "mood", "景", 0.4),
        ("dog", "object", None, 0.7),
    }


def test_a_tag_kind_must_be_known():
    with pytest.raises(ValueError, match="kind"):
        Tag("山", 0.5, "x", kind="place")  # type: ignore[arg-type]


def test_azure_scene_words_arrive_as_scene_and_mood_tags(fake_api, make_jpeg):
    body = {
        "tags": [
            {"name": "outdoor", "confidence": 0.99},
            {"name": "mountain", "confidence": 0.95},
            {"name": "sunset", "confidence": 0.9},
            {"name": "snow", "confidence": 0.8},
        ]
    }
    fake_api.on(V32, default=lambda seen: Reply(200, body))
    tagger = AzureTagger(endpoint=fake_api.url, key="k", language="en", backoff=0)
    tags = tagger.tag(make_jpeg())
    assert [(t.name, t.kind, t.source) for t in tags] == [
        ("outdoor", "object", "azure"),
        ("山", "scene", "azure"),
        ("夕阳", "mood", "azure"),
        ("雪", "mood", "azure"),
    ]
