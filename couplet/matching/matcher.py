"""match(): upper lines for the tags of a photo.

Tags become one query vector (their embeddings weighted by confidence, scene and mood tags below
objects); the index returns the nearest allowed lines, and the few lines that say every tag's concept
join them (the encoder ranks common concepts well but can miss a rare exact combination); each
candidate is re-scored by how many of the tags' concepts it says as whole words of its own segmentation,
less how jokey and how melancholy it reads (the corpus store's learnt scores, couplet.register); a line
in which a tag's word only straddles two of its words (面包 in 铁面|包公) is dropped. MMR keeps the
shortlist varied, and the k answers are drawn at random from the best of it (seeded). Without an index
or an encoder, the same concepts are counted over the store's word postings instead, so the app keeps
answering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from core.settings import Settings
from couplet.corpus import Corpus
from couplet.matching.keyword import said_by, top, word_hits
from couplet.matching.query import BadTags, QueryWord, parse_tags
from couplet.matching.select import draw, mmr
from couplet.matching.synonyms import Synonyms, load_synonyms
from couplet.register import FLAG
from couplet.words import straddles

MAX_K = 10
CANDIDATES = 200
"""Lines fetched before re-scoring: enough that bad words and near-duplicates can be dropped."""
EXACT_CAP = 1000
"""Lines that could say every concept join the candidates when there are at most this many."""
COVERAGE_BONUS = 0.5
"""Added to the cosine similarity for a line that says every tag's concept (in proportion for some)."""
JOKEY_PENALTY = 0.5
"""Taken off a line's relevance times its jokey score: as much as saying every concept earns, so a pun,
an insult or a slogan cannot win by spelling the tags."""
MELANCHOLY_PENALTY = 0.25
"""Taken off times the melancholy score: half as much, since a rainy or autumn photo may bear a wistful
line, but an elegy should never be the default."""
MMR_INPUT = 60
"""MMR looks at the best this many candidates (its cost grows with the square; the draw needs 3k <= 30)."""
MMR_LAMBDA = 0.7
POOL_PER_PICK = 3
"""The k answers are drawn from the best k * POOL_PER_PICK lines after MMR."""


@dataclass(frozen=True)
class Match:
    upper: str
    score: float
    """Relevance: the concept-coverage bonus less the jokey and melancholy penalties, plus the cosine
    similarity on the encoder path."""
    source: str
    """`encoder` or `keyword` (the fallback)."""
    jokey: float = 0.0
    """0..1, how jokey the line reads (jokes, insults, puns, sarcasm, slogans); flagged from register.FLAG."""
    melancholy: float = 0.0
    """0..1, how melancholy it reads (mourning, grief, loss); flagged from register.FLAG."""

    @property
    def register(self) -> str:
        return "jokey" if self.jokey >= FLAG else "elegant"

    @property
    def mood(self) -> str:
        return "melancholy" if self.melancholy >= FLAG else "positive"

    def to_dict(self) -> dict:
        return {
            "upper": self.upper,
            "score": round(self.score, 4),
            "source": self.source,
            "register": self.register,
            "jokey": round(self.jokey, 3),
            "mood": self.mood,
            "melancholy": round(self.melancholy, 3),
        }


Concepts = list[tuple[frozenset[str], float]]
"""Each tag's concept (the tag and the classical words it stands for) with the tag's weight."""


def concepts_of(words: Sequence[QueryWord], synonyms: Synonyms) -> Concepts:
    return [(synonyms.concept(w.text), w.weight) for w in words]


def said_and_straddled(table: Corpus, ids: np.ndarray, concepts: Concepts) -> tuple[np.ndarray, np.ndarray]:
    """Per line id: the weighted share of the concepts it says (one of their forms is a word of the line),
    and whether a concept's word only straddles two of its words (such a line reads as a pun on the tag:
    面包 in 铁面|包公)."""
    said = np.zeros(len(ids), dtype=np.float32)
    straddling = np.zeros(len(ids), dtype=bool)
    for forms, weight in concepts:
        says = _members(ids, said_by(forms, table))
        said += weight * says
        # Only a form of two or more characters can straddle, and only in a line holding all of them.
        for form in (f for f in forms if len(f) > 1):
            holds = _members(ids, reduce(_intersect, [table.chars.get(ch) for ch in set(form)]))
            for j in np.flatnonzero(holds & ~says & ~straddling):
                straddling[j] = straddles(table.lines[ids[j]], table.words_of(ids[j]), forms)
    return said, straddling


def _members(ids: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """bool per id: whether it is in the ascending array."""
    if not len(ascending):
        return np.zeros(len(ids), dtype=bool)
    pos = np.minimum(np.searchsorted(ascending, ids), len(ascending) - 1)
    return ascending[pos] == ids


def penalty(table: Corpus, ids: np.ndarray) -> np.ndarray:
    """What the lines' register and mood take off their relevance."""
    jokey, melancholy = table.jokey[ids].astype(np.float32), table.melancholy[ids].astype(np.float32)
    return JOKEY_PENALTY * jokey + MELANCHOLY_PENALTY * melancholy


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
    """Ascending ids of the lines that say every concept (one of its forms is a word of the line)."""
    return reduce(_intersect, [said_by(forms, table) for forms, _ in concepts])


def rescored(
    words, index, encode, synonyms, badwords, min_len, max_len, ze_only, n: int = MMR_INPUT
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, relevance) of the best ``n`` candidate lines without bad words or straddled tag words, best
    first: cosine similarity plus the concept-coverage bonus, less the jokey and melancholy penalties."""
    query, concepts = query_vector(words, encode), concepts_of(words, synonyms)
    ids, sims = index.search(query, CANDIDATES, min_len, max_len, ze_only)
    exact = concept_lines(concepts, index.table)
    exact = exact[index.table.allowed(min_len, max_len, ze_only)[exact]]
    if len(exact) <= EXACT_CAP:
        extra = np.setdiff1d(exact, ids)
        ids = np.concatenate([ids, extra])
        sims = np.concatenate([sims, index.vectors(extra) @ query if len(extra) else []])
    said, straddling = said_and_straddled(index.table, ids, concepts)
    relevance = sims + COVERAGE_BONUS * said - penalty(index.table, ids)
    return _best_clean(ids, relevance, straddling, index.table, badwords, n)


def _best_clean(ids, relevance, straddling, table: Corpus, badwords, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``n`` (ids, relevance) that straddle no tag word and hold no bad word, best first."""
    # The corpus is cleaned of bad words; this check is for words listed since, so only the best are read.
    keep = []
    for j in np.argsort(-relevance, kind="stable"):
        if len(keep) == n:
            break
        if not straddling[j] and badwords.find(table.lines[ids[j]]) is None:
            keep.append(j)
    return ids[keep], relevance[keep]


def _dense(words, index, encode, synonyms, badwords, min_len, max_len, ze_only, n) -> list[Match]:
    ids, relevance = rescored(words, index, encode, synonyms, badwords, min_len, max_len, ze_only)
    if not len(ids):
        return []
    vectors = index.vectors(ids)
    order = mmr(relevance, vectors @ vectors.T, n, MMR_LAMBDA)
    return [_match(index.table, ids[j], float(relevance[j]), "encoder") for j in order]


def _match(table: Corpus, i: int, score: float, source: str) -> Match:
    return Match(table.lines[i], score, source, float(table.jokey[i]), float(table.melancholy[i]))


def _keyword(words, table, synonyms, badwords, min_len, max_len, ze_only, n) -> list[Match]:
    concepts = concepts_of(words, synonyms)
    hits = word_hits(concepts, table)
    said = np.flatnonzero(hits)
    scores = np.zeros(len(table), dtype=np.float32)
    scores[said] = COVERAGE_BONUS * hits[said] - penalty(table, said)
    ids = top(scores, table.allowed(min_len, max_len, ze_only), CANDIDATES)
    _, straddling = said_and_straddled(table, ids, concepts)
    ids, relevance = _best_clean(ids, scores[ids], straddling, table, badwords, MMR_INPUT)
    if not len(ids):
        return []
    lines = [table.lines[i] for i in ids]
    order = mmr(relevance / relevance.max(), char_similarity(lines), n, MMR_LAMBDA)
    return [_match(table, ids[j], float(relevance[j]), "keyword") for j in order]


def _any_lines(table: Corpus, k: int, seed: int | None, min_len: int, max_len: int) -> list[Match]:
    """Lines drawn at random, for tags that no line says anything about: unflagged ones where there are."""
    allowed = table.allowed(min_len, max_len, False)
    unflagged = allowed & (table.jokey < FLAG) & (table.melancholy < FLAG)
    pool = np.flatnonzero(unflagged if unflagged.any() else allowed)
    picks = np.random.default_rng(seed).choice(pool, size=min(k, len(pool)), replace=False)
    return [_match(table, i, 0.0, "keyword") for i in picks]


def match(
    tags: Sequence[Any], k: int = 3, seed: int | None = None, settings: Settings | None = None
) -> list[Match]:
    """``k`` distinct upper lines that fit the tags, best first.

    ``tags`` are (name, confidence) pairs, (name, confidence, kind) triples or objects with ``.name``,
    ``.confidence`` and optionally ``.kind`` (vision.Tag): scene and mood tags weigh less than objects.
    Raises BadTags for an empty or invalid tag list. The settings default to the environment's.
    """
    from couplet.resources import get_badwords, get_corpus, get_encoder, get_vector_index

    settings = settings or Settings.from_env()
    words = parse_tags(tags)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise BadTags(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
    pool = k * POOL_PER_PICK
    synonyms, badwords = load_synonyms(), get_badwords(settings)
    lengths = (settings.match_min_len, settings.match_max_len)
    index = get_vector_index(settings)
    if index is None:
        table = get_corpus(settings)

        def rank(ze_only: bool) -> list[Match]:
            return _keyword(words, table, synonyms, badwords, *lengths, ze_only, pool)
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
