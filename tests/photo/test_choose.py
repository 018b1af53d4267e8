"""Choosing the candidate to draw first: one score (fit, line quality), variety, and the pipeline's use."""

from __future__ import annotations

import pytest
from photos import encode, scene

from couplet.rules import Couplet
from photo import pipeline
from photo.choose import LINE_WEIGHT, Option, RecentPicks, photo_seed, ranked, score


def option(upper: str, fit: float, line: float) -> Option:
    return Option(Couplet(upper, "下" * len(upper), "四字横批"), fit, line)


def test_the_score_adds_fit_and_weighted_line_quality():
    good_fit_poor_line = option("山山山", fit=0.9, line=-1.2)
    fair_fit_good_line = option("水水水", fit=0.8, line=-0.4)
    assert score(fair_fit_good_line) == pytest.approx(0.8 - 0.4 * LINE_WEIGHT)
    order = ranked([good_fit_poor_line, fair_fit_good_line], RecentPicks())
    assert [c.upper for c in order] == ["水水水", "山山山"]  # 0.7 against 0.6


def test_a_line_drawn_first_lately_goes_after_the_others_while_it_is_remembered():
    recent = RecentPicks(size=2)
    leader, other = option("春春春", 0.90, -0.5), option("秋秋秋", 0.6, -0.5)
    assert [c.upper for c in ranked([leader, other], recent)] == ["春春春", "秋秋秋"]
    recent.add("春春春")
    assert [c.upper for c in ranked([leader, other], recent)] == ["秋秋秋", "春春春"]  # still offered
    recent.add("甲甲甲")
    recent.add("乙乙乙")  # the memory is short: 春春春 has left it
    assert "春春春" not in recent and ranked([leader, other], recent)[0].upper == "春春春"
    recent.clear()
    assert "乙乙乙" not in recent


def test_a_lower_line_the_register_marks_costs_its_couplet_the_penalty():
    festive_answer = Option(Couplet("山山山", "紫气东来", "四字横批"), 0.9, -0.4, lower_penalty=0.25)
    plain = option("水水水", fit=0.8, line=-0.4)
    assert score(festive_answer) == pytest.approx(0.9 - 0.25 - 0.4 * LINE_WEIGHT)
    assert [c.upper for c in ranked([festive_answer, plain], RecentPicks())] == ["水水水", "山山山"]


def test_a_couplet_that_contradicts_the_photo_goes_last_even_when_it_scores_best_or_was_drawn_lately():
    recent = RecentPicks()
    moonlit = Option(Couplet("山山山", "月月月", "四字横批"), fit=0.9, line=-0.2, clashes=True)
    plain, repeated = option("水水水", 0.5, -0.8), option("云云云", 0.4, -0.8)
    recent.add("云云云")
    assert [c.upper for c in ranked([moonlit, plain, repeated], recent)] == ["水水水", "云云云", "山山山"]


def test_the_pipeline_marks_the_candidates_the_photo_contradicts(site_settings, monkeypatch):
    """Under a blue midday sky (a 天空 tag) a candidate that names the moon or dusk in either line or the 横批
    is marked, and the others are not (岁月, the years, is not the moon); each carries its lower line's
    register penalty."""
    from couplet.matching.clash import NIGHT, clash
    from couplet.matching.matcher import marked_penalty
    from vision.tags import Tag

    class DayTagger:
        def tag(self, data: bytes) -> list[Tag]:
            return [Tag("山", 0.9, "local"), Tag("天空", 0.9, "local", kind="scene")]

    seen: list[Option] = []

    def ranking(options, recent):
        seen.extend(options)
        return ranked(options, recent)

    monkeypatch.setattr(pipeline, "get_tagger", lambda settings: DayTagger())
    monkeypatch.setattr(pipeline, "ranked", ranking)
    pipeline.create(encode(scene((640, 480))), site_settings)
    assert len(seen) == 3
    for o in seen:
        text = " ".join((o.couplet.upper, o.couplet.lower, o.couplet.horizontal))
        assert o.clashes == clash(text, NIGHT), text
        assert o.lower_penalty == pytest.approx(marked_penalty(DayTagger().tag(b""), [o.couplet.lower])[0])


def test_the_seed_is_the_photos_own():
    a, b = encode(scene((640, 480))), encode(scene((640, 480), marker=True))
    assert photo_seed(a) == photo_seed(a) != photo_seed(b)
    assert 0 <= photo_seed(a) < 2**63


def test_the_pipeline_draws_the_best_candidate_and_the_same_photo_gets_the_same_lines(site_settings):
    data = encode(scene((800, 600)), quality=90)
    first = pipeline.create(data, site_settings)
    again = pipeline.create(data, site_settings)
    assert {c.upper for c in first.candidates} == {c.upper for c in again.candidates}
    assert len(first.candidates) == 3
    assert first.candidates[0].upper in pipeline.RECENT_PICKS
