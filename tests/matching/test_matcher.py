"""match(): both paths (vector index and keyword fallback) on a generated corpus."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from couplet.matching import BadTags, encode, match, matcher
from couplet.matching.matcher import POOL_PER_PICK, concept_lines, concepts_of, said_and_misread
from couplet.matching.query import parse_tags
from couplet.matching.synonyms import load_synonyms
from couplet.rules import upper_ends_ze, validate_upper
from couplet.words import segment
from vision.tags import Tag


def check_answers(matches, k, source):
    assert len(matches) == k and len({m.upper for m in matches}) == k
    for m in matches:
        assert validate_upper(m.upper) == m.upper
        assert 5 <= len(m.upper) <= 11 and "烟" not in m.upper
        assert m.source == source
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


@pytest.mark.parametrize("site", ["keyword_site", "indexed_site"])
def test_k_distinct_clean_lines_from_either_path(site, request):
    settings = request.getfixturevalue(site)
    source = "keyword" if site == "keyword_site" else "encoder"
    for k in (1, 3, 10):
        check_answers(match([("山", 0.9), ("月", 0.4)], k=k, seed=1, settings=settings), k, source)
    check_answers(match([Tag("江", 0.8, "local"), Tag("舟", 0.6, "local")], settings=settings), 3, source)


@pytest.mark.parametrize("site", ["keyword_site", "indexed_site"])
def test_same_seed_same_picks_and_no_seed_varies(site, request):
    settings = request.getfixturevalue(site)
    tags = [("山", 0.9)]
    assert match(tags, seed=3, settings=settings) == match(tags, seed=3, settings=settings)
    draws = {tuple(m.upper for m in match(tags, settings=settings)) for _ in range(10)}
    assert len(draws) > 1


def test_keywords_find_the_classical_word_for_a_modern_tag(keyword_site):
    """狗 is in no line, but the concept 狗 includes 犬."""
    matches = match([("狗", 1.0)], k=3, seed=0, settings=keyword_site)
    assert all("犬" in m.upper and m.score > 0 for m in matches)


def test_keyword_picks_hold_the_tag_and_prefer_lines_ending_on_ze(keyword_site, pairs):
    fitting = {u for u, _ in pairs if "湖" in u and 5 <= len(u) <= 11 and upper_ends_ze(u, "").passed}
    assert len(fitting) >= 3 * POOL_PER_PICK  # enough for the preference to hold
    matches = match([("湖", 1.0)], k=3, seed=0, settings=keyword_site)
    assert {m.upper for m in matches} <= fitting


def test_lines_say_the_weighted_share_of_concepts_they_hold_as_words(keyword_site):
    from couplet.resources import get_corpus

    table = get_corpus(keyword_site)
    concepts = concepts_of(parse_tags([("狗", 0.6), ("湖泊", 0.3), ("山", 0.1)]), load_synonyms())
    ids = np.arange(len(table))
    said, misread = said_and_misread(table, ids, concepts)
    for i in ids:
        words = set(segment(table.lines[i]))
        expected = sum(weight for forms, weight in concepts if forms & words)  # 狗 is said by 犬, 湖泊 by 湖
        assert said[i] == pytest.approx(expected)
    assert said.max() > 0 and not misread.any()


def test_whole_words_hit_and_a_tag_word_across_two_words_or_in_pieces_is_misread(mixed_site):
    from couplet.resources import get_corpus

    table = get_corpus(mixed_site[0])
    ids = np.arange(len(table))
    for tag, said_by, misread_by in (
        ("面包", "面包坚硬砖头软", ["铁面包公官榜样", "四面荷花三面柳"]),
        ("果", "果熟满枝头", []),  # 如果心花能结果 holds 果 inside two words: neither said nor misread
    ):
        said, misread = said_and_misread(table, ids, concepts_of(parse_tags([(tag, 1.0)]), load_synonyms()))
        assert [table.lines[i] for i in np.flatnonzero(said)] == [said_by]
        assert [table.lines[i] for i in np.flatnonzero(misread)] == misread_by


def test_a_piece_of_a_tag_that_another_tag_says_is_no_misreading(mixed_site):
    """With 油菜花 and 花 both tagged, flower lines fit the photo; here 面 beside 面包: 四面荷花三面柳 holds 面 as
    a piece, which the 面 tag asks for, while 铁面包公官榜样 still reads 面包 across two words."""
    from couplet.resources import get_corpus

    table = get_corpus(mixed_site[0])
    ids = np.arange(len(table))
    lines = [table.lines[i] for i in ids]
    alone = concepts_of(parse_tags([("面包", 1.0)]), load_synonyms())
    both = concepts_of(parse_tags([("面包", 1.0), ("面", 0.5)]), load_synonyms())
    misread_alone = {lines[i] for i in np.flatnonzero(said_and_misread(table, ids, alone)[1])}
    misread_both = {lines[i] for i in np.flatnonzero(said_and_misread(table, ids, both)[1])}
    assert "四面荷花三面柳" in misread_alone and "四面荷花三面柳" not in misread_both
    assert "铁面包公官榜样" in misread_both


def test_a_piece_of_a_tag_is_no_misreading_when_it_is_a_form_of_the_tag_itself():
    """田野 stands for 田 and 野 (synonyms.tsv): a line with 野 says the field, not a piece of its word."""
    from couplet.matching.matcher import _pieces

    forms = load_synonyms().concept("田野")
    assert {"田", "野"} <= forms and not _pieces(forms)
    assert _pieces(load_synonyms().concept("面包")) == {"面", "包"}


@pytest.mark.parametrize("path", ["keyword", "encoder"])
def test_a_line_that_misreads_the_tag_is_never_picked(mixed_site, path, monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(matcher, "load_standins", dict)  # 面包 itself, not the 佳肴 it stands in for
    site = mixed_site[0]
    settings = site if path == "encoder" else replace(site, models_dir=site.models_dir / "none")
    picks = [m.upper for seed in range(5) for m in match([("面包", 1.0)], k=10, seed=seed, settings=settings)]
    assert not {"铁面包公官榜样", "四面荷花三面柳"} & set(picks) and "面包坚硬砖头软" in picks


def test_the_encoder_path_rescores_by_concepts(indexed_site, pairs, monkeypatch):
    """With the re-scoring dominant, even an untrained encoder's picks all say the tag, as a word."""
    monkeypatch.setattr(matcher, "COVERAGE_BONUS", 10.0)
    for tag in ("梅", "雪", "湖"):
        fitting = {
            u for u, _ in pairs if tag in segment(u) and 5 <= len(u) <= 11 and upper_ends_ze(u, "").passed
        }
        assert len(fitting) >= 2 * POOL_PER_PICK  # the draw's pool holds only such lines
        matches = match([(tag, 1.0)], k=2, seed=0, settings=indexed_site)
        assert {m.upper for m in matches} <= fitting, (tag, matches)


@pytest.mark.parametrize("site", ["keyword_site", "indexed_site"])
def test_tags_no_line_mentions_still_get_k_lines(site, request):
    check_answers(
        match([("鑫", 0.5)], k=3, seed=2, settings=request.getfixturevalue(site)),
        3,
        "keyword" if site == "keyword_site" else "encoder",
    )


@pytest.mark.parametrize("k", [0, 11, 2.0, True])
def test_bad_k_raises(k, keyword_site):
    with pytest.raises(BadTags):
        match([("山", 1.0)], k=k, settings=keyword_site)


def test_encode_gives_unit_rows_or_explains_there_is_no_encoder(indexed_site, keyword_site):
    vectors = encode(["山", "明月照松间"], settings=indexed_site)
    assert vectors.dtype == np.float32 and vectors.shape[0] == 2
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(DataError, match="couplet matcher train"):
        encode(["山"], settings=keyword_site)


def test_concept_lines_are_the_lines_that_say_every_concept_as_words(keyword_site):
    from couplet.resources import get_corpus

    table = get_corpus(keyword_site)
    synonyms = load_synonyms()
    for tags in ([("山", 1.0)], [("山", 0.5), ("月", 0.5)], [("狗", 1.0), ("江", 1.0)], [("鑫", 1.0)]):
        concepts = concepts_of(parse_tags(tags), synonyms)
        ids = concept_lines(concepts, table)
        assert list(ids) == sorted(set(ids))
        saying = {
            i for i in range(len(table)) if all(forms & set(segment(table.lines[i])) for forms, _ in concepts)
        }
        assert saying == set(ids.tolist())


@pytest.mark.parametrize("path", ["keyword", "encoder"])
def test_scenic_tags_get_scenic_lines_not_jokes_that_spell_them(mixed_site, path, monkeypatch):
    from dataclasses import replace

    from couplet.resources import get_corpus

    site, jokey_lines, scenic_lines, _ = mixed_site
    table = get_corpus(site)
    for line in jokey_lines + scenic_lines:  # every one of them says both tags as words
        assert {"山", "云"} <= set(table.words_of(table.find(line)[0]))
    settings = site if path == "encoder" else replace(site, models_dir=site.models_dir / "none")
    tags = [Tag("山", 0.8, "local", kind="scene"), Tag("云", 0.6, "local", kind="scene")]
    picks = [m for seed in range(5) for m in match(tags, k=3, seed=seed, settings=settings)]
    assert all(m.source == path for m in picks)
    assert not {m.upper for m in picks} & set(jokey_lines)
    assert sum(m.upper in scenic_lines for m in picks) >= len(picks) // 2
    # Without the penalty the jokes still rank below the scenic lines for their want of imagery (吹牛山对云去
    # names two things, 山映竹云静 three of five characters) ...
    monkeypatch.setattr(matcher, "JOKEY_PENALTY", 0.0)
    for seed in range(5):
        picks = match(tags, k=10, seed=seed, settings=settings)
        jokes = [m.score for m in picks if m.upper in jokey_lines]
        assert min(m.score for m in picks if m.upper in scenic_lines) > max(jokes, default=-1.0)
    # ... and without either, the jokes that spell the tags are as good as the scenic lines.
    monkeypatch.setattr(matcher, "IMAGERY_WEIGHT", 0.0)
    neither = [m for seed in range(5) for m in match(tags, k=3, seed=seed, settings=settings)]
    assert any(m.upper in jokey_lines and m.register == "jokey" for m in neither)


@pytest.mark.parametrize("path", ["keyword", "encoder"])
def test_festive_and_temple_lines_lose_unless_the_tags_ask_for_them(mixed_site, path):
    from dataclasses import replace

    from couplet.resources import get_corpus

    site, _, scenic_lines, topical_lines = mixed_site
    table = get_corpus(site)
    topical = np.array([table.find(line)[0] for line in topical_lines])
    assert ((table.festive[topical] >= 0.5) | (table.devotional[topical] >= 0.5)).all()  # each holds a marker
    ids = np.concatenate([topical, [table.find(line)[0] for line in scenic_lines]])
    lost = matcher.penalty(table, ids, frozenset()) - matcher.penalty(table, ids, frozenset(matcher.TOPICS))
    topic_scores = table.festive[ids].astype(np.float32) + table.devotional[ids].astype(np.float32)
    assert lost == pytest.approx(matcher.TOPIC_PENALTY * topic_scores)
    settings = site if path == "encoder" else replace(site, models_dir=site.models_dir / "none")
    scene = [Tag("山", 0.8, "local", kind="scene"), Tag("云", 0.6, "local", kind="scene")]
    picks = {m.upper for seed in range(5) for m in match(scene, k=3, seed=seed, settings=settings)}
    assert not picks & set(topical_lines)
    assert matcher.asked_topics(t.name for t in scene) == frozenset()
    assert matcher.asked_topics(["新春", "山"]) == {"festive"}
    assert matcher.asked_topics(["寺"]) == {"devotional"} == matcher.asked_topics(["禅"])


def test_a_marked_line_outside_the_store_takes_the_penalty_of_each_signal_that_marks_it():
    """A lower line has no learnt score; a marker scores 1 in the store, so it costs the whole penalty."""
    lines = [
        "紫气东来燕赵春",
        "拍马溜羊喜叫牛",
        "明月当空恨月圆",
        "细雨轻敲野径花",
    ]  # festive, jokey, melancholy
    scenic = matcher.marked_penalty([("山", 0.9), ("云", 0.5)], lines)
    assert scenic.tolist() == pytest.approx(
        [matcher.TOPIC_PENALTY, matcher.JOKEY_PENALTY, matcher.MELANCHOLY_PENALTY, 0.0]
    )
    assert matcher.marked_penalty([("新春", 0.9)], lines[:1]).tolist() == [0.0]  # the tags ask for it
    assert matcher.marked_penalty([("山", 0.9)], []).shape == (0,)
