"""Corpus BLEU over characters, with every reference lower line the data has for an upper line."""

from __future__ import annotations

from collections import defaultdict

import sacrebleu


def references_by_upper(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    refs: dict[str, list[str]] = defaultdict(list)
    for upper, lower in pairs:
        refs[upper].append(lower)
    return dict(refs)


def char_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    """sacrebleu corpus BLEU on space-separated characters (tokenize='none')."""
    if not hypotheses:
        return 0.0
    depth = max(len(r) for r in references)
    # sacrebleu wants one stream per reference slot; shorter lists are padded with None (ignored).
    streams = [[" ".join(r[k]) if k < len(r) else None for r in references] for k in range(depth)]
    hyps = [" ".join(h) for h in hypotheses]
    return sacrebleu.corpus_bleu(hyps, streams, tokenize="none").score
