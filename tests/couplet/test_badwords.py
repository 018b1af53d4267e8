"""The bad-word list: finding bad words, and the characters that would complete one (couplet/badwords.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from couplet.badwords import BadWords

WORDS = frozenset({"妖魔", "鬼怪", "屎", "大坏蛋"})


@pytest.fixture
def bad() -> BadWords:
    return BadWords(WORDS)


# --- find ------------------------------------------------------------------------------------------


def test_find_clean_text(bad: BadWords) -> None:
    assert bad.find("海阔凭鱼跃") is None
    assert bad.find("") is None
    assert bad.find("妖怪魔鬼") is None  # the characters, but not in order


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("妖魔", "妖魔"),
        ("山中有妖魔出没", "妖魔"),
        ("除尽鬼怪", "鬼怪"),  # at the very end
        ("屎", "屎"),  # single-character word
        ("春风屎雨", "屎"),
        ("一个大坏蛋", "大坏蛋"),
    ],
)
def test_find_bad_word(bad: BadWords, text: str, word: str) -> None:
    assert bad.find(text) == word


def test_find_returns_earliest_occurrence(bad: BadWords) -> None:
    assert bad.find("鬼怪与妖魔") == "鬼怪"
    assert bad.find("妖魔与鬼怪") == "妖魔"


def test_find_prefix_of_longer_word_is_not_a_match(bad: BadWords) -> None:
    assert bad.find("大坏") is None
    assert bad.find("坏蛋") is None


def test_find_overlapping_start(bad: BadWords) -> None:
    # 妖妖魔: the first 妖 does not start a match, the second does.
    assert bad.find("妖妖魔") == "妖魔"


# --- completions -----------------------------------------------------------------------------------


def test_completions_single_character_words_for_any_prefix(bad: BadWords) -> None:
    assert bad.completions("") == {"屎"}
    assert bad.completions("海阔凭鱼跃") == {"屎"}
    assert bad.completions("坏") == {"屎"}


def test_completions_finish_a_word(bad: BadWords) -> None:
    assert bad.completions("小妖") == {"魔", "屎"}
    assert bad.completions("鬼") == {"怪", "屎"}
    assert bad.completions("一个大坏") == {"蛋", "屎"}


def test_completions_after_a_complete_word(bad: BadWords) -> None:
    assert bad.completions("妖魔") == {"屎"}


def test_completions_only_look_at_the_end(bad: BadWords) -> None:
    assert bad.completions("妖风") == {"屎"}
    assert bad.completions("大坏人") == {"屎"}


def test_completions_agree_with_brute_force() -> None:
    words = frozenset({"甲乙", "乙丙丁", "丁", "丙丙丙丙", "甲乙丙"})
    bad = BadWords(words)
    alphabet = "甲乙丙丁戊"
    rng = random.Random(5)
    for _ in range(300):
        prefix = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        expected = {c for c in alphabet if any((prefix + c).endswith(w) for w in words)}
        assert bad.completions(prefix) == expected, prefix
        for c in expected:
            assert bad.find(prefix + c) is not None


def test_completions_with_kept_characters_after_agree_with_brute_force() -> None:
    words = frozenset({"甲乙", "乙丙丁", "丁", "丙丙丙丙", "甲乙丙"})
    bad = BadWords(words)
    alphabet = "甲乙丙丁戊"
    rng = random.Random(6)
    for _ in range(300):
        prefix = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
        suffix = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
        at = len(prefix)
        # a word that occurs in the whole text and covers the character's position
        expected = {
            c
            for c in alphabet
            if any((prefix + c + suffix).find(w, max(0, at - len(w) + 1), at + len(w)) != -1 for w in words)
        }
        assert bad.completions(prefix, suffix) == expected, (prefix, suffix)


def test_completions_see_the_word_a_character_would_start(bad: BadWords) -> None:
    assert bad.completions("", "魔") == {"妖", "屎"}
    assert bad.completions("大", "蛋") == {"坏", "屎"}
    assert bad.completions("", "坏蛋") == {"大", "屎"}


def test_empty_list() -> None:
    bad = BadWords(frozenset())
    assert bad.find("妖魔") is None
    assert bad.completions("") == set()
    assert bad.completions("妖") == set()


# --- load ------------------------------------------------------------------------------------------


def test_load_strips_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "badwords.txt"
    path.write_text("妖魔\n  鬼怪 \n\n   \n屎\n", encoding="utf-8")
    bad = BadWords.load(path)
    assert bad.words == frozenset({"妖魔", "鬼怪", "屎"})
    assert bad.find("鬼怪") == "鬼怪"
    assert bad == BadWords(frozenset({"屎", "鬼怪", "妖魔"}))
