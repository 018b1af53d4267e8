"""A 横批 (the horizontal scroll over a couplet) written for the couplet, beside classic ones.

Candidates are four-character lines the generator writes from the couplet's own words (its ``write`` task,
with no tone asked of the last character); one that says a word of the couplet again is left out. They
are ranked by the matcher's encoder (the cosine between candidate and couplet) plus the model's
confidence, and alternate with the best classic ones (data/horizontals.tsv, which the photo path draws
from), a written one first; a model not trained to write gives classic ones only.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from pathlib import Path

import numpy as np

from core.errors import DataError
from core.lazy import resource
from core.settings import Settings
from couplet.model.tasks import content_words
from couplet.resources import get_badwords, get_generator

TABLE = Path(__file__).resolve().parent / "data" / "horizontals.tsv"
LENGTH = 4
ROWS = 8  # beam rows per keyword set
KEYWORD_SETS = 4  # one search per word of the couplet, the longest words first
W_MODEL = 0.1  # per-character log-probability (about -1 to -3) against a cosine (about 0.2 to 0.8)


@dataclass(frozen=True)
class Banner:
    text: str
    score: float
    source: str  # "model" (written for the couplet) or "table"


@dataclass(frozen=True)
class Classic:
    """A classic 横批 of the table."""

    text: str
    theme: str
    """The vision theme it suits (吉祥: any)."""
    occasion: str
    """The occasion it is written for (a wedding, a new shop, the Spring Festival …), empty for any."""


@cache
def load_table(path: Path = TABLE) -> tuple[Classic, ...]:
    """The classic 横批, in the table's order."""
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return tuple(Classic(row["horizontal"], row["theme"], row["occasion"]) for row in rows)


def repeats_words(banner: str, upper: str, lower: str) -> bool:
    """Whether a 横批 says a word of the couplet again: two of its characters in a row (琼楼 of 琼楼玉宇 under
    玉宇琼楼天尺五)."""
    text = upper + lower
    return any(banner[i : i + 2] in text for i in range(len(banner) - 1))


def repeats_couplet(banner: str, upper: str, lower: str) -> bool:
    """Whether a written 横批 says again what the couplet says: a word of it, or more than one of its
    characters anywhere in the lines."""
    return repeats_words(banner, upper, lower) or len(set(banner) & set(upper + lower)) > 1


def banners(
    upper: str,
    lower: str,
    n: int,
    settings: Settings,
    avoid: frozenset[str] = frozenset(),
    context: Sequence[str] = (),
) -> list[Banner]:
    """Up to ``n`` 横批 for a couplet (already validated), best first, none of ``avoid``. ``context``: words
    the 横批 is written from and ranked against besides the couplet's own (an occasion such as 春节, a
    photo's tags)."""
    generator = get_generator(settings)
    badwords = get_badwords(settings)

    def allowed(text: str) -> bool:
        return text not in avoid and not repeats_couplet(text, upper, lower) and badwords.find(text) is None

    written: dict[str, float] = {}
    if generator.writes:
        words = sorted(dict.fromkeys(content_words(upper) + content_words(lower)), key=len, reverse=True)
        words = list(dict.fromkeys([*context, *words]))[: len(context) + KEYWORD_SETS] or [upper[0]]
        sets = [[w] for w in words]
        for lines in generator.write_lines(sets, LENGTH, ROWS, ends_ze=False):
            for text, model_score in lines:
                if allowed(text):
                    written[text] = max(written.get(text, -np.inf), model_score)
    query = " ".join([*context, upper, lower])
    model_prior = np.asarray([W_MODEL * s for s in written.values()], dtype=np.float32)
    table_fit = np.zeros(len(load_table()), dtype=np.float32)
    try:
        from couplet.matching import encode

        vectors = encode([query, *written], settings=settings)
        model_prior = model_prior + vectors[1:] @ vectors[0]
        table_fit = table_vectors(settings) @ vectors[0]
    except DataError:  # no encoder shipped: the model's confidence (or the table's order) alone
        pass
    ours = _ranked(list(written), model_prior, "model")
    usable = [k for k, row in enumerate(load_table()) if allowed(row.text)]
    classic = _ranked([load_table()[k].text for k in usable], table_fit[usable], "table")
    # Blind reviews found neither kind better on text couplets (acceptable 23% written, 18% classic; the
    # written fit better, the classic read better), so they alternate, a written one first.
    alternating = [b for pair in zip_longest(ours, classic) for b in pair if b is not None]
    return alternating[:n]


@resource
def table_vectors(settings: Settings) -> np.ndarray:
    """The classic 横批 embedded once per process, in the table's order (DataError without an encoder)."""
    from couplet.matching import encode

    return encode([row.text for row in load_table()], settings=settings)


def _ranked(texts: list[str], scores: np.ndarray, source: str) -> list[Banner]:
    order = np.argsort(-scores, kind="stable")
    return [Banner(texts[i], float(scores[i]), source) for i in order]
