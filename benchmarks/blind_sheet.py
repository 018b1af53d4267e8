"""A blind review sheet from a review-sheet run (benchmarks/photo_review.py): a seeded, shuffled sample of its
drawings under neutral names, with their tags and three couplets and nothing else, for a person (or a
reviewer agent) who should not know which code made them.

    .venv/bin/python benchmarks/blind_sheet.py [--review benchmarks/results/photo_review.json]
        [--sample 32] [--seed 0] --out DIR

Writes to DIR: R01.jpg … (the drawings), sheet.md (per result: the tags, the three couplets with the drawn
one first, and a blank score line), and key.json (neutral name → photo), which the reviewer must not see.
The sample is drawn from the photo names alone (sorted, then seeded), so the same seed picks the same
photos from every run over the same folder and reviews of different code stay comparable.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SCORES = (
    "tags (do they name what the photo shows), fit (does the drawn couplet belong to this photo), quality "
    "(as couplets), drawing (scrolls and 横批 placed well, the subject visible): each 1–5; better (the number "
    "of a candidate clearly better than the drawn one, or -); keep (yes/no: would you keep and share it as "
    "is); note (one line)"
)


def sample(photos: list[str], size: int, seed: int) -> list[str]:
    """``size`` of the photos, chosen and ordered by the seed alone."""
    return random.Random(seed).sample(sorted(photos), min(size, len(photos)))


def card(name: str, row: dict) -> str:
    tags = ", ".join(f"{t['name']} ({t['kind']})" for t in row["tags"])
    lines = [f"## {name}", "", f"![{name}]({name}.jpg)", "", f"Tags: {tags}", ""]
    for number, c in enumerate(row["candidates"], 1):
        drawn = " (drawn)" if number == 1 else ""
        lines.append(f"{number}. {c['upper']} / {c['lower']} / 横批 {c['horizontal']}{drawn}")
    lines += ["", "Scores: tags _ fit _ quality _ drawing _ better _ keep _ note _", ""]
    return "\n".join(lines)


def write_sheet(review: Path, out: Path, size: int, seed: int) -> dict[str, str]:
    result = json.loads(review.read_text(encoding="utf-8"))
    rows = {row["photo"]: row for row in result["per_photo"]}
    images = Path(result["sheet"]["html"]).parent
    chosen = sample(list(rows), size, seed)
    out.mkdir(parents=True, exist_ok=True)
    key: dict[str, str] = {}
    cards = [f"# Blind review: {len(chosen)} photos turned into couplets", "", f"Score each: {SCORES}.", ""]
    for number, photo in enumerate(chosen, 1):
        name = f"R{number:02d}"
        shutil.copyfile(images / rows[photo]["image"], out / f"{name}.jpg")
        cards.append(card(name, rows[photo]))
        key[name] = photo
    (out / "sheet.md").write_text("\n".join(cards), encoding="utf-8")
    (out / "key.json").write_text(json.dumps(key, ensure_ascii=False, indent=1), encoding="utf-8")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--review", type=Path, default=RESULTS / "photo_review.json", help="a review-sheet run"
    )
    parser.add_argument("--sample", type=int, default=32, help="how many photos")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="where the blind sheet goes")
    args = parser.parse_args(argv)
    if args.sample < 1:
        parser.error("--sample must be at least 1")
    try:
        key = write_sheet(args.review, args.out, args.sample, args.seed)
    except (OSError, KeyError, ValueError) as e:
        print(f"blind_sheet: cannot read the review run {args.review}: {e}", file=sys.stderr)
        return 2
    print(f"{len(key)} results in {args.out / 'sheet.md'}; the key is {args.out / 'key.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
