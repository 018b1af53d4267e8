"""Benchmark the shipped lower-line generator.

    .venv/bin/python benchmarks/generator.py [--limit N] [--threads T] [--latency-lines N] [--no-classic]

On the leak-free test split (and its novel subset) and on the classic set: BLEU, every rule's
compliance, exact matches and the measures BLEU misses (parallelism, tone opposition under both
standards, copying; couplet/measures.py) beside the human references' own, both for the product
(corpus memory + model, default decoding) and for the model alone; the diversity of the product's n=3
answers on the test split beside that of the upper lines with several references; latency per line at
batch 1 (for n=1, and on the test split for n=3; on the first --latency-lines upper lines of each set, as
a busy machine makes every line slow); batched throughput; model load time; resident memory; the load
average before and after. Then
a beam sweep of the model alone on the test split (`--beams`, e.g. 5 10 20): BLEU, novel BLEU, lower
ends 平 and latency at batch 1 (on the same lines) for each width. Prints tables and writes
benchmarks/results/generator.json plus the predictions (upper<TAB>lower) next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from core.settings import Settings
from couplet.bleu import references_by_upper
from couplet.evaluate import evaluate, format_measures, measure, retrieval_baseline, score
from couplet.measures import diversity
from couplet.model.generator import DecodeOptions, Generator
from couplet.resources import get_badwords, get_corpus, get_memory
from couplet.splits import read_split

RESULTS = Path(__file__).resolve().parent / "results"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def predict(
    generator: Generator, uppers: list[str], batch: int, options: DecodeOptions | None = None
) -> tuple[dict[str, str], list[float], int]:
    """Best lower line per upper; per-batch latencies; how many came from the corpus memory."""
    preds, latencies, remembered = {}, [], 0
    for i in tqdm(range(0, len(uppers), batch), desc=f"generate (batch {batch})", unit="batch"):
        chunk = uppers[i : i + batch]
        started = time.perf_counter()
        results = generator.generate_batch(chunk, n=1, options=options)
        latencies.append((time.perf_counter() - started) * 1000)
        preds.update({u: r[0].lower for u, r in zip(chunk, results, strict=True)})
        remembered += sum(r[0].source == "memory" for r in results)
    return preds, latencies, remembered


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, help="Only the first N upper lines of each set (quick runs).")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--beams", type=int, nargs="*", default=[5, 10, 20], help="Beam widths of the sweep.")
    parser.add_argument("--latency-lines", type=int, help="Time batch 1 on the first N upper lines only.")
    parser.add_argument("--no-classic", action="store_true", help="The test split only.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = Settings.from_env()
    rss_before = rss_mb()
    generator = Generator(settings.generator_dir, get_badwords(settings), memory=get_memory(settings))
    model_only = Generator(settings.generator_dir, get_badwords(settings))
    report: dict = {
        "model": str(settings.generator_dir),
        "parameters_m": sum(p.numel() for p in generator.model.parameters()) / 1e6,
        "load_seconds": generator.load_seconds,
        "threads": args.threads,
        "load_average_before": os.getloadavg(),
    }
    train = get_corpus(settings)
    alone_preds = {}
    for split in ("test",) if args.no_classic else ("test", "classic"):
        uppers = list(references_by_upper(read_split(settings.prepared_dir, split)))[: args.limit]
        _, latencies, _ = predict(generator, uppers[: args.latency_lines], batch=1)
        started = time.perf_counter()
        preds, _, remembered = predict(generator, uppers, batch=args.batch)
        throughput = len(uppers) / (time.perf_counter() - started)
        scored = _evaluate_subset(preds, settings, split, uppers)
        alone_preds[split] = predict(model_only, uppers, batch=args.batch)[0]
        alone = _evaluate_subset(alone_preds[split], settings, split, uppers)
        baseline = _evaluate_subset(retrieval_baseline(uppers, train), settings, split, uppers)
        report[split] = {
            **scored,
            "from_memory": remembered / len(uppers),
            "model_alone": {
                k: alone[k] for k in ("bleu", "bleu_novel", "exact", "rules", "measures") if k in alone
            },
            "retrieval_baseline": {k: baseline[k] for k in ("bleu", "bleu_novel", "exact") if k in baseline},
            "latency_ms_p50": statistics.median(latencies),
            "latency_ms_p95": statistics.quantiles(latencies, n=20)[-1],
            "throughput_lines_s_batched": throughput,
        }
        (RESULTS / f"generator_{split}_predictions.tsv").write_text(
            "".join(f"{u}\t{preds[u]}\n" for u in uppers), encoding="utf-8"
        )
        if split == "test":
            refs = references_by_upper(read_split(settings.prepared_dir, "test"))
            answers = [
                [c.lower for c in r]
                for i in range(0, len(uppers), args.batch)
                for r in generator.generate_batch(uppers[i : i + args.batch], n=3)
            ]
            report["test"]["diversity_n3"] = asdict(diversity(answers))
            latencies_n3 = [_timed(generator, u) for u in uppers[: args.latency_lines]]
            report["test"]["latency_ms_p50_n3"] = statistics.median(latencies_n3)
            report["test"]["diversity_references"] = asdict(diversity(refs[u] for u in uppers))
            sample = random.Random(0).sample(uppers, min(20, len(uppers)))
            report["examples"] = [{"upper": u, "ours": preds[u], "reference": refs[u][0]} for u in sample]
    uppers = list(references_by_upper(read_split(settings.prepared_dir, "test")))[: args.limit]
    report["beam_sweep"] = []
    for beams in args.beams:
        options = DecodeOptions(beams=beams)
        if beams == DecodeOptions().beams and "test" in alone_preds:
            preds = alone_preds["test"]  # the model alone at its default beam was scored above
        else:
            preds, _, _ = predict(model_only, uppers, batch=args.batch, options=options)
        _, latencies, _ = predict(model_only, uppers[: args.latency_lines], batch=1, options=options)
        scored = _evaluate_subset(preds, settings, "test", uppers)
        report["beam_sweep"].append(
            {
                "beams": beams,
                "bleu": scored["bleu"],
                "bleu_novel": scored.get("bleu_novel"),
                "lower_ends_ping": scored["rules"]["lower_ends_ping"],
                "latency_ms_p50": statistics.median(latencies),
                "latency_ms_p95": statistics.quantiles(latencies, n=20)[-1],
            }
        )
    report["default_beams"] = DecodeOptions().beams
    report["rss_mb"] = rss_mb()
    report["rss_mb_model"] = report["rss_mb"] - rss_before
    report["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "generator.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(format_table(report))


def _timed(generator: Generator, upper: str) -> float:
    """Milliseconds for the product's default answer: three lower lines."""
    started = time.perf_counter()
    generator.generate(upper, n=3)
    return (time.perf_counter() - started) * 1000


def _evaluate_subset(preds: dict[str, str], settings: Settings, split: str, uppers: list[str]) -> dict:
    if len(uppers) == len(references_by_upper(read_split(settings.prepared_dir, split))):
        return evaluate(preds, settings.prepared_dir, split)
    # --limit: score only what was generated
    wanted = set(uppers)
    refs = {
        u: lowers
        for u, lowers in references_by_upper(read_split(settings.prepared_dir, split)).items()
        if u in wanted
    }
    return {"split": split, **score(preds, refs), **measure(preds, refs, settings.prepared_dir)}


def format_table(report: dict) -> str:
    rows = [
        f"model {report['model']} ({report['parameters_m']:.1f}M parameters), load {report['load_seconds']:.2f}s, "
        f"RSS {report['rss_mb']:.0f} MB, {report['threads']} threads, load average "
        f"{report['load_average_before'][0]:.1f} before, {report['load_average_after'][0]:.1f} after"
    ]
    sets = [split for split in ("test", "classic") if split in report]
    header = (
        f"{'set':<8}{'n':>6}{'BLEU':>8}{'novel':>8}{'model':>8}{'m.novel':>8}{'base':>8}{'b.novel':>8}"
        f"{'memory':>8}{'exact':>8}{'p50 ms':>9}{'p95 ms':>9}{'lines/s':>9}"
    )
    rows.append(header)
    for split in sets:
        r = report[split]
        b, m = r["retrieval_baseline"], r["model_alone"]
        rows.append(
            f"{split:<8}{r['n']:>6}{r['bleu']:>8.2f}{r.get('bleu_novel', float('nan')):>8.2f}{m['bleu']:>8.2f}"
            f"{m.get('bleu_novel', float('nan')):>8.2f}{b['bleu']:>8.2f}"
            f"{b.get('bleu_novel', float('nan')):>8.2f}{r['from_memory']:>8.1%}{r['exact']:>8.1%}{r['latency_ms_p50']:>9.1f}"
            f"{r['latency_ms_p95']:>9.1f}{r['throughput_lines_s_batched']:>9.1f}"
        )
    rows.append("BLEU/novel/rules: product (corpus memory + model); model: the model alone; base: retrieval")
    for split in sets:
        rows.append(
            f"{split + ' rules:':<17}" + "  ".join(f"{k} {v:.1%}" for k, v in report[split]["rules"].items())
        )
    for split in sets:
        r = report[split]
        columns = {
            "product": r["measures"],
            "model": r["model_alone"]["measures"],
            "references": r["measures_references"],
        }
        rows.append(f"\nmeasures on {split}\n{format_measures(columns)}")
    ours, theirs = report["test"]["diversity_n3"], report["test"]["diversity_references"]
    rows.append(
        f"n=3 answers on test: near copies {_fmt(ours['near_copy_share'], '.1%')}, positions apart "
        f"{_fmt(ours['mean_differing'], '.2f')}, p50 {report['test']['latency_ms_p50_n3']:.1f} ms"
    )
    rows.append(
        f"references of the {theirs['answers']} test upper lines with several: near copies "
        f"{_fmt(theirs['near_copy_share'], '.1%')}, positions apart "
        f"{_fmt(theirs['mean_differing'], '.2f')}"
    )
    rows.append(f"\nmodel alone on the test split, batch 1 (product default: beam {report['default_beams']})")
    rows.append(f"{'beams':>6}{'BLEU':>8}{'novel':>8}{'ends 平':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for r in report["beam_sweep"]:
        novel = r["bleu_novel"] if r["bleu_novel"] is not None else float("nan")
        rows.append(
            f"{r['beams']:>6}{r['bleu']:>8.2f}{novel:>8.2f}{r['lower_ends_ping']:>9.1%}"
            f"{r['latency_ms_p50']:>9.1f}{r['latency_ms_p95']:>9.1f}"
        )
    return "\n".join(rows)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


if __name__ == "__main__":
    main()
