"""The shipped encoder on a slice of the real corpus (needs the data mirror: marker `data`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors import safe_open

from core.settings import Settings
from couplet.matching import encode, match
from couplet.matching.keyword import KeywordIndex, top

pytestmark = pytest.mark.data


def test_the_shipped_encoder_is_small_fp16_and_documented():
    path = Settings.from_env().matcher_dir
    if not (path / "model.safetensors").exists():
        pytest.skip(f"no shipped encoder in {path}")
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    assert size <= 20 * 2**20
    with safe_open(path / "model.safetensors", "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}  # noqa: SIM118 - not a dict
    assert json.loads((path / "training.json").read_text())["steps"] > 0


def test_modern_words_land_near_their_classical_words(real_site):
    vectors = encode(["月亮", "明月照松间", "湖泊", "平湖秋色", "小狗", "黄犬守柴门"], settings=real_site)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 3] and sims[2, 3] > sims[2, 1] and sims[4, 5] > sims[4, 1]


def test_modern_tags_reach_lines_that_keywords_miss(real_site):
    """Tags in modern words: the matcher's picks say the concept; plain keyword matching on the tag's
    own characters finds it less often."""
    from couplet.resources import get_corpus

    table = get_corpus(real_site)
    keywords = KeywordIndex(table.lines)
    allowed = table.allowed(5, 11, False)
    concepts = {
        "月亮": "月",
        "湖泊": "湖",
        "小狗": "犬狗",
        "树木": "树木林",
        "山峰": "山峰岭",
        "天空": "天空",
    }
    ours = keyword = 0
    for tag, forms in concepts.items():
        picks = match([(tag, 1.0)], k=10, seed=0, settings=real_site)
        assert all(m.source == "encoder" for m in picks)
        ours += sum(any(ch in m.upper for ch in forms) for m in picks)
        keyword += sum(
            any(ch in table.lines[i] for ch in forms) for i in top(keywords.hits(tag), allowed, 10)
        )
    assert ours >= 0.8 * 10 * len(concepts) and ours >= keyword
