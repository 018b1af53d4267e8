"""char_bleu: character BLEU against any of several references."""

from __future__ import annotations

import pytest

from couplet.bleu import char_bleu


def test_char_bleu_identical_is_100() -> None:
    assert char_bleu(["海阔凭鱼跃", "天高任鸟飞"], [["海阔凭鱼跃"], ["天高任鸟飞"]]) == pytest.approx(100.0)


def test_char_bleu_matches_any_reference() -> None:
    hyps = ["秋月无边照九州", "春风得意马蹄疾"]
    refs = [["夏雨连绵润万物", "秋月无边照九州"], ["春风得意马蹄疾"]]  # ragged reference lists
    assert char_bleu(hyps, refs) == pytest.approx(100.0)
    only_first = char_bleu(hyps, [[r[0]] for r in refs])
    assert only_first < 100.0
    assert char_bleu(hyps, refs) > only_first


def test_char_bleu_more_references_never_lower() -> None:
    hyps = ["春风拂柳绿千条", "明月照松间清泉"]
    one = [["春风吹柳绿万条"], ["明月松间照流水"]]
    two = [["春风吹柳绿万条", "春雨拂花红千朵"], ["明月松间照流水", "清泉石上流"]]
    assert 0.0 < char_bleu(hyps, one) <= char_bleu(hyps, two) < 100.0


def test_char_bleu_disjoint_and_empty() -> None:
    assert char_bleu(["甲乙丙丁戊"], [["春夏秋冬风"]]) == 0.0
    assert char_bleu([], []) == 0.0
