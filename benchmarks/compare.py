"""A blind comparison sheet: the product's lower line, the model's alone and the human reference, shuffled.

    .venv/bin/python benchmarks/compare.py [--n 60] [--split test_novel] [--seed 0] [--out DIR] [--threads 1]

For a seeded sample of the split's upper lines it writes to DIR (default benchmarks/results/compare/):
- sheet.json and sheet.html: each upper line with its lower lines labelled A, B, C in a shuffled order,
  and empty columns for a reviewer's scores (对仗, sense, fit to the upper line: 1-5; accepted or not);
- key.json, to be kept from the reviewer: which sources wrote the line under each label of each row;
- measures.json: the automatic measures of each source (couplet/measures.py), also printed.
The product's line is couplet.generate's first; the model's is the generator's without the corpus memory;
the reference is the split's first lower line for the upper line. Two sources with the same line share
one label: shown twice, the pair would give away the human line as the odd one out.
"""

from __future__ import annotations

import argparse
import html
import json
import random
from dataclasses import dataclass
from pathlib import Path

import torch

from core.settings import Settings
from couplet.bleu import references_by_upper
from couplet.couplets import generate
from couplet.evaluate import corpus_lowers, format_measures
from couplet.measures import summarise
from couplet.model.generator import Generator
from couplet.resources import get_badwords
from couplet.splits import read_split

RESULTS = Path(__file__).resolve().parent / "results"
SOURCES = ("product", "model", "reference")
LABELS = ("A", "B", "C")
SCORES = ("对仗 1-5", "意思 1-5", "切题 1-5", "可用 是/否")


@dataclass(frozen=True)
class Sheet:
    rows: list[dict]
    """{"row", "upper", "lines": {label: lower line}}: what the reviewer sees."""
    key: list[dict]
    """{"row", "upper", label: [sources], ...}: what the reviewer must not see."""


def sample_references(prepared_dir: Path, split: str, n: int, seed: int) -> dict[str, list[str]]:
    """``n`` upper lines of the split drawn with ``seed``, each with its reference lower lines."""
    refs = references_by_upper(read_split(prepared_dir, split))
    return {u: refs[u] for u in random.Random(seed).sample(list(refs), min(n, len(refs)))}


def lower_lines(refs: dict[str, list[str]], settings: Settings) -> dict[str, dict[str, str]]:
    """For each source, its lower line for each upper line."""
    uppers = list(refs)
    model = Generator(settings.generator_dir, get_badwords(settings))
    return {
        "product": {u: generate(u, n=1, settings=settings)[0].lower for u in uppers},
        "model": {u: c[0].lower for u, c in zip(uppers, model.generate_batch(uppers, n=1), strict=True)},
        "reference": {u: refs[u][0] for u in uppers},
    }


def build_sheet(lines: dict[str, dict[str, str]], seed: int) -> Sheet:
    """Each upper line's distinct lower lines under labels, in an order shuffled with ``seed``."""
    rng = random.Random(seed)
    rows, key = [], []
    for number, upper in enumerate(lines[SOURCES[0]], 1):
        sources: dict[str, list[str]] = {}
        for src in SOURCES:
            sources.setdefault(lines[src][upper], []).append(src)
        distinct = list(sources)
        rng.shuffle(distinct)
        labelled = dict(zip(LABELS, distinct, strict=False))
        rows.append({"row": number, "upper": upper, "lines": labelled})
        key.append({"row": number, "upper": upper, **{lab: sources[line] for lab, line in labelled.items()}})
    return Sheet(rows, key)


def sheet_html(sheet: Sheet, title: str) -> str:
    """A printable table: one block of lower lines per upper line, with empty score cells."""
    head = "".join(f"<th>{h}</th>" for h in ("#", "上联", "", "下联", *SCORES))
    body = []
    for row in sheet.rows:
        for k, (label, lower) in enumerate(row["lines"].items()):
            span = len(row["lines"])
            lead = (
                f'<td rowspan="{span}">{row["row"]}</td>'
                f'<td rowspan="{span}" class="line">{html.escape(row["upper"])}</td>'
                if k == 0
                else ""
            )
            blanks = "<td></td>" * len(SCORES)
            body.append(f'<tr>{lead}<td>{label}</td><td class="line">{html.escape(lower)}</td>{blanks}</tr>')
    style = (
        "body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px}.line{font-size:1.2em}"
    )
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></body></html>\n"
    )


def compare(settings: Settings, split: str, n: int, seed: int, out: Path) -> dict[str, dict]:
    """Write the sheet, its key and the measures to ``out``; return the measures by source."""
    refs = sample_references(settings.prepared_dir, split, n, seed)
    lines = lower_lines(refs, settings)
    sheet = build_sheet(lines, seed)
    corpus = corpus_lowers(settings.prepared_dir)
    measures = {src: summarise([(u, lines[src][u]) for u in refs], corpus) for src in SOURCES}
    meta = {"split": split, "n": len(refs), "seed": seed}
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / "sheet.json", {**meta, "rows": sheet.rows})
    (out / "sheet.html").write_text(
        sheet_html(sheet, f"下联盲评 ({split}, {len(refs)} 上联)"), encoding="utf-8"
    )
    _write_json(out / "key.json", {**meta, "model": str(settings.generator_dir), "rows": sheet.key})
    _write_json(out / "measures.json", {**meta, "measures": measures})
    return measures


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=60, help="How many upper lines.")
    parser.add_argument("--split", default="test_novel", choices=["test_novel", "test", "dev", "classic"])
    parser.add_argument("--seed", type=int, default=0, help="Seeds the sample and the shuffle.")
    parser.add_argument("--out", type=Path, default=RESULTS / "compare")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    measures = compare(Settings.from_env(), args.split, args.n, args.seed, args.out)
    print(format_measures(measures))
    print(f"sheet, key and measures in {args.out}")


if __name__ == "__main__":
    main()
