"""The synonym table: well formed, broad enough, and the concepts it defines."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from couplet.matching.synonyms import Synonyms, load_synonyms
from couplet.rules import is_hanzi

IMAGENET_ZH = Path(__file__).resolve().parents[2] / "vision" / "imagenet_zh.tsv"


def test_the_shipped_table_is_well_formed_and_large():
    table = load_synonyms()
    assert len(table.modern) >= 300
    for word, modern in table.modern.items():
        assert word and all(map(is_hanzi, word)), word
        assert modern and all(all(map(is_hanzi, m)) for m in modern), word
        assert word not in modern, f"{word} lists itself"


def test_it_reaches_the_nature_and_animal_tags_of_the_local_tagger():
    """Most scene words of the ImageNet table's nature themes are a classical word or a modern synonym."""
    table = load_synonyms()
    with IMAGENET_ZH.open(encoding="utf-8") as f:
        words = {
            row["zh"]
            for row in csv.DictReader(f, delimiter="\t")
            if row["theme"] in {"山", "水", "植物", "动物"}
        }
    known = {
        w for w in words if w in table.modern or w in table.classical or any(ch in table.modern for ch in w)
    }
    assert len(known) / len(words) > 0.8, sorted(words - known)


def test_concepts_map_modern_words_to_their_classical_forms():
    table = load_synonyms()
    assert {"月亮", "月"} <= table.concept("月亮")
    assert "犬" in table.concept("狗")
    assert "湖" in table.concept("湖泊")
    assert table.concept("不在表中") == frozenset({"不在表中"})


@pytest.mark.parametrize("text", ["月\n", "月\t\n", "月\t月亮\n月\t明月\n"])
def test_malformed_tables_are_refused(text):
    with pytest.raises(ValueError):
        Synonyms.parse(text)


def test_comments_and_blank_lines_are_skipped():
    table = Synonyms.parse("# note\n\n月\t月亮 明月\n")
    assert table.modern == {"月": ("月亮", "明月")}
    assert table.classical == {"月亮": ("月",), "明月": ("月",)}
