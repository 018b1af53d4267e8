"""Benchmark the editing features on the shipped generator: refill, other characters, the other direction.

    .venv/bin/python benchmarks/refill.py [--lines N] [--threads T]

On N lines of the leak-free test split (seeded sample), at batch 1, as a request runs. This host's
speed drifts with its load, so each line is put through every feature back to back, plain generation
(the model alone, n=3, beam 5) among them for scale, and the table gives each feature's p50 beside
the p50 of its ratio to generation on the same line:

- refill: the reference lower line with each character kept with probability 1/2 (a pattern whose
  kept characters break a hard rule is counted and skipped), n=3, beam 5; checking the kept
  characters included. How often the best answer is the reference; lower line ends 平 (best answer).
- alternatives: 8 characters for a random position of the reference lower line.
- upper lines for the reference lower line (n=3, beam 5): upper line ends 仄 (best answer), beside the
  references' own rate.

Every answer is checked against the hard rules and the kept characters (a failure stops the run).
Prints a table and writes benchmarks/results/refill.json with 10 examples of each feature.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from core.errors import UserError
from core.settings import Settings
from couplet.locks import OPEN, lock, reopen
from couplet.model.generator import Generator
from couplet.resources import get_badwords
from couplet.rules import broken_hard_rules, check, is_punct
from couplet.splits import read_split

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLES = 10
FEATURES = ("generate", "refill", "alternatives", "upper")


def timed(call: Callable[..., list], *args) -> tuple[list, float]:
    started = time.perf_counter()
    result = call(*args)
    return result, (time.perf_counter() - started) * 1000


def refill(generator: Generator, upper: str, kept: list[str | None]) -> list:
    """What a refill request costs past validating its text: checking the kept characters, the search."""
    return generator.refill(upper, lock(upper, kept, generator.badwords), n=3)


def alternatives(generator: Generator, upper: str, lower: str, position: int) -> list:
    return generator.alternatives(upper, lock(upper, reopen(upper, lower, position), generator.badwords), 8)


def measure(generator: Generator, pairs: list[tuple[str, str]], rng: random.Random) -> dict:
    times: dict[str, list[float]] = {name: [] for name in FEATURES}
    ratios: dict[str, list[float]] = {name: [] for name in FEATURES[1:]}
    counts = {
        "refused_patterns": 0,
        "best_is_reference": 0,
        "lower_ends_ping": 0,
        "upper_ends_ze": 0,
        "references_upper_ends_ze": 0,
        "upper_tone_opposition": 0,
    }
    examples: dict[str, list[dict]] = {name: [] for name in FEATURES[1:]}
    for upper, lower in pairs:
        kept = [ch if rng.random() < 0.5 else None for ch in lower]
        position = rng.choice([i for i, u in enumerate(upper) if not is_punct(u)]) + 1
        ms = {"generate": timed(generator.generate, upper, 3)[1]}
        try:
            answers, ms["refill"] = timed(refill, generator, upper, kept)
        except UserError:  # the reference breaks a hard rule itself (reuse, a repeat not mirrored)
            counts["refused_patterns"] += 1
            continue
        found, ms["alternatives"] = timed(alternatives, generator, upper, lower, position)
        uppers, ms["upper"] = timed(generator.uppers_for, lower, 3)

        for a in answers:
            assert all(ch is None or a.lower[i] == ch for i, ch in enumerate(kept)), (upper, kept, a.lower)
            assert not broken_hard_rules(upper, a.lower), (upper, a.lower)
        assert all(not broken_hard_rules(upper, a.candidate.lower) for a in found), (upper, lower, position)
        assert all(not broken_hard_rules(c.upper, lower) for c in uppers), lower
        for name in FEATURES:
            times[name].append(ms[name])
        for name in FEATURES[1:]:
            ratios[name].append(ms[name] / ms["generate"])
        counts["best_is_reference"] += answers[0].lower == lower
        counts["lower_ends_ping"] += answers[0].rules["lower_ends_ping"].passed
        counts["upper_ends_ze"] += uppers[0].rules["upper_ends_ze"].passed
        counts["upper_tone_opposition"] += uppers[0].rules["tone_opposition"].passed
        counts["references_upper_ends_ze"] += check(upper, lower)["upper_ends_ze"].passed

        if len(examples["refill"]) < EXAMPLES:
            pattern = "".join(ch or (upper[i] if is_punct(upper[i]) else OPEN) for i, ch in enumerate(kept))
            examples["refill"].append(
                {
                    "upper": upper,
                    "pattern": pattern,
                    "answers": [a.lower for a in answers],
                    "reference": lower,
                }
            )
            examples["alternatives"].append(
                {
                    "upper": upper,
                    "lower": lower,
                    "position": position,
                    "alternatives": [[a.char, round(a.candidate.score, 3)] for a in found],
                }
            )
            examples["upper"].append(
                {"lower": lower, "uppers": [c.upper for c in uppers], "reference": upper}
            )
    done = len(times["generate"])
    report = {
        name: {
            "p50_ms": statistics.median(times[name]),
            "p95_ms": statistics.quantiles(times[name], n=20)[-1],
        }
        for name in FEATURES
    }
    for name in FEATURES[1:]:
        report[name]["p50_ratio_to_generate"] = statistics.median(ratios[name])
    return {
        "lines": done,
        "latency": report,
        "refused_patterns": counts.pop("refused_patterns"),
        **{name: count / done for name, count in counts.items()},
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=300, help="Test lines sampled (seeded).")
    parser.add_argument("--threads", type=int, default=1, help="Torch threads (a service worker thread: 1).")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = Settings.from_env()
    generator = Generator(settings.generator_dir, get_badwords(settings))
    pairs = random.Random(0).sample(read_split(settings.prepared_dir, "test"), args.lines)
    # First-call costs (allocations, the table of 仄 characters) are paid once per process, not per request.
    generator.refill(pairs[0][0], {}, n=3)
    generator.uppers_for(pairs[0][1], n=3)
    report = {
        "model": str(settings.generator_dir),
        "threads": args.threads,
        **measure(generator, pairs, random.Random(1)),
    }
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    (RESULTS / "refill.json").write_text(text, encoding="utf-8")
    print(format_table(report))


def format_table(report: dict) -> str:
    latency = report["latency"]
    quality = {
        "generate": "",
        "refill": f"best = reference {report['best_is_reference']:.1%}, ends 平 {report['lower_ends_ping']:.1%}",
        "alternatives": "8 characters",
        "upper": f"ends 仄 {report['upper_ends_ze']:.1%} (references {report['references_upper_ends_ze']:.1%}), "
        f"tone opposition {report['upper_tone_opposition']:.1%}",
    }
    rows = [
        f"model {report['model']}, {report['threads']} torch threads, batch 1, {report['lines']} lines "
        f"({report['refused_patterns']} refill patterns refused)",
        f"{'feature':<14}{'p50 ms':>9}{'p95 ms':>9}{'× generate':>12}  quality",
        "-" * 78,
    ]
    for name in FEATURES:
        ratio = latency[name].get("p50_ratio_to_generate")
        rows.append(
            f"{name:<14}{latency[name]['p50_ms']:>9.1f}{latency[name]['p95_ms']:>9.1f}"
            f"{'' if ratio is None else f'{ratio:.2f}':>12}  {quality[name]}"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
