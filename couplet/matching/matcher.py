"""match(): upper lines for the tags of a photo.

Tags become one query vector (their embeddings weighted by confidence); the index returns the nearest
allowed lines, and the few lines whose characters could spell every tag's concept join them (the
encoder ranks common concepts well but can miss a rare exact combination); each candidate is re-scored
by how many of the tags' concepts it actually says; MMR keeps the shortlist varied, and the k answers
are drawn at random from the best of it (seeded). Without an index or an encoder, the keyword matcher
ranks the lines instead, so the app keeps answering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from core.settings import Settings
from couplet.corpus import Corpus
from couplet.matching.keyword import top
from couplet.matching.query import BadTags, QueryWord, parse_tags
from couplet.matching.select import draw, mmr
from couplet.matching.synonyms import Synonyms, load_synonyms

MAX_K = 10
CANDIDATES = 200
"""Lines fetched before re-scoring: enough that bad words and near-duplicates can be dropped."""
EXACT_CAP = 1000
"""Lines that could say every concept join the candidates when there are at most this many."""
COVERAGE_BONUS = 0.5
"""Added to the cosine similarity for a line that says every tag's concept (in proportion for some)."""
MMR_INPUT = 60
"""MMR looks at the best this many candidates (its cost grows with the square; the draw needs 3k <= 30)."""
MMR_LAMBDA = 0.7
POOL_PER_PICK = 3
"""The k answers are drawn from the best k * POOL_PER_PICK lines after MMR."""


@dataclass(frozen=True)
class Match:
    upper: str
    score: float
    """Relevance: cosine similarity plus the concept-coverage bonus (encoder), or weighted hits (keyword)."""
    source: str
    """`encoder` or `keyword` (the fallback)."""

    def to_dict(self) -> dict:
        return {"upper": self.upper, "score": round(self.score, 4), "source": self.source}


Concepts = list[tuple[frozenset[str], float]]
"""Each tag's concept (the tag and the classical words it stands for) with the tag's weight."""


def concepts_of(words: Sequence[QueryWord], synonyms: Synonyms) -> Concepts:
    return [(synonyms.concept(w.text), w.weight) for w in words]


def coverage(line: str, concepts: Concepts) -> float:
    """The weighted share of the concepts the line says (one of their forms occurs in it)."""
    return sum(weight for forms, weight in concepts if any(form in line for form in forms))


def query_vector(words: Sequence[QueryWord], encode) -> np.ndarray:
    """Unit-length sum of the tags' embeddings weighted by confidence."""
    vectors = encode([w.text for w in words])
    q = np.asarray([w.weight for w in words], dtype=np.float32) @ vectors
    return q / max(float(np.linalg.norm(q)), 1e-12)


def char_similarity(lines: Sequence[str]) -> np.ndarray:
    """Jaccard similarity of the character sets of every pair of lines (MMR's redundancy for keywords)."""
    sets = [set(line) for line in lines]
    return np.array([[len(a & b) / len(a | b) for b in sets] for a in sets], dtype=np.float32)


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The common elements of two ascending id arrays, by binary search of the shorter in the longer."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    if not len(small):
        return small
    pos = np.minimum(np.searchsorted(big, small), len(big) - 1)
    return small[big[pos] == small]


def concept_lines(concepts: Concepts, table: Corpus) -> np.ndarray:
    """Ascending ids of the lines holding, for every concept, all characters of one of its forms: a
    superset of the lines that say every concept, from the character postings alone."""
    result = None
    for forms, _ in concepts:
        per_form = [reduce(_intersect, [table.chars.get(ch) for ch in set(form)]) for form in forms]
        if len(per_form) == 1:
            ids = per_form[0]
        else:  # a union through a mask: sorting the concatenated postings costs more
            mask = np.zeros(len(table), dtype=bool)
            for form_ids in per_form:
                mask[form_ids] = True
            ids = np.flatnonzero(mask)
        result = ids if result is None else _intersect(result, ids)
    return result


def rescored(
    words, index, encode, synonyms, badwords, min_len, max_len, ze_only, n: int = MMR_INPUT
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, relevance) of the best ``n`` candidate lines without bad words, best first: cosine
    similarity plus the concept-coverage bonus."""
    query, concepts = query_vector(words, encode), concepts_of(words, synonyms)
    ids, sims = index.search(query, CANDIDATES, min_len, max_len, ze_only)
    exact = concept_lines(concepts, index.table)
    exact = exact[index.table.allowed(min_len, max_len, ze_only)[exact]]
    if len(exact) <= EXACT_CAP:
        extra = np.setdiff1d(exact, ids)
        ids = np.concatenate([ids, extra])
        sims = np.concatenate([sims, index.vectors(extra) @ query if len(extra) else []])
    lines = index.table.lines
    relevance = sims + COVERAGE_BONUS * np.array([coverage(lines[i], concepts) for i in ids])
    # The corpus is cleaned of bad words; this check is for words listed since, so only the best are read.
    keep = []
    for j in np.argsort(-relevance, kind="stable"):
        if len(keep) == n:
            break
        if badwords.find(lines[ids[j]]) is None:
            keep.append(j)
    return ids[keep], relevance[keep]


def _dense(words, index, encode, synonyms, badwords, min_len, max_len, ze_only, n) -> list[Match]:
    ids, relevance = rescored(words, index, encode, synonyms, badwords, min_len, max_len, ze_only)
    if not len(ids):
        return []
    vectors = index.vectors(ids)
    order = mmr(relevance, vectors @ vectors.T, n, MMR_LAMBDA)
    return [Match(index.table.lines[ids[j]], float(relevance[j]), "encoder") for j in order]


def _keyword(words, keyword_index, table, synonyms, badwords, min_len, max_len, ze_only, n) -> list[Match]:
    scores = keyword_index.scores([(sorted(forms), weight) for forms, weight in concepts_of(words, synonyms)])
    ids = [
        i
        for i in top(scores, table.allowed(min_len, max_len, ze_only), CANDIDATES)
        if badwords.find(table.lines[i]) is None
    ][:MMR_INPUT]
    if not ids:
        return []
    lines = [table.lines[i] for i in ids]
    relevance = scores[ids] / scores[ids].max()
    order = mmr(relevance, char_similarity(lines), n, MMR_LAMBDA)
    return [Match(lines[j], float(scores[ids[j]]), "keyword") for j in order]


def _any_lines(table: Corpus, k: int, seed: int | None, min_len: int, max_len: int) -> list[Match]:
    """Lines drawn at random, for tags that no line says anything about."""
    allowed = np.flatnonzero(table.allowed(min_len, max_len, False))
    picks = np.random.default_rng(seed).choice(allowed, size=min(k, len(allowed)), replace=False)
    return [Match(table.lines[i], 0.0, "keyword") for i in picks]


def match(
    tags: Sequence[Any], k: int = 3, seed: int | None = None, settings: Settings | None = None
) -> list[Match]:
    """``k`` distinct upper lines that fit the tags, best first.

    ``tags`` are (name, confidence) pairs or objects with ``.name`` and ``.confidence`` (vision.Tag).
    Raises BadTags for an empty or invalid tag list. The settings default to the environment's.
    """
    from couplet.resources import (
        get_badwords,
        get_corpus,
        get_encoder,
        get_keyword_index,
        get_vector_index,
    )

    settings = settings or Settings.from_env()
    words = parse_tags(tags)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise BadTags(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
    pool = k * POOL_PER_PICK
    synonyms, badwords = load_synonyms(), get_badwords(settings)
    lengths = (settings.match_min_len, settings.match_max_len)
    index = get_vector_index(settings)
    if index is None:
        table, keyword_index = get_corpus(settings), get_keyword_index(settings)

        def rank(ze_only: bool) -> list[Match]:
            return _keyword(words, keyword_index, table, synonyms, badwords, *lengths, ze_only, pool)
    else:
        table, encoder = index.table, get_encoder(settings)

        def encode(texts):
            from couplet.matching.encoder import embed

            return embed(encoder, texts)

        def rank(ze_only: bool) -> list[Match]:
            return _dense(words, index, encode, synonyms, badwords, *lengths, ze_only, pool)

    ranked = rank(True) if settings.match_prefer_ze else []
    if len(ranked) < pool:  # too few lines end on 仄: take the others after them
        seen = {m.upper for m in ranked}
        ranked += [m for m in rank(False) if m.upper not in seen]
    picks = draw(ranked, k, pool, seed)
    if len(picks) < k:
        seen = {m.upper for m in picks}
        picks += [m for m in _any_lines(table, k + len(seen), seed, *lengths) if m.upper not in seen][
            : k - len(picks)
        ]
    return sorted(picks, key=lambda m: -m.score)
