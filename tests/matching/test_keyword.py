"""The keyword index: hits against a brute-force count, weighting, and the top-n selection."""

from __future__ import annotations

import numpy as np

from couplet.matching.keyword import KeywordIndex, keys, top


def test_keys_are_characters_and_bigrams_within_clauses():
    assert keys("青山，绿水") == {"青", "山", "绿", "水", "青山", "绿水"}
    assert keys("山 湖") == {"山", "湖"}


def test_hits_equal_a_brute_force_count(pairs):
    lines = [u for u, _ in pairs]
    index = KeywordIndex(lines)
    for query in ("山月", "江天", "孤舟", "松竹梅", "无此字"):
        expected = [len(keys(query) & keys(line)) for line in lines]
        assert index.hits(query).tolist() == expected


def test_concepts_take_their_best_form_and_are_weighted():
    index = KeywordIndex(["老犬眠", "小狗跑", "青山远"])
    scores = index.scores([(["狗", "犬"], 0.5), (["山"], 2.0)])
    assert scores.tolist() == [0.5, 0.5, 2.0]


def test_top_respects_the_mask_and_orders_by_score_then_id():
    scores = np.array([1.0, 3.0, 0.0, 3.0, 2.0], dtype=np.float32)
    assert top(scores, None, 3).tolist() == [1, 3, 4]
    assert top(scores, np.array([True, False, True, True, True]), 10).tolist() == [3, 4, 0]
