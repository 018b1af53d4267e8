"""Benchmark what the matcher picks for the labelled scene photos: word-boundary hits, jokey and sad picks.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/scene_matches.py collect --out picks.json
    .venv/bin/python benchmarks/scene_matches.py report before.json after.json [--show 20]

`collect` tags each of the 96 photos in images/scenes with the local tagger (object, scene and mood
tags) and asks `couplet.matching.match` for three upper lines (seed = the photo's place in the list),
writing tags and picks as JSON. It uses only the tagger and `match`, so the same file run with an older
checkout on PYTHONPATH collects that checkout's picks.

`report` scores picks files with the current corpus store: the share of picks in which a tag's concept
occurs only across a word boundary of the line (a straddle: 面包 in 铁面|包公), the share of picks
the store's learnt scores flag jokey or melancholy (couplet.register, score >= FLAG), and the picks of
photos spread over the set side by side. Writes benchmarks/results/scene_matches.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def scene_folder() -> Path:
    mirror = os.environ.get("COUPLET_DATA_MIRROR")
    if not mirror:
        raise SystemExit("set COUPLET_DATA_MIRROR to the data mirror (it holds images/scenes)")
    return Path(mirror).expanduser() / "images" / "scenes"


def collect(out: Path) -> None:
    import torch

    from core.settings import Settings
    from couplet.matching import match
    from vision.local import LocalTagger

    torch.set_num_threads(1)
    folder, settings, tagger = scene_folder(), Settings.from_env(), LocalTagger()
    with (folder / "labels.tsv").open(encoding="utf-8") as f:
        labels = list(csv.DictReader(f, delimiter="\t"))
    rows = []
    for seed, label in enumerate(labels):
        tags = tagger.tag((folder / label["filename"]).read_bytes())
        picks = match(tags, k=3, seed=seed, settings=settings)
        rows.append(
            {
                "photo": label["filename"],
                "labels": label["tags"],
                "tags": [
                    {"name": t.name, "confidence": round(t.confidence, 3), "kind": t.kind} for t in tags
                ],
                "picks": [m.upper for m in picks],
            }
        )
        print(label["filename"], " ".join(t.name for t in tags), "→", " / ".join(rows[-1]["picks"]))
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def score(rows: list[dict]) -> dict:
    from core.settings import Settings
    from couplet.matching.synonyms import load_synonyms
    from couplet.register import FLAG
    from couplet.resources import get_corpus
    from couplet.words import straddles

    corpus, synonyms = get_corpus(Settings.from_env()), load_synonyms()
    picks = straddling = jokey = sad = 0
    for row in rows:
        concepts = [synonyms.concept(t["name"]) for t in row["tags"]]
        row["flags"] = []
        for line in row["picks"]:
            i = corpus.find(line)[0]
            flags = []
            if any(straddles(line, corpus.words_of(i), concept) for concept in concepts):
                flags.append("straddle")
            if corpus.jokey[i] >= FLAG:
                flags.append("jokey")
            if corpus.melancholy[i] >= FLAG:
                flags.append("melancholy")
            picks += 1
            straddling += "straddle" in flags
            jokey += "jokey" in flags
            sad += "melancholy" in flags
            row["flags"].append(flags)
    return {
        "picks": picks,
        "straddle": straddling / picks,
        "jokey": jokey / picks,
        "melancholy": sad / picks,
        "jokey_or_melancholy": sum(bool({"jokey", "melancholy"} & set(f)) for r in rows for f in r["flags"])
        / picks,
    }


def report(files: list[Path], show: int) -> None:
    runs = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in files}
    figures = {name: score(rows) for name, rows in runs.items()}
    print(f"{'run':<12} {'picks':>6} {'straddle':>9} {'jokey':>7} {'melancholy':>11} {'either':>7}")
    for name, f in figures.items():
        print(
            f"{name:<12} {f['picks']:>6} {f['straddle']:>9.1%} {f['jokey']:>7.1%} {f['melancholy']:>11.1%}"
            f" {f['jokey_or_melancholy']:>7.1%}"
        )
    names = list(runs)
    print()
    photos = len(runs[names[0]])
    # Photos spread over the whole list (it is ordered by source), not its first few.
    for i in sorted({round(j * photos / show) for j in range(min(show, photos))}):
        first = runs[names[0]][i]
        print(f"{first['photo']}  [{' '.join(t['name'] for t in first['tags'])}]")
        for name in names:
            row = runs[name][i]
            marked = [
                line + (f" ({','.join(flags)})" if flags else "")
                for line, flags in zip(row["picks"], row["flags"], strict=True)
            ]
            print(f"  {name:<10} {' / '.join(marked)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scene_matches.json").write_text(
        json.dumps({"figures": figures, "runs": runs}, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="tag the photos and write the matcher's picks")
    c.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report", help="score picks files with the current corpus store")
    r.add_argument("files", type=Path, nargs="+")
    r.add_argument(
        "--show", type=int, default=20, help="photos (spread over the set) whose picks are printed"
    )
    args = parser.parse_args()
    if args.command == "collect":
        collect(args.out)
    else:
        report(args.files, args.show)


if __name__ == "__main__":
    main()
