"""The words of a line: jieba's segmentation without HMM (as couplet.measures reads lines), and what counts
as a line saying a word.

A tag's word is said by a line only when it is one of the line's own words: 面包 is not said by
铁面包公官榜样 (铁面 / 包公 / 官 / 榜样), where it straddles two words, nor 果 by 如果心花能结果, where it is
part of 如果 and 结果. The corpus store keeps each line's segmentation as a bitmask of word ends, worked
out once at build time (`word_ends`), and `words` reads the words back from it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import jieba

MAX_LINE = 32
"""Lines longer than this have no bitmask of word ends (a uint32); the store's lines are 1–32 characters."""


def segment(line: str) -> list[str]:
    """jieba's words of the line, punctuation as words of its own, without HMM: the dictionary's words only,
    so a run of characters it does not know stays single characters."""
    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut(line, HMM=False)


def word_ends(line: str) -> int:
    """Bit i set when a word of the line ends with its i-th character (0-based)."""
    if len(line) > MAX_LINE:
        raise ValueError(f"a line of {len(line)} characters has no word-end mask (at most {MAX_LINE})")
    mask, end = 0, 0
    for word in segment(line):
        end += len(word)
        mask |= 1 << (end - 1)
    return mask


def words(line: str, ends: int) -> list[str]:
    """The line cut where ``ends`` (from `word_ends`) says its words end."""
    out, start = [], 0
    for i in range(len(line)):
        if ends >> i & 1:
            out.append(line[start : i + 1])
            start = i + 1
    return out


def straddles(line: str, line_words: Iterable[str], forms: Iterable[str]) -> bool:
    """True when a form of a concept occurs in the line only across a boundary of its words (面包 in
    铁面|包公) and no form is a word of the line. A single character never straddles; inside a longer
    word (果 in 如果) it is simply not said."""
    line_words = list(line_words)
    if set(forms) & set(line_words):
        return False
    starts, pos = set(), 0
    for word in line_words:
        starts.add(pos)
        pos += len(word)
    starts.add(pos)
    for form in forms:
        at = line.find(form)
        while at >= 0:
            end = at + len(form)
            # Crossing a boundary: a word starts strictly inside the occurrence.
            if any(at < s < end for s in starts):
                return True
            at = line.find(form, at + 1)
    return False
