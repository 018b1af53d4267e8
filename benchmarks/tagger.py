"""Benchmark the local image tagger on the ImageNet samples of the data mirror.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/tagger.py [--limit N] [--threads T]

Top-1 / top-5 over the 1000 ImageNet classes, how often the true class's Chinese word is the first tag
or among the tags, latency per image of `tag()` (decode + preprocess + model + merge) on the sample
JPEGs (≤ 512 px) and on a 12-megapixel JPEG, and model load time. Prints a table and writes
benchmarks/results/tagger.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.settings import Settings
from vision.labels import load_table
from vision.local import DEFAULT_VARIANT, LocalTagger, get_model

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000, help="evaluate every (1000/limit)-th sample")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--variant", default=DEFAULT_VARIANT)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    mirror = Settings.from_env().data_mirror
    if mirror is None:
        raise SystemExit("set COUPLET_DATA_MIRROR to the data mirror (it holds images/imagenet-samples)")
    root = mirror / "images" / "imagenet-samples"
    with (root / "labels.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    rows = rows[:: max(1, len(rows) // args.limit)][: args.limit]

    started = time.perf_counter()
    get_model(args.variant)
    load_s = time.perf_counter() - started
    tagger = LocalTagger(variant=args.variant)
    table = load_table()
    tagger.tag((root / rows[0]["filename"]).read_bytes())  # warm-up: first call allocates

    top1 = top5 = zh_first = zh_any = 0
    latencies = []
    for row in rows:
        image_bytes = (root / row["filename"]).read_bytes()
        truth = int(row["class_index"])
        t0 = time.perf_counter()
        probs = tagger.probabilities(image_bytes)
        tags = tagger.tags_from_probabilities(probs)
        latencies.append((time.perf_counter() - t0) * 1000)
        best = np.argsort(probs)[::-1][:5]
        top1 += int(best[0] == truth)
        top5 += int(truth in best)
        zh_first += int(tags[0].name == table[truth].zh)
        zh_any += int(table[truth].zh in {t.name for t in tags})

    # A 12-megapixel phone-sized JPEG: the JPEG draft mode decides most of this figure.
    big = Image.open(root / rows[0]["filename"]).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    big_latencies = []
    for _ in range(10):
        t0 = time.perf_counter()
        tagger.tag(buffer.getvalue())
        big_latencies.append((time.perf_counter() - t0) * 1000)

    n = len(rows)
    result = {
        "variant": args.variant,
        "images": n,
        "torch_threads": torch.get_num_threads(),
        "top1": top1 / n,
        "top5": top5 / n,
        "zh_first_tag": zh_first / n,
        "zh_in_tags": zh_any / n,
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
        "latency_ms_mean": statistics.fmean(latencies),
        "latency_12mp_ms_p50": percentile(big_latencies, 50),
        "latency_12mp_ms_p95": percentile(big_latencies, 95),
        "model_load_s": load_s,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tagger.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value:.4f}" if isinstance(value, float) else f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
