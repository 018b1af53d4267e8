"""Tags into weighted query words, and training queries out of corpus lines."""

from __future__ import annotations

import math
import random

import pytest

from core.errors import UserError
from couplet.matching.query import KIND_WEIGHTS, BadTags, line_units, parse_tags, training_query
from couplet.matching.synonyms import load_synonyms
from vision.tags import Tag


def test_pairs_and_tag_objects_give_weights_summing_to_one():
    words = parse_tags([("山", 0.9), Tag("湖", 0.3, "local"), ("山", 0.5)])
    assert [w.text for w in words] == ["山", "湖"]  # one per name, the highest confidence kept, best first
    assert math.isclose(sum(w.weight for w in words), 1.0)
    assert math.isclose(words[0].weight, 0.9 / 1.2)


def test_scene_and_mood_tags_weigh_below_objects():
    # 天空 from a third of blue sky at 0.9, an object at 0.6: the object leads the query.
    words = parse_tags([Tag("天空", 0.9, "local", kind="scene"), ("灯塔", 0.6), ("夜", 0.4, "mood")])
    assert [(w.text, w.kind) for w in words] == [("灯塔", "object"), ("天空", "scene"), ("夜", "mood")]
    assert math.isclose(sum(w.weight for w in words), 1.0)
    assert math.isclose(words[0].weight / words[1].weight, 0.6 / (0.9 * KIND_WEIGHTS["scene"]))
    # The kind comes with the highest confidence of a name.
    assert parse_tags([("山", 0.3, "scene"), ("山", 0.8)])[0].kind == "object"


def test_zero_confidences_weigh_equally():
    words = parse_tags([("山", 0.0), ("水", 0)])
    assert [w.weight for w in words] == [0.5, 0.5]


@pytest.mark.parametrize(
    "tags",
    [
        [],
        "山",
        None,
        [("", 0.5)],
        [("mountain", 0.5)],
        [("山1", 0.5)],
        [("山", 1.5)],
        [("山", -0.1)],
        [("山", float("nan"))],
        [("山", True)],
        [("山", "0.5")],
        [("山",)],
        [("山", 0.5, "weather")],
        [("山", 0.5, "scene", 1)],
        [object()],
        [("山" * 9, 0.5)],
        [(f"山{'一二三四五六七八九十'[i % 10]}", 0.5) for i in range(21)],
    ],
)
def test_bad_tag_lists_raise_a_user_error(tags):
    with pytest.raises(BadTags) as info:
        parse_tags(tags)
    assert isinstance(info.value, UserError) and info.value.code == "bad_tags"


def test_line_units_drop_punctuation_and_function_words():
    assert line_units("", ["青山", "，", "不", "之", "明月", "ab", "青山", "不再"]) == ["青山", "明月"]


def test_training_queries_come_from_the_line_or_the_synonym_table():
    synonyms = load_synonyms()
    units = ["明月", "照", "松间"]
    allowed = set(units) | set("明月照松间")
    for word in ("明月", "照", "松间", *"明月照松间"):
        allowed |= set(synonyms.modern.get(word, ()))
    queries = [training_query(units, synonyms, random.Random(seed)) for seed in range(300)]
    for q in queries:
        words = q.split(" ")
        assert 1 <= len(words) <= 3 and set(words) <= allowed, q
    assert any(w in synonyms.modern["月"] for q in queries for w in q.split(" ")), "modern synonyms are used"
    assert training_query(units, synonyms, random.Random(7)) == training_query(
        units, synonyms, random.Random(7)
    )
