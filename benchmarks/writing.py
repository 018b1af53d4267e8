"""Benchmark the written couplets on the shipped generator: from keywords, 藏头 / 藏尾, and 横批.

    .venv/bin/python benchmarks/writing.py [--sets 200] [--seed 0] [--threads 1]

- Keyword couplets: for each of N upper lines of the leak-free test split (seeded sample, 5 to 9
  characters, no punctuation), one to three of its content words, drawn as the training task draws
  them, are asked for a couplet of that line's length (n=3). Counted on the first couplet and on all
  three: every keyword in the couplet; hard rules; the lower line ends 平; 对仗 (parallelism) beside the
  same test lines' human couplets.
- 藏头 and 藏尾: N/2 pairs of characters drawn from the heads (tails) of the same test couplets, n=3,
  7 characters: the characters where asked in every answer, hard rules.
- 横批: one per keyword couplet; none may say a word of the couplet again; the share written by the
  model (the rest come from the table).
Prints a table and writes benchmarks/results/writing.json with 10 examples of each feature.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import torch

from core.errors import UserError
from core.settings import Settings
from couplet.banner import load_table, repeats_couplet
from couplet.measures import Tally, parallelism
from couplet.model.tasks import content_words, sample_keywords
from couplet.rules import broken_hard_rules, check, is_punct
from couplet.splits import read_split
from couplet.writing import acrostic, write

RESULTS = Path(__file__).resolve().parent / "results" / "writing.json"


def rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def keyword_run(pairs, settings, seed: int) -> dict:
    rng = random.Random(seed)
    top_all = every_all = rules = ping = total = 0
    ours, theirs, times, examples, model_banners, banner_repeats = Tally(), Tally(), [], [], 0, 0
    table = {row.text for row in load_table()}
    for upper, lower in pairs:
        keywords = sample_keywords(content_words(upper), rng)
        if not keywords:
            continue
        started = time.perf_counter()
        found = write(keywords, length=len(upper), n=3, settings=settings)
        times.append(time.perf_counter() - started)
        if not found:
            continue
        total += 1
        held = [all(k in c.upper + c.lower for k in keywords) for c in found]
        top_all += held[0]
        every_all += all(held)
        best = found[0]
        rules += all(not broken_hard_rules(c.upper, c.lower) for c in found)
        ping += check(best.upper, best.lower)["lower_ends_ping"].passed
        ours += parallelism(best.upper, best.lower)
        theirs += parallelism(upper, lower)
        banner_repeats += any(repeats_couplet(c.banner, c.upper, c.lower) for c in found)
        model_banners += sum(c.banner not in table for c in found)
        if len(examples) < 10:
            examples.append(
                {"keywords": keywords, **{k: best.to_dict()[k] for k in ("upper", "lower", "banner")}}
            )
    return {
        "couplets": total,
        "all keywords, first couplet": rate(top_all, total),
        "all keywords, all three": rate(every_all, total),
        "hard rules, all three": rate(rules, total),
        "lower ends 平 (first)": rate(ping, total),
        "parallelism (first)": ours.rate,
        "parallelism (human couplets)": theirs.rate,
        "横批 repeating the couplet": rate(banner_repeats, total),
        "横批 written by the model": rate(model_banners, 3 * total),
        "p50 ms": 1000 * statistics.median(times),
        "examples": examples,
    }


def acrostic_run(pairs, settings, seed: int, at: str, count: int) -> dict:
    rng = random.Random(seed)
    place = 0 if at == "head" else -1
    asked = answered = placed = rules = 0
    refused: Counter[str] = Counter()
    times, examples = [], []
    candidates = [(u[place], d[place]) for u, d in pairs if u[place] != d[place]]
    for first, second in rng.sample(candidates, min(count, len(candidates))):
        asked += 1
        started = time.perf_counter()
        try:
            found = acrostic(first + second, length=7, at=at, n=3, settings=settings)
        except UserError as e:
            refused[e.code] += (
                1  # e.g. 藏尾 whose tones cannot stand at the line ends: a message, not a couplet
            )
            continue
        times.append(time.perf_counter() - started)
        answered += 1
        placed += all(c.upper[place] == first and c.lower[place] == second for c in found) and bool(found)
        rules += all(not broken_hard_rules(c.upper, c.lower) for c in found)
        if len(examples) < 10 and found:
            examples.append(
                {"chars": first + second, **{k: found[0].to_dict()[k] for k in ("upper", "lower", "banner")}}
            )
    return {
        "asked": asked,
        "refused, by reason": dict(refused),
        "characters where asked, all three": rate(placed, answered),
        "hard rules, all three": rate(rules, answered),
        "p50 ms": 1000 * statistics.median(times) if times else None,
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets", type=int, default=200, help="Keyword sets (and as many acrostics, half each way)."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = Settings.from_env()
    pairs = [
        (u, d)
        for u, d in dict(read_split(settings.prepared_dir, "test")).items()
        if 5 <= len(u) <= 9 and not any(is_punct(c) for c in u)
    ]
    random.Random(args.seed).shuffle(pairs)
    write(["春风"], settings=settings)  # load the models before the clock runs
    report = {
        "keywords": keyword_run(pairs[: args.sets], settings, args.seed),
        "藏头": acrostic_run(pairs, settings, args.seed, "head", args.sets // 2),
        "藏尾": acrostic_run(pairs, settings, args.seed, "tail", args.sets // 2),
    }
    for name, figures in report.items():
        print(f"\n{name}")
        for key, value in figures.items():
            if key != "examples":
                print(f"  {key:36s} {value:.3f}" if isinstance(value, float) else f"  {key:36s} {value}")
        for ex in figures["examples"]:
            print("   ", json.dumps(ex, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
