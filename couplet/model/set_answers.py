"""Set answers: lower lines the corpus gives for many different upper lines, which the generator does not
write for another upper line.

    .venv/bin/python -m couplet.model.set_answers [PREPARED_DIR]

rewrites set_answers.txt beside this module from the prepared train split.

A couplet contest fixes one line and collects the entrants' lines for it (风过泸州带酒香, a distiller's
contest, is the lower line of 139 upper lines of the train split; 广府古城，百花芳草淹春秋 of 175), and a
famous line is the answer people reach for (一片冰心在玉壶 44 times, 人间正道是沧桑). The model learns them
by heart and writes them under any upper line that shares a word or two: the photo review sheet had
风过泸州带酒香 under 烟浮古驿青通市 and under 云笼野树藏山寺, a city in Sichuan the photos do not show, and
人间正道是沧桑 under a child with a teddy bear. Such a line answers its contest, not the line asked for.

A set answer is a lower line given for MIN_UPPERS or more distinct upper lines (418 in the train split,
compared without punctuation). The model does not only recite it whole; it keeps its opening and varies the
rest (风过泸州月满楼, 风过泸州绿到城). So what is listed (set_answers.txt) are its telltale pairs: a pair of
adjacent characters of a set answer that the train split's lower lines hold MIN_UPPERS times or more, at
least SHARE of them inside set answers (泸州 139 of 147, 广府 175 of 188; not 风过 or 酒香, which many lines
say). The generator's lower-line search avoids them as it avoids bad words (couplet.badwords), except when
it refills the characters a person kept. A corpus lower line of the very upper line asked for is still
offered (couplet.memory): that line was written for it.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from couplet.rules import is_punct

TABLE = Path(__file__).with_name("set_answers.txt")
MIN_UPPERS = 10
SHARE = 0.8
HEADER = "# telltale pairs of the set answers of the train split, by `python -m couplet.model.set_answers`\n"


def bare(line: str) -> str:
    """The line without punctuation or spaces: how set answers are compared."""
    return "".join(ch for ch in line if not (is_punct(ch) or ch.isspace()))


def pairs_of(line: str) -> set[str]:
    return {line[i : i + 2] for i in range(len(line) - 1)}


def derive(couplets: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The telltale pairs of the set answers of (upper, lower) couplets, by the rules in the docstring."""
    uppers: dict[str, set[str]] = defaultdict(set)
    for upper, lower in couplets:
        uppers[bare(lower)].add(bare(upper))
    answers = {lower for lower, ups in uppers.items() if lower and len(ups) >= MIN_UPPERS}
    candidates = set().union(*(pairs_of(a) for a in answers))
    said, in_answers = Counter(), Counter()
    for lower, ups in uppers.items():
        found = pairs_of(lower) & candidates
        said.update({pair: len(ups) for pair in found})
        if lower in answers:
            in_answers.update({pair: len(ups) for pair in found})
    return frozenset(p for p in candidates if said[p] >= MIN_UPPERS and in_answers[p] >= SHARE * said[p])


def parse(text: str) -> frozenset[str]:
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def load_set_answers(path: Path = TABLE) -> frozenset[str]:
    return parse(path.read_text(encoding="utf-8"))


def main() -> None:
    from core.settings import Settings
    from couplet.splits import read_split

    prepared = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().prepared_dir
    pairs = derive(read_split(prepared, "train"))
    TABLE.write_text(HEADER + "".join(f"{pair}\n" for pair in sorted(pairs)), encoding="utf-8")
    print(f"{len(pairs)} telltale pairs of set answers written to {TABLE}")


if __name__ == "__main__":
    main()
