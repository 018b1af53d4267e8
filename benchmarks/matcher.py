"""Benchmark the upper-line matcher over the full index (run `couplet index build` first).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/matcher.py [--queries 1000] [--latency 500] [--ivf-too]

- Retrieval on held-out lines (the test split's upper lines: in neither the index nor the encoder's
  training data): a query is 2-3 words of a line, (a) verbatim or (b) with each word replaced by a
  modern near-synonym from couplet/matching/synonyms.tsv; hit@10 = one of the 10 returned lines says
  every concept (the word, or for a modern word one of the classical words it stands for, as a whole
  word of the line's segmentation). Systems: the keyword baseline (characters and bigrams, score =
  hits), the keyword fallback (whole words of the corpus store, with the table's classical forms), the
  encoder alone, and the encoder with the matcher's concept re-scoring.
- Latency p50/p95 of a search (query encoding included) and of a whole `match()` call; recall@10 of
  the HNSW index against exact search over the same vectors, for several efSearch (with
  --ivf-too, also of IVF indexes built in memory from the same vectors, the rejected alternative);
  resident memory of the loaded index (measured in a fresh process); build time and encoder
  throughput; example picks.

Prints tables and writes benchmarks/results/matcher.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import torch

from core.settings import Settings
from couplet.matching import match
from couplet.matching.encoder import embed
from couplet.matching.keyword import KeywordIndex, top, word_hits
from couplet.matching.matcher import concept_lines, concepts_of, query_vector, rescored
from couplet.matching.query import QueryWord, line_units
from couplet.matching.synonyms import load_synonyms
from couplet.resources import get_badwords, get_encoder, get_vector_index
from couplet.splits import read_split
from couplet.words import segment

RESULTS = Path(__file__).resolve().parent / "results"
MIN_LEN, MAX_LEN = 5, 11
EXAMPLES = [
    ["山", "湖"],
    ["夕阳", "湖泊"],
    ["狗"],
    ["月亮", "天空"],
    ["花朵", "春天"],
    ["大海", "船"],
    ["雪", "松树"],
    ["小鸟", "树木"],
    ["城市", "夜晚"],
    ["茶", "书本"],
]


@dataclass(frozen=True)
class Query:
    words: list[str]
    concepts: list[frozenset[str]]
    source: str


def held_out_queries(lines: list[str], n: int, seed: int) -> tuple[list[Query], list[Query]]:
    """(verbatim, modern) queries of 2-3 words from held-out lines."""
    synonyms = load_synonyms()
    rng = random.Random(seed)
    verbatim, modern = [], []
    for line in rng.sample(lines, len(lines)):
        units = line_units(line, segment(line))
        if len(verbatim) < n and len(units) >= 2:
            words = rng.sample(units, min(len(units), rng.randint(2, 3)))
            verbatim.append(Query(words, [frozenset([w]) for w in words], line))
        # Classical words of the line the table can say in modern words: whole units or their characters.
        known = list(
            dict.fromkeys(
                [u for u in units if u in synonyms.modern]
                + [ch for u in units for ch in u if ch in synonyms.modern and ch != u]
            )
        )
        if len(modern) < n and len(known) >= 2:
            picked = rng.sample(known, min(len(known), rng.randint(2, 3)))
            words = [rng.choice(synonyms.modern[w]) for w in picked]
            modern.append(Query(words, [synonyms.concept(w) for w in words], line))
        if len(verbatim) >= n and len(modern) >= n:
            break
    return verbatim, modern


def says_all(line: str, concepts: list[frozenset[str]]) -> bool:
    words = set(segment(line))
    return all(concept & words for concept in concepts)


def hit_rate(queries: list[Query], system, lines: list[str]) -> float:
    return sum(any(says_all(lines[i], q.concepts) for i in system(q)[:10]) for q in queries) / len(queries)


def percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(values, 50)), 2),
        "p95": round(float(np.percentile(values, 95)), 2),
    }


def rss_of_loaded_index() -> dict:
    """Resident memory of a fresh process before and after loading the index and running 300 queries;
    file-backed pages (the memory-mapped index among them) are shared by every worker."""
    code = r"""
import json, resource, sys
import torch
torch.set_num_threads(1)
def rss(field="VmRSS"):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
from couplet.matching import match
from couplet.resources import get_encoder, get_vector_index, get_badwords
from core.settings import Settings
s = Settings.from_env()
get_badwords(s)
base = rss()
get_encoder(s)
enc, enc_file = rss(), rss("RssFile")
index = get_vector_index(s)
loaded = rss()
tags = ["山", "水", "月亮", "夕阳", "湖泊", "花", "狗", "大海", "春天", "松树", "城市", "茶"]
for i in range(300):
    match([(tags[i % 12], 0.9), (tags[(i * 7 + 3) % 12], 0.5)], k=3, seed=i, settings=s)
print(json.dumps({"process_before_mb": base, "encoder_mb": enc - base, "index_loaded_mb": loaded - enc,
                  "index_after_300_queries_mb": rss() - enc,
                  "of_which_file_backed_shared_mb": rss("RssFile") - enc_file, "process_mb": rss()}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {k: round(v, 1) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000, help="held-out queries per kind")
    parser.add_argument("--latency", type=int, default=500, help="queries timed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--ivf-too", action="store_true", help="also measure IVF indexes (builds them, minutes)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    settings = Settings.from_env()
    synonyms, badwords = load_synonyms(), get_badwords(settings)
    t0 = time.perf_counter()
    index, encoder = get_vector_index(settings), get_encoder(settings)
    load_s = time.perf_counter() - t0
    if index is None:
        sys.exit("no usable vector index (the log above says why): run `couplet index build`")
    table, meta = index.table, index.meta
    keywords = KeywordIndex(table.lines)
    lines = table.lines
    allowed = table.allowed(MIN_LEN, MAX_LEN, False)

    def encode(texts):
        return embed(encoder, texts)

    def qwords(q: Query) -> list[QueryWord]:
        return [QueryWord(w, 1 / len(q.words)) for w in q.words]

    def oracle(q: Query) -> list[int]:
        """Ten allowed lines that say every concept, if there are any: the best any system could do."""
        ids = concept_lines(concepts_of(qwords(q), synonyms), table)
        return [i for i in ids[allowed[ids]] if says_all(lines[i], q.concepts)][:10]

    systems = {
        "upper bound: some line of the index says every concept": oracle,
        "keyword baseline (chars + bigrams, score = hits)": lambda q: top(
            keywords.scores([([w], 1.0) for w in q.words]), allowed, 10
        ),
        "keyword fallback (whole words + classical forms of the synonym table)": lambda q: top(
            word_hits([(synonyms.concept(w), 1.0) for w in q.words], table), allowed, 10
        ),
        "encoder (cosine only)": lambda q: index.search(
            query_vector(qwords(q), encode), 10, MIN_LEN, MAX_LEN, False
        )[0],
        "matcher: encoder + exact-concept candidates + re-scoring": lambda q: rescored(
            qwords(q), frozenset(), index, encode, synonyms, badwords, MIN_LEN, MAX_LEN, False
        )[0],
    }
    test_uppers = list(dict.fromkeys(u for u, _ in read_split(settings.prepared_dir, "test")))
    assert not set(test_uppers) & set(lines), "held-out lines must not be in the index"
    verbatim, modern = held_out_queries(test_uppers, args.queries, args.seed)
    quality = {}
    print(
        f"\nhit@10 on held-out lines ({len(verbatim)} verbatim / {len(modern)} modern queries, lines of {MIN_LEN}-{MAX_LEN})"
    )
    print(f"{'system':<60} {'(a) verbatim':>13} {'(b) modern':>11}")
    for name, system in systems.items():
        quality[name] = {
            "verbatim": round(hit_rate(verbatim, system, lines), 4),
            "modern": round(hit_rate(modern, system, lines), 4),
        }
        print(f"{name:<60} {quality[name]['verbatim']:>13.1%} {quality[name]['modern']:>11.1%}")

    # Recall@10 of the approximate search against exact search over the same (fp16-decoded) vectors.
    vectors = index.index.reconstruct_n(0, index.index.ntotal)
    sample = (verbatim + modern)[:: max(1, (len(verbatim) + len(modern)) // 300)]
    qvecs = np.stack([query_vector(qwords(q), encode) for q in sample])
    exact_scores = qvecs @ vectors.T
    exact_scores[:, ~allowed] = -np.inf
    exact = np.argsort(-exact_scores, axis=1)[:, :10]

    def sweep(name: str, search, settings_list) -> dict:
        rows = {}
        for value in settings_list:
            found, times = [], []
            for q, ex in zip(sample, exact, strict=True):
                t = time.perf_counter()
                ids = search(query_vector(qwords(q), encode), value)
                times.append(1000 * (time.perf_counter() - t))
                found.append(len(set(ids) & set(ex)) / 10)
            rows[value] = {"recall@10": round(statistics.mean(found), 4), **percentiles(times)}
            print(
                f"{name:<16} {value:>8} {rows[value]['recall@10']:>10.3f} {rows[value]['p50']:>7.2f} {rows[value]['p95']:>7.2f}"
            )
        return rows

    print(
        f"\nrecall@10 against exact search over {len(sample)} queries, and search latency (encoding included)"
    )
    print(f"{'index':<16} {'setting':>8} {'recall@10':>10} {'p50 ms':>7} {'p95 ms':>7}")
    recall = {
        meta.factory: sweep(
            meta.factory,
            lambda q, ef: index.search(q, 10, MIN_LEN, MAX_LEN, False, ef)[0],
            (32, 64, 128, 256, 512),
        )
    }
    if args.ivf_too:
        bitmap = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        for nlist in (1024, 4096):
            ivf = faiss.index_factory(vectors.shape[1], f"IVF{nlist},SQfp16", faiss.METRIC_INNER_PRODUCT)
            ivf.train(vectors[np.random.default_rng(0).permutation(len(vectors))[: 100 * nlist]])
            ivf.add(vectors)

            def ivf_search(q, nprobe, ivf=ivf):
                return ivf.search(q[None], 10, params=faiss.SearchParametersIVF(sel=selector, nprobe=nprobe))[
                    1
                ][0]

            recall[f"IVF{nlist},SQfp16"] = sweep(f"IVF{nlist},SQfp16", ivf_search, (16, 64, 128, 256))

    # Latency of the default search and of whole match() calls, over modern-word tag lists.
    tag_lists = [[(w, 0.9 - 0.2 * i) for i, w in enumerate(q.words)] for q in (modern * 2)[: args.latency]]
    search_ms, match_ms, encode_ms = [], [], []
    for i, tags in enumerate(tag_lists):
        t = time.perf_counter()
        encode([w for w, _ in tags])
        encode_ms.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        index.search(query_vector([QueryWord(w, c) for w, c in tags], encode), 10, MIN_LEN, MAX_LEN, True)
        search_ms.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        match(tags, k=3, seed=i, settings=settings)
        match_ms.append(1000 * (time.perf_counter() - t))
    latency = {
        "encode_tags": percentiles(encode_ms),
        "search_with_encoding": percentiles(search_ms),
        "match_k3": percentiles(match_ms),
    }
    print(f"\nlatency over {len(tag_lists)} tag lists (1 thread), ms")
    for name, p in latency.items():
        print(f"{name:<22} p50 {p['p50']:>6.2f}  p95 {p['p95']:>6.2f}")

    memory = rss_of_loaded_index()
    print(f"\nresident memory (fresh process): {memory}")

    sample_lines = lines[:20000]
    t = time.perf_counter()
    embed(encoder, sample_lines, batch_size=256)
    lines_per_s = len(sample_lines) / (time.perf_counter() - t)
    files = {
        "index_mb": round((settings.index_dir / "vectors.faiss").stat().st_size / 2**20, 1),
        "encoder_mb": round(
            sum(p.stat().st_size for p in settings.matcher_dir.rglob("*") if p.is_file()) / 2**20, 1
        ),
    }
    build = {
        "index": meta.factory,
        "lines": meta.lines,
        "dim": meta.dim,
        "ef_search": index.ef_search,
        "build_seconds": meta.build_seconds,
        "build_embed_lines_per_s": meta.embed_lines_per_second,
        "encoder_lines_per_s_1_thread": round(lines_per_s, 1),
        "load_seconds": round(load_s, 2),
        **files,
    }
    print(f"\nbuild and size: {build}")

    examples = {}
    print("\nexample picks (k=3, seed 0)")
    for tags in EXAMPLES:
        picks = match([(t, 0.9) for t in tags], k=3, seed=0, settings=settings)
        examples[" ".join(tags)] = [{"upper": m.upper, "score": round(m.score, 3)} for m in picks]
        print(f"{' '.join(tags):<10} " + " / ".join(m.upper for m in picks))

    RESULTS.mkdir(exist_ok=True)
    out = {
        "quality_hit@10": quality,
        "queries": {"verbatim": len(verbatim), "modern": len(modern)},
        "query_examples": {
            "verbatim": [q.words for q in verbatim[:5]],
            "modern": [q.words for q in modern[:5]],
        },
        "recall@10_vs_exact": recall,
        "latency_ms": latency,
        "memory_mb": memory,
        "build": build,
        "examples": examples,
    }
    (RESULTS / "matcher.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"\nwritten to {RESULTS / 'matcher.json'}")


if __name__ == "__main__":
    main()
