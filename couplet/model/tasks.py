"""The tasks one seq2seq model learns, told apart by a marker token at the start of the source.

- ``lower``: an upper line → its lower line. No marker, so a model trained on this task alone reads
  the same inputs as before the markers existed.
- ``upper``: ``<rev>`` + a lower line → its upper line (the other direction).
- ``write``: ``<kw>`` ``<nL>`` + keywords joined by ``<sep>`` → an upper line of L characters that
  holds them. Training pairs come from the corpus itself: a few content words drawn from each upper
  line (a new draw every epoch) stand for what a user would type.

Sources are token lists: marker strings and single characters, one token each.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

REVERSE, KEYWORDS, SEPARATOR = "<rev>", "<kw>", "<sep>"
MAX_LINE = 40  # the longest line a length marker exists for
TASKS = ("lower", "upper", "write")
# jieba.posseg's coarse classes that a user could ask a couplet to hold: nouns (n, nr, ns, nz …), verbs,
# adjectives, time and place words, idioms and set phrases.
CONTENT_FLAGS = ("n", "v", "a", "t", "s", "i", "l")


def length_marker(n: int) -> str:
    return f"<n{min(n, MAX_LINE)}>"


def markers() -> list[str]:
    """The extra tokens a multi-task model's tokenizer holds, in a fixed order."""
    return [REVERSE, KEYWORDS, SEPARATOR] + [length_marker(n) for n in range(1, MAX_LINE + 1)]


def reverse_source(lower: str) -> list[str]:
    return [REVERSE, *lower]


def keyword_source(keywords: Sequence[str], length: int) -> list[str]:
    tokens = [KEYWORDS, length_marker(length)]
    for k, word in enumerate(keywords):
        if k:
            tokens.append(SEPARATOR)
        tokens.extend(word)
    return tokens


def content_words(line: str) -> list[str]:
    """Dictionary words of a line that carry content (no function words such as 如果), in line order."""
    import jieba.posseg

    return [
        w for w, flag in jieba.posseg.lcut(line, HMM=False) if flag.startswith(CONTENT_FLAGS) and w.strip()
    ]


def sample_keywords(words: Sequence[str], rng: random.Random, most: int = 3) -> list[str]:
    """One to ``most`` distinct words of a line in a random order: what a user might type for it."""
    distinct = list(dict.fromkeys(words))
    if not distinct:
        return []
    return rng.sample(distinct, rng.randint(1, min(most, len(distinct))))


def add_markers(tokenizer, model=None) -> None:
    """Give a tokenizer (and the model's embeddings) the task markers it lacks; a no-op when present."""
    missing = [m for m in markers() if m not in tokenizer.get_vocab()]
    if not missing:
        return
    tokenizer.add_tokens(missing, special_tokens=True)
    size = max(tokenizer.get_vocab().values()) + 1
    if model is not None and model.get_input_embeddings().num_embeddings < size:
        model.resize_token_embeddings(size)


def has_markers(tokenizer) -> bool:
    return KEYWORDS in tokenizer.get_vocab()


def words_file(prepared_dir: Path, split: str) -> Path:
    return prepared_dir / f"{split}_words.tsv"


def line_words(prepared_dir: Path, split: str, uppers: Sequence[str]) -> list[list[str]]:
    """The content words of each upper line of a split, segmented once and kept beside the split."""
    path = words_file(prepared_dir, split)
    if path.is_file():
        rows = path.read_text(encoding="utf-8").split("\n")[: len(uppers)]
        if len(rows) == len(uppers):
            return [row.split(" ") if row else [] for row in rows]
    from tqdm import tqdm

    words = [content_words(u) for u in tqdm(uppers, desc=f"segmenting {split} lines", unit="line")]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(" ".join(w) for w in words), encoding="utf-8")
    tmp.replace(path)
    return words
