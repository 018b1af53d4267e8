"""The hand-written ImageNet → Chinese table."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from core.errors import DataError
from vision.labels import TABLE_PATH, THEMES, load_table


def test_table_covers_all_1000_classes_with_chinese_words_and_known_themes():
    table = load_table()
    assert [label.index for label in table] == list(range(1000))
    assert all(label.zh and all("\u4e00" <= ch <= "\u9fff" for ch in label.zh) for label in table)
    assert {label.theme for label in table} <= THEMES
    # one word, one theme: merged tags must not disagree about their theme
    themes: dict[str, set[str]] = {}
    for label in table:
        themes.setdefault(label.zh, set()).add(label.theme)
    assert all(len(t) == 1 for t in themes.values())


def test_table_examples_from_the_issue():
    table = load_table()
    by_en = {label.name_en: label for label in table}
    assert all(table[i].zh == "狗" and table[i].theme == "动物" for i in range(151, 269))  # every dog breed
    assert (by_en["lakeside"].zh, by_en["lakeside"].theme) == ("湖", "水")
    assert (by_en["alp"].zh, by_en["alp"].theme) == ("山", "山")
    assert (table[0].wnid, table[999].wnid) == ("n01440764", "n15075141")
    assert (table[134].zh, table[517].zh) == ("鹤", "吊车")  # the two "crane" classes


def test_a_damaged_table_fails_loudly(tmp_path):
    lines = TABLE_PATH.read_text(encoding="utf-8").splitlines()
    short = tmp_path / "short.tsv"
    short.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="999 classes"):
        load_table(short)
    empty_word = tmp_path / "empty.tsv"
    empty_word.write_text(
        "\n".join([*lines[:5], lines[5].replace("\t鲨鱼\t", "\t\t"), *lines[6:]]) + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="empty Chinese word"):
        load_table(empty_word)


@pytest.mark.data
def test_table_matches_the_wnids_of_the_imagenet_samples():
    mirror = os.environ.get("COUPLET_DATA_MIRROR")
    if not mirror:
        pytest.skip("COUPLET_DATA_MIRROR is not set: this test reads images/imagenet-samples/labels.tsv")
    path = Path(mirror).expanduser() / "images" / "imagenet-samples" / "labels.tsv"
    if not path.exists():
        pytest.skip(f"{path} does not exist")
    with path.open(encoding="utf-8") as f:
        samples = {int(r["class_index"]): r["wnid"] for r in csv.DictReader(f, delimiter="\t")}
    assert {label.index: label.wnid for label in load_table()} == samples
