"""MMR and the seeded draw (pure functions)."""

from __future__ import annotations

import numpy as np

from couplet.matching.select import draw, mmr


def test_mmr_takes_the_best_first_then_skips_a_near_duplicate():
    relevance = np.array([0.9, 0.89, 0.6])
    similarity = np.array([[1.0, 0.99, 0.1], [0.99, 1.0, 0.1], [0.1, 0.1, 1.0]])
    assert mmr(relevance, similarity, 2) == [0, 2]
    assert mmr(relevance, similarity, 2, lam=1.0) == [0, 1]  # relevance alone keeps the duplicate


def test_mmr_returns_each_candidate_once():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8))
    order = mmr(rng.random(30), vectors @ vectors.T, 50)
    assert sorted(order) == list(range(30))


def test_draw_is_seeded_stays_in_the_pool_and_keeps_rank_order():
    ranked = list("abcdefghij")
    assert draw(ranked, 3, 6, seed=4) == draw(ranked, 3, 6, seed=4)
    outcomes = {tuple(draw(ranked, 3, 6, seed=s)) for s in range(50)}
    assert len(outcomes) > 5
    for picks in outcomes:
        assert set(picks) <= set("abcdef") and list(picks) == sorted(picks)
    assert draw(ranked[:2], 3, 6, seed=1) == ["a", "b"]
