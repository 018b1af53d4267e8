"""The shipped generator on real test lines: loads offline, obeys the rules, mostly ends on 平."""

from __future__ import annotations

import random

import pytest

from core.settings import Settings
from couplet.bleu import references_by_upper
from couplet.splits import read_split

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def shipped(prepared_real):
    from couplet.resources import get_generator

    settings = Settings.from_env()
    if not (settings.generator_dir / "model.safetensors").exists():
        pytest.skip(f"no shipped generator in {settings.generator_dir}")
    return get_generator(settings)


def test_shipped_weights_are_fp16_and_small():
    from safetensors.torch import load_file

    path = Settings.from_env().generator_dir / "model.safetensors"
    if not path.exists():
        pytest.skip(f"no shipped generator at {path}")
    assert path.stat().st_size <= 40 * 1024 * 1024
    assert {t.dtype.itemsize for t in load_file(path).values()} == {2}


def test_shipped_model_on_test_lines(shipped, prepared_real):
    uppers = sorted(references_by_upper(read_split(prepared_real, "test")))
    sample = random.Random(3).sample(uppers, 40)
    results = shipped.generate_batch(sample, n=3)
    ends_ping = 0
    for upper, candidates in zip(sample, results, strict=True):
        assert len(candidates) == 3
        for c in candidates:
            for rule in ("equal_length", "punctuation", "no_reuse", "repeats_mirrored"):
                assert c.rules[rule].passed, (upper, c.lower, rule)
        ends_ping += candidates[0].rules["lower_ends_ping"].passed
    assert ends_ping >= 36  # the benchmark measures the full split; 90% here leaves room for sampling noise


def test_public_api_generates(shipped):
    import couplet

    candidates = couplet.generate("海上生明月", n=2)
    assert [len(c.lower) for c in candidates] == [5, 5]
    assert all(ch not in "海上生明月" for c in candidates for ch in c.lower)
