"""How jokey, how melancholy, how festive and how devotional a line reads: four scores for every corpus
line, learnt once per corpus.

- ``jokey``: jokes, insults, puns and word games, sarcasm, slogans and forum chatter, against the scenic,
  festive or reflective lines a photo wants;
- ``melancholy``: mourning, grief and loss, against the rest;
- ``festive``: written for an occasion (the Spring Festival and its zodiac year, a wedding, a birthday, a
  new shop or home, an exam, a national day and praise of the times), against lines of a scene or a
  thought: a photo of a landscape wants the latter, a festival the former;
- ``devotional``: a temple's couplet (Buddhist and Daoist figures and teaching: 佛光, 菩提, 六根), against
  the rest: it fits a photo of a temple, not any old building.

All are learnt the same way (`fit`), from the corpus itself, when the corpus store is built:

1. Seeds. A line holding one of the signal's markers (register.tsv: a small lexicon by kind of word) is a
   positive seed; for ``jokey`` so is a word game (a character three times in one clause: 天天在天上,
   水车车水车车水; or a line that reads the same backwards). Every other line, and both lines of every
   classic couplet (the elegant set, prepared/classic.tsv), is a negative seed.
2. A logistic regression over each line's characters and character bigrams learns the seeds with the
   markers' own n-grams hidden from it, so that it learns what else marked lines say (the 国, 民, 富路 of
   slogans) and reaches lines that hold no marker.
3. A line's score is 1 when it holds a marker (or is a word game), else the regression's probability.

A score of `FLAG` or more flags the line. README ("Line register and mood") says how this was chosen and
what it gets right on hand-labelled lines.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit

from couplet.rules import is_punct

LEXICON = Path(__file__).with_name("register.tsv")
SIGNALS = ("jokey", "melancholy", "festive", "devotional")
FLAG = 0.5
"""A line whose score is at least this is flagged (a marker always is)."""
MIN_COUNT = 5
"""An n-gram is a feature when it occurs this often in the training lines: rarer ones only add noise."""
L2 = 1.0
MAX_ITER = 200
GAME_REPEATS = 3
"""A character this often in one clause makes a word game."""
MIN_PALINDROME = 5


def clauses(line: str) -> list[str]:
    return "".join(" " if is_punct(ch) or ch.isspace() else ch for ch in line).split()


def grams(line: str) -> set[str]:
    """The distinct characters and character bigrams of the line's clauses."""
    out: set[str] = set()
    for clause in clauses(line):
        out.update(clause)
        out.update(clause[i : i + 2] for i in range(len(clause) - 1))
    return out


def word_game(line: str) -> bool:
    """A character three times in one clause, or a line that reads the same backwards."""
    parts = clauses(line)
    if any(max(Counter(clause).values()) >= GAME_REPEATS for clause in parts):
        return True
    text = "".join(parts)
    return len(text) >= MIN_PALINDROME and text == text[::-1]


@dataclass(frozen=True)
class Lexicon:
    markers: dict[str, tuple[str, ...]]
    """Signal -> its markers."""
    starting: dict[str, dict[str, tuple[str, ...]]] = field(init=False, repr=False, compare=False)
    """Signal -> first character -> the markers that start with it: each character of a line is checked
    against those alone."""

    def __post_init__(self) -> None:
        index: dict[str, dict[str, tuple[str, ...]]] = {}
        for signal, words in self.markers.items():
            by_first: dict[str, list[str]] = {}
            for word in words:
                by_first.setdefault(word[0], []).append(word)
            index[signal] = {ch: tuple(found) for ch, found in by_first.items()}
        object.__setattr__(self, "starting", index)

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        markers: dict[str, list[str]] = {signal: [] for signal in SIGNALS}
        for number, raw in enumerate(text.splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            signal, sep, rest = raw.partition("\t")
            if not sep or signal not in markers or not rest.split():
                raise ValueError(
                    f"register lexicon line {number}: expected 'signal<TAB>markers', got {raw!r}"
                )
            markers[signal].extend(rest.split())
        return cls({signal: tuple(dict.fromkeys(words)) for signal, words in markers.items()})

    def found(self, signal: str, line: str) -> list[str]:
        """The signal's markers the line holds."""
        starting = self.starting[signal]
        return list(
            dict.fromkeys(
                m for i, ch in enumerate(line) for m in starting.get(ch, ()) if line.startswith(m, i)
            )
        )

    def marked(self, signal: str, line: str) -> bool:
        return bool(self.found(signal, line)) or (signal == "jokey" and word_game(line))


@cache
def load_lexicon(path: Path = LEXICON) -> Lexicon:
    return Lexicon.parse(path.read_text(encoding="utf-8"))


def _matrix(
    lines: Sequence[str], vocab: dict[str, int], hidden: Callable[[str], list[str]] | None = None
) -> sp.csr_matrix:
    """Lines x n-gram features, each row scaled to unit length; with ``hidden``, the n-grams that lie inside
    the markers it names for a line are left out of that line's row."""
    indptr, indices = array("q", [0]), array("i")
    for line in lines:
        markers = hidden(line) if hidden else []
        indices.extend(
            sorted(vocab[g] for g in grams(line) if g in vocab and not any(g in marker for marker in markers))
        )
        indptr.append(len(indices))
    ptr = np.frombuffer(indptr, dtype=np.int64)
    lengths = np.diff(ptr)
    values = np.repeat(1.0 / np.sqrt(np.maximum(lengths, 1)), lengths)
    return sp.csr_matrix(
        (values, np.frombuffer(indices, dtype=np.int32), ptr), shape=(len(lines), len(vocab))
    )


def _logistic(x: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    """(bias, weights) of an L2-regularised logistic regression, the two classes weighted equally: the
    seeds are a few percent of the lines, and unweighted the model would flag almost nothing it was not
    told to."""
    n = x.shape[0]
    sample = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    target = y.astype(np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        bias, w = theta[0], theta[1:]
        z = x @ w + bias
        value = (sample * (np.logaddexp(0, z) - target * z)).sum() / n + L2 / (2 * n) * (w @ w)
        g = sample * (expit(z) - target) / n
        return value, np.concatenate([[g.sum()], x.T @ g + L2 / n * w])

    result = minimize(
        loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": MAX_ITER}
    )
    return result.x


@dataclass(frozen=True)
class LineSignals:
    """The fitted signals: score any line."""

    lexicon: Lexicon
    vocab: dict[str, int]
    models: dict[str, np.ndarray | None]
    """Signal -> (bias, weights), or None when its seeds were all of one class (a tiny corpus)."""

    def scores(self, signal: str, lines: Sequence[str]) -> np.ndarray:
        """float32 per line in 0..1: 1 for a marked line, else the regression's probability."""
        theta = self.models[signal]
        if theta is None or not len(lines):
            model = np.zeros(len(lines))
        else:
            model = expit(_matrix(lines, self.vocab) @ theta[1:] + theta[0])
        marked = np.array([self.lexicon.marked(signal, line) for line in lines], dtype=bool)
        return np.where(marked, 1.0, model).astype(np.float32)


def fit(lines: Sequence[str], elegant: Sequence[str], lexicon: Lexicon | None = None) -> LineSignals:
    """Learn the signals from the corpus's ``lines`` and the ``elegant`` lines (negative seeds)."""
    lexicon = lexicon or load_lexicon()
    train = [*lines, *elegant]
    counts = Counter(g for line in train for g in grams(line))
    vocab = {g: i for i, g in enumerate(sorted(g for g, c in counts.items() if c >= MIN_COUNT))}
    models: dict[str, np.ndarray | None] = {}
    for signal in SIGNALS:
        y = np.array([lexicon.marked(signal, line) for line in lines] + [False] * len(elegant), dtype=bool)
        if not vocab or y.all() or not y.any():
            models[signal] = None
            continue

        def hidden(line: str, signal: str = signal) -> list[str]:
            return lexicon.found(signal, line)

        models[signal] = _logistic(_matrix(train, vocab, hidden), y)
    return LineSignals(lexicon, vocab, models)
