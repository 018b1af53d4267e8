"""Choosing the k lines to return from ranked candidates: MMR for variety, then a seeded draw."""

from __future__ import annotations

import random

import numpy as np


def mmr(relevance: np.ndarray, similarity: np.ndarray, n: int, lam: float = 0.7) -> list[int]:
    """Maximal marginal relevance: ``n`` candidate positions, each the best trade-off between its
    relevance and its similarity to those already chosen (``similarity`` is candidates x candidates)."""
    n = min(n, len(relevance))
    chosen: list[int] = []
    closest = np.full(len(relevance), -np.inf)
    for _ in range(n):
        gain = lam * relevance - (1 - lam) * np.where(np.isinf(closest), 0.0, closest)
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        closest = np.maximum(closest, similarity[best])
    return chosen


def draw(ranked: list, k: int, pool: int, seed: int | None) -> list:
    """``k`` items drawn without replacement from the first ``pool`` of ``ranked``, kept in rank order.

    The same seed gives the same picks; no seed gives fresh picks each call.
    """
    head = ranked[: max(k, pool)]
    picks = sorted(random.Random(seed).sample(range(len(head)), min(k, len(head))))
    return [head[i] for i in picks]
