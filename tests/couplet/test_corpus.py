"""The corpus store: distinct upper lines with their lower lines, fields and postings, built once per train.tsv."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

import couplet.corpus
from core.settings import PROJECT_ROOT
from couplet.corpus import PackedLines, build_corpus, load_corpus
from couplet.rules import upper_ends_ze
from couplet.words import segment

PAIRS = [
    ("春风化雨山河秀", "秋夜烟川草木新"),
    ("海阔天空", "山高月小"),
    ("春风化雨山河秀", "桃李年辰海湖新"),
    ("春风，秋月", "夏雨，冬雪"),
    ("春风秋月", "夏雨冬雪"),
    ("春花秋月", "夏草冬雪"),
    ("春风秋雨冬雪", "夏日晚霞晨露"),
    ("春风", "秋雨"),
    ("年年有余", "岁岁平安"),
    ("年丰有余", "人寿年丰"),
    ("铁面包公官榜样", "清风明月人间情"),
    ("如果心花能结果", "何妨春雨不成田"),
    ("面包坚硬砖头软", "豆腐清香米饭甜"),
    ("果熟满枝头", "花开遍野田"),
]


def site(root: Path, pairs: list[tuple[str, str]] = PAIRS) -> tuple[Path, Path]:
    """(prepared folder holding train.tsv of ``pairs``, folder for the store)."""
    (root / "prepared").mkdir(parents=True, exist_ok=True)
    (root / "prepared" / "train.tsv").write_text("".join(f"{u}\t{d}\n" for u, d in pairs), encoding="utf-8")
    return root / "prepared", root / "corpus"


@pytest.fixture()
def corpus(tmp_path):
    return load_corpus(*site(tmp_path))


def test_distinct_lines_in_first_order_with_their_fields(corpus):
    uppers = list(dict.fromkeys(u for u, _ in PAIRS))
    assert list(corpus.lines) == uppers and len(corpus) == len(uppers)
    assert corpus.lengths.tolist() == [len(line) for line in uppers]
    assert corpus.ends_ze.tolist() == [upper_ends_ze(line, "").passed for line in uppers]
    mask = corpus.allowed(4, 6, True)
    assert mask.tolist() == [
        4 <= len(line) <= 6 and ze for line, ze in zip(uppers, corpus.ends_ze, strict=True)
    ]


def test_every_lower_line_of_an_upper_line_in_corpus_order(corpus):
    assert corpus.lowers_of(0) == ["秋夜烟川草木新", "桃李年辰海湖新"]
    assert [corpus.lowers_of(i) for i in range(1, len(corpus))] == [
        [d] for u, d in PAIRS if u != "春风化雨山河秀"
    ]


def test_find_ignores_punctuation_only(corpus):
    assert corpus.find("春风化雨山河秀") == [0]
    assert corpus.find("春风化雨，山河秀！") == [0]
    assert corpus.find("春风,秋月") == [
        2,
        3,
    ]  # the half-width comma too; two lines differ by their comma alone
    assert corpus.find("春风化雨山河美") == [] and corpus.find("春风化雨山河") == []


def test_nearest_is_the_same_length_line_sharing_most_distinct_characters(corpus):
    ids = {line: i for i, line in enumerate(corpus.lines)}
    assert corpus.nearest("春花秋水") == (ids["春花秋月"], 3)
    assert corpus.nearest("春风秋月") == (ids["春风秋月"], 4)
    assert corpus.nearest("春雨") == (ids["春风"], 1)  # 春风 is the only two-character line
    assert corpus.nearest("春风秋月冬雪") == (ids["春风秋雨冬雪"], 5)
    assert corpus.nearest("春雨，冬雪") == (ids["春风，秋月"], 1)  # the comma is not a shared character
    assert corpus.nearest("甲乙丙丁") == (-1, 0)  # same length, nothing shared
    assert corpus.nearest("春风秋") == (-1, 0)  # no line of that length
    assert corpus.nearest("，。，。，") == (-1, 0)
    # 年 counts once: 年年有余 shares {年, 有, 余} with both lines, and ties go to the first line.
    assert corpus.nearest("年年有余") == (ids["年年有余"], 3)
    assert corpus.nearest("岁丰有余") == (ids["年丰有余"], 3)


def test_character_postings_are_exact_and_ascending(corpus):
    for ch in "春风秋年甲":
        assert corpus.chars.get(ch).tolist() == [i for i, line in enumerate(corpus.lines) if ch in line]


def test_each_line_is_kept_with_its_own_words(corpus):
    for i, line in enumerate(corpus.lines):
        assert corpus.words_of(i) == segment(line)
    assert corpus.words_of(corpus.find("铁面包公官榜样")[0]) == ["铁面", "包公", "官", "榜样"]


def test_word_postings_hit_whole_words_only(corpus):
    ids = {line: i for i, line in enumerate(corpus.lines)}
    # 面包 straddles 铁面 / 包公 in the first line; it is a word of the second.
    assert corpus.words.get("面包").tolist() == [ids["面包坚硬砖头软"]]
    # 果 is inside 如果 and 结果 there: only the line where it stands alone says it.
    assert corpus.words.get("果").tolist() == [ids["果熟满枝头"]]
    assert corpus.chars.get("果").tolist() == sorted([ids["如果心花能结果"], ids["果熟满枝头"]])
    for word in ("春风", "秋月", "包公", "榜样"):
        assert corpus.words.get(word).tolist() == [
            i for i, line in enumerate(corpus.lines) if word in segment(line)
        ]
    assert corpus.words.get("，").tolist() == [] and corpus.words.get("鑫").tolist() == []


def test_every_line_has_its_register_and_mood(corpus):
    for scores in (corpus.jokey, corpus.melancholy, corpus.festive, corpus.devotional):
        assert scores.shape == (len(corpus),) and ((scores >= 0) & (scores <= 1)).all()


def test_the_arrays_are_read_only_maps(corpus):
    # Workers share one copy through the page cache: nothing is loaded into private memory.
    for array in (
        corpus.lines.blob,
        corpus.lowers.offsets,
        corpus.chars.ids,
        corpus.words.ids,
        corpus.key_hashes,
        corpus.ends_ze,
        corpus.jokey,
    ):
        assert isinstance(array, np.memmap) and array.flags.writeable is False


def test_build_is_a_no_op_until_the_corpus_or_the_format_changes(tmp_path, monkeypatch):
    prepared, folder = site(tmp_path)
    assert build_corpus(prepared, folder) is True
    stamp = (folder / "lines.npy").stat().st_mtime_ns
    assert build_corpus(prepared, folder) is False
    assert (folder / "lines.npy").stat().st_mtime_ns == stamp
    with open(prepared / "train.tsv", "a", encoding="utf-8") as f:
        f.write("明月松间照\t清泉石上流\n")
    assert build_corpus(prepared, folder) is True
    corpus = load_corpus(prepared, folder)
    assert corpus.lowers_of(corpus.find("明月松间照")[0]) == ["清泉石上流"]
    assert json.loads((folder / "meta.json").read_text())["lines"] == len(corpus)
    monkeypatch.setattr(couplet.corpus, "FORMAT", couplet.corpus.FORMAT + 1)
    assert build_corpus(prepared, folder) is True
    assert build_corpus(prepared, folder, force=True) is True
    # The register's inputs besides train.tsv: the elegant split (and the lexicon, stamped the same way).
    (prepared / "classic.tsv").write_text("云\t雨\t声律启蒙\n", encoding="utf-8")
    assert build_corpus(prepared, folder) is True
    assert build_corpus(prepared, folder) is False


def test_an_interrupted_build_is_redone(tmp_path):
    prepared, folder = site(tmp_path)
    build_corpus(prepared, folder)
    (folder / "meta.json").unlink()  # as if the process died before the last write
    assert build_corpus(prepared, folder) is True


def test_processes_racing_to_build_build_once(tmp_path):
    prepared, folder = site(tmp_path)
    with ProcessPoolExecutor(3, mp_context=get_context("fork")) as pool:
        built = list(pool.map(build_corpus, [prepared] * 3, [folder] * 3))
    assert sorted(built) == [False, False, True]
    assert list(load_corpus(prepared, folder).lines)[0] == "春风化雨山河秀"


def test_the_store_of_an_empty_corpus_is_empty(tmp_path):
    corpus = load_corpus(*site(tmp_path, []))
    assert len(corpus) == 0 and corpus.find("春风") == [] and corpus.nearest("春风") == (-1, 0)


def test_packed_lines_behave_like_a_list_of_str():
    lines = ["春风化雨", "", "山，水\u2028", "月"]
    packed = PackedLines.pack(lines)
    assert len(packed) == 4 and list(packed) == lines
    assert [packed[i] for i in range(4)] == lines and packed[-1] == "月" and packed[1:3] == lines[1:3]
    with pytest.raises(IndexError):
        packed[4]


SERVING = """
import shutil, sys
from dataclasses import replace
from pathlib import Path

from core.settings import Settings
import couplet
from couplet.matching import match
from couplet.resources import get_memory

root = Path(sys.argv[1])
settings = replace(Settings.from_env(), data_dir=root / "data", models_dir=root / "models", corpus_folder=None)
assert get_memory(settings).recall("春风化雨山河秀")
assert couplet.generate("春风化雨山河秀", n=2, settings=settings)
assert match([("春", 1.0)], k=1, settings=settings)
print(sorted(name for name in ("couplet.prepare", "couplet.fetch") if name in sys.modules))
"""


def test_the_serving_path_never_imports_prepare_or_fetch(tmp_path, tiny_model_dir):
    # A fresh process loads the memory, generates and matches (keyword fallback: no encoder here), lazy
    # imports included, and then looks at what it imported.
    site(tmp_path / "data")
    (tmp_path / "data" / "raw").mkdir()
    (tmp_path / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "generator").symlink_to(tiny_model_dir)
    done = subprocess.run(
        [sys.executable, "-c", SERVING, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
