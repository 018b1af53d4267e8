"""match(): upper lines for the tags of a photo.

Tags become one query vector (their embeddings weighted by confidence, scene and mood tags below
objects; a tag whose corpus lines do not picture it, 披萨 or 人, is queried as the words couplets say for it,
couplet.matching.standins); the index returns the nearest allowed lines, and the few lines that say every tag's concept
join them (the encoder ranks common concepts well but can miss a rare exact combination); each
candidate is re-scored by how many of the tags' concepts it says as whole words of its own segmentation
and by how much of it names things one can see (couplet.matching.imagery), less how jokey and how
melancholy it reads and, unless the tags ask for them, how festive and how devotional (the corpus store's
learnt scores, couplet.register), and less a penalty where its time of day contradicts the photo's (the
moon over a blue midday sky, couplet.matching.clash); a line that misreads a tag's word as other words,
straddling two of its words (面包 in 铁面|包公) or holding only a piece of it (面 in 四面荷花), is dropped.
MMR keeps the shortlist varied, and the k answers are drawn at random from the best of it (seeded). Without an index
or an encoder, the same concepts are counted over the store's word postings instead, so the app keeps
answering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from core.settings import Settings
from couplet.corpus import Corpus
from couplet.matching.clash import clashes, clashing
from couplet.matching.imagery import imagery
from couplet.matching.keyword import said_by, top, word_hits
from couplet.matching.query import BadTags, QueryWord, parse_tags
from couplet.matching.select import draw, mmr
from couplet.matching.standins import load_standins, stand_in
from couplet.matching.synonyms import Synonyms, load_synonyms
from couplet.matching.wordplay import word_games
from couplet.register import FLAG, load_lexicon
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
TOPIC_PENALTY = 0.25
"""Taken off times a topic score (festive, devotional) when no tag asks for the topic: as much as the
melancholy penalty, since a New Year, wedding or temple line is a good line on the wrong photo (辞旧岁 over
a snowy palace, 车销万辆 over a street, 佛光 over a pizza), not a bad one."""
TOPICS = ("festive", "devotional")
TEMPLE_TAGS = frozenset({"寺", "塔"})
"""Tags of a photo that shows a temple (a monastery, a stupa): devotional lines fit it."""
IMAGERY_WEIGHT = 0.5
"""Added times the line's imagery share (couplet.matching.imagery): a line wholly of things one can see
earns as much as one saying every tag's concept, so among lines that fit the tags the one that paints
the scene wins over a maxim or a jibe that only names them."""
CLASH_PENALTY = 0.25
"""Taken off a line whose time of day contradicts the photo's (couplet.matching.clash: the moon over a blue
midday sky): as much as a sure elegy loses, since the line may be fine verse, only not for this photo."""
MMR_INPUT = 60
"""MMR looks at the best this many candidates (its cost grows with the square; the draw needs 3k <= 30)."""
MMR_LAMBDA = 0.7
POOL_PER_PICK = 3
"""The k answers are drawn from the best k * POOL_PER_PICK lines after MMR."""


@dataclass(frozen=True)
class Match:
    upper: str
    score: float
    """Relevance: the concept-coverage bonus and the imagery bonus less the register penalties, plus the
    cosine similarity on the encoder path."""
    source: str
    """`encoder` or `keyword` (the fallback)."""
    jokey: float = 0.0
    """0..1, how jokey the line reads (jokes, insults, puns, sarcasm, slogans); flagged from register.FLAG."""
    melancholy: float = 0.0
    """0..1, how melancholy it reads (mourning, grief, loss); flagged from register.FLAG."""
    festive: float = 0.0
    """0..1, how much it is written for an occasion (festivals, weddings, shops …); flagged from register.FLAG."""
    devotional: float = 0.0
    """0..1, how much it is a temple's (Buddhist and Daoist figures and teaching); flagged from register.FLAG."""

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
            "festive": round(self.festive, 3),
            "devotional": round(self.devotional, 3),
        }


Concepts = list[tuple[frozenset[str], float]]
"""Each tag's concept (the tag and the classical words it stands for) with the tag's weight."""


def concepts_of(words: Sequence[QueryWord], synonyms: Synonyms) -> Concepts:
    return [(synonyms.concept(w.text), w.weight) for w in words]


def said_and_misread(table: Corpus, ids: np.ndarray, concepts: Concepts) -> tuple[np.ndarray, np.ndarray]:
    """Per line id: the weighted share of the concepts it says (one of their forms is a word of the line),
    and whether it misreads a tag, reading its word as other words: the word straddles two of the line's
    words (面包 in 铁面|包公), or the line holds only a piece of it (面 of 面包 in 四面荷花三面柳, 汉 of 汉堡 in
    出关逢汉壁): the encoder, which reads characters, ranks such lines near the tag. A piece that a tag says in
    its own right is not one: with 花 and 油菜花 both tagged, a line of 花 speaks of the photo."""
    said = np.zeros(len(ids), dtype=np.float32)
    misread = np.zeros(len(ids), dtype=bool)
    tagged = frozenset().union(*(forms for forms, _ in concepts))
    for forms, weight in concepts:
        says = _members(ids, said_by(forms, table))
        said += weight * says
        pieces = _pieces(forms) - tagged
        if not pieces:  # only a form of two or more characters can be misread
            continue
        for j in np.flatnonzero(~says & ~misread):
            line = table.lines[ids[j]]
            if any(form in line for form in forms):
                misread[j] = straddles(line, table.words_of(ids[j]), forms)
            else:
                misread[j] = any(ch in line for ch in pieces)
    return said, misread


def _pieces(forms: frozenset[str]) -> frozenset[str]:
    """The characters of a concept's longer forms that are not forms themselves (面, 包 of {面包}; none of
    {田野, 田, 野})."""
    return frozenset(ch for form in forms if len(form) > 1 for ch in form) - forms


def _members(ids: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """bool per id: whether it is in the ascending array."""
    if not len(ascending):
        return np.zeros(len(ids), dtype=bool)
    pos = np.minimum(np.searchsorted(ascending, ids), len(ascending) - 1)
    return ascending[pos] == ids


def asked_topics(names: Iterable[str]) -> frozenset[str]:
    """The topics the tag words ask for: festive lines for a tag that names an occasion (春节, 婚礼: a festive
    marker of couplet/register.tsv), devotional ones for a temple (寺, 塔) or a tag that names its teaching
    (禅)."""
    lexicon = load_lexicon()
    names = list(names)
    asked = {topic for topic in TOPICS for name in names if lexicon.marked(topic, name)}
    if TEMPLE_TAGS.intersection(names):
        asked.add("devotional")
    return frozenset(asked)


def _penalties(asked: frozenset[str]) -> dict[str, float]:
    """Signal (couplet.register.SIGNALS) -> what a score of 1 takes off; a topic (festive, devotional) only
    when the tags do not ask for it."""
    weights = {"jokey": JOKEY_PENALTY, "melancholy": MELANCHOLY_PENALTY}
    return weights | {topic: TOPIC_PENALTY for topic in TOPICS if topic not in asked}


def penalty(table: Corpus, ids: np.ndarray, asked: frozenset[str]) -> np.ndarray:
    """What the lines' register and mood (the store's learnt scores) take off their relevance."""
    out = np.zeros(len(ids), dtype=np.float32)
    for signal, weight in _penalties(asked).items():
        out += weight * table.fields[signal][ids].astype(np.float32)
    return out


def marked_penalty(tags: Sequence[Any], lines: Sequence[str]) -> np.ndarray:
    """float32 per line: ``penalty`` for lines the store holds no score for (the lower lines of a photo's
    couplets), from the register's markers alone: a marked line scores 1 in the store, so each signal that
    marks it takes its whole penalty (紫气东来 and 玉兔 festive, 拍马 jokey)."""
    lexicon = load_lexicon()
    weights = _penalties(asked_topics(w.text for w in parse_tags(tags)))
    return np.array(
        [sum(w for signal, w in weights.items() if lexicon.marked(signal, line)) for line in lines],
        dtype=np.float32,
    )


def pictured(table: Corpus, ids: np.ndarray, untimely: frozenset[str]) -> np.ndarray:
    """What the lines' imagery adds to their relevance, less the clash penalty where a line says a character
    that contradicts the photo (``untimely``, couplet.matching.clash) and the jokey penalty for a word game
    of sounds or order (couplet.matching.wordplay; counted line by line: for candidates only)."""
    lines = [table.lines[i] for i in ids]
    clash = clashes(lines, untimely)
    return IMAGERY_WEIGHT * imagery(lines) - CLASH_PENALTY * clash - JOKEY_PENALTY * word_games(lines)


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
    words, untimely, index, encode, synonyms, badwords, min_len, max_len, ze_only, n: int = MMR_INPUT
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, relevance) of the best ``n`` candidate lines without bad words or misread tags, best first:
    cosine similarity plus the concept-coverage bonus and the imagery bonus, less the register and clash
    penalties."""
    query, concepts = query_vector(words, encode), concepts_of(words, synonyms)
    ids, sims = index.search(query, CANDIDATES, min_len, max_len, ze_only)
    exact = concept_lines(concepts, index.table)
    exact = exact[index.table.allowed(min_len, max_len, ze_only)[exact]]
    if len(exact) <= EXACT_CAP:
        extra = np.setdiff1d(exact, ids)
        ids = np.concatenate([ids, extra])
        sims = np.concatenate([sims, index.vectors(extra) @ query if len(extra) else []])
    said, misread = said_and_misread(index.table, ids, concepts)
    relevance = (
        sims
        + COVERAGE_BONUS * said
        + pictured(index.table, ids, untimely)
        - penalty(index.table, ids, asked_topics(w.text for w in words))
    )
    return _best_clean(ids, relevance, misread, index.table, badwords, n)


def _best_clean(ids, relevance, misread, table: Corpus, badwords, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``n`` (ids, relevance) that misread no tag and hold no bad word, best first."""
    # The corpus is cleaned of bad words; this check is for words listed since, so only the best are read.
    keep = []
    for j in np.argsort(-relevance, kind="stable"):
        if len(keep) == n:
            break
        if not misread[j] and badwords.find(table.lines[ids[j]]) is None:
            keep.append(j)
    return ids[keep], relevance[keep]


def _dense(words, untimely, index, encode, synonyms, badwords, min_len, max_len, ze_only, n) -> list[Match]:
    ids, relevance = rescored(words, untimely, index, encode, synonyms, badwords, min_len, max_len, ze_only)
    if not len(ids):
        return []
    vectors = index.vectors(ids)
    order = mmr(relevance, vectors @ vectors.T, n, MMR_LAMBDA)
    return [_match(index.table, ids[j], float(relevance[j]), "encoder") for j in order]


def _match(table: Corpus, i: int, score: float, source: str) -> Match:
    scores = (float(table.fields[name][i]) for name in ("jokey", "melancholy", *TOPICS))
    return Match(table.lines[i], score, source, *scores)


def _keyword(words, untimely, table, synonyms, badwords, min_len, max_len, ze_only, n) -> list[Match]:
    concepts = concepts_of(words, synonyms)
    hits = word_hits(concepts, table)
    said = np.flatnonzero(hits)
    scores = np.zeros(len(table), dtype=np.float32)
    scores[said] = COVERAGE_BONUS * hits[said] - penalty(table, said, asked_topics(w.text for w in words))
    ids = top(scores, table.allowed(min_len, max_len, ze_only), CANDIDATES)
    _, misread = said_and_misread(table, ids, concepts)
    relevance = scores[ids] + pictured(table, ids, untimely)
    ids, relevance = _best_clean(ids, relevance, misread, table, badwords, MMR_INPUT)
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
    tagged = parse_tags(tags)
    # What contradicts the photo is read from its own tags, not from the stand-ins asked for them.
    untimely = clashing((w.text, w.kind) for w in tagged)
    words = stand_in(tagged, load_standins())
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise BadTags(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
    pool = k * POOL_PER_PICK
    synonyms, badwords = load_synonyms(), get_badwords(settings)
    lengths = (settings.match_min_len, settings.match_max_len)
    index = get_vector_index(settings)
    if index is None:
        table = get_corpus(settings)

        def rank(ze_only: bool) -> list[Match]:
            return _keyword(words, untimely, table, synonyms, badwords, *lengths, ze_only, pool)
    else:
        table, encoder = index.table, get_encoder(settings)

        def encode(texts):
            from couplet.matching.encoder import embed

            return embed(encoder, texts)

        def rank(ze_only: bool) -> list[Match]:
            return _dense(words, untimely, index, encode, synonyms, badwords, *lengths, ze_only, pool)

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
