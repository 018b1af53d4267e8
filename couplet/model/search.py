"""Fixed-length search over the incremental decoder: beam search, or seeded sampling for variety.

A lower line has exactly its upper line's length, so every hypothesis of one upper line ends at the
same step. The search is therefore a plain loop of ``length + 1`` steps (the last one writes the end
token) with no finished-hypothesis bookkeeping. The couplet rules come in as a `transformers`
``LogitsProcessor`` applied to the log-probabilities at every step, exactly as ``generate`` applies
it; ``tests/couplet/test_search.py`` checks that both searches find the same lines.

Beam search may also plan adjacent repeats (``Lookahead``): where the upper line repeats a character
at once (习习), the lower line's character at the first slot is forced again at the second, so a token
that is likely only at the first slot (扬 after 弘) leads to a pair that breaks sense (弘扬扬). There
each row's best few tokens are scored together with the model's log-probability of the same token at
the second slot, one extra decoder step, and the second slot then adds nothing: a line's score stays
the sum of its tokens' log-probabilities, only the pruning at the first slot sees one step further.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import LogitsProcessor

from couplet.model.incremental import DecoderState, IncrementalDecoder


@dataclass(frozen=True)
class Hypotheses:
    sequences: torch.Tensor  # (rows, steps + 1): the decoder start token, the line, its end token, padding
    scores: torch.Tensor  # (rows,) mean log-probability per token of the line and its end token


@dataclass(frozen=True)
class SearchInput:
    input_ids: torch.Tensor  # (sources, width), padded
    attention_mask: torch.Tensor
    lengths: list[int]  # characters in each source line
    start_token: int
    pad_token: int


@dataclass(frozen=True)
class Lookahead:
    """Where beam search plans a repeat: per source, the positions whose token the next position mirrors."""

    starts: list[frozenset[int]]
    width: int
    """Tokens per row scored with the lookahead; at least the beam width, so that nothing the plain
    search could keep is left out."""

    def sources_at(self, position: int, device: torch.device) -> torch.Tensor:
        return torch.tensor(
            [k for k, s in enumerate(self.starts) if position in s], dtype=torch.long, device=device
        )


def beam_search(
    decoder: IncrementalDecoder,
    src: SearchInput,
    processor: LogitsProcessor,
    beams: int,
    lookahead: Lookahead | None = None,
) -> Hypotheses:
    """The ``beams`` best lines per source, best first, under the processor's constraints."""
    sources, device = len(src.lengths), src.input_ids.device
    state = decoder.start(src.input_ids, src.attention_mask, beams)
    tokens = _token_counts(src, beams)
    seqs = torch.full((sources * beams, 1), src.start_token, device=device)
    totals = torch.zeros(sources, beams, device=device)
    totals[:, 1:] = float("-1e9")  # the beams start identical: only the first one may expand
    for position in range(max(src.lengths) + 1):
        logp, state = _next_logprobs(decoder, state, seqs, processor, tokens, src.pad_token)
        if lookahead is not None:
            logp = _plan_repeats(decoder, state, logp, lookahead, position)
        vocab = logp.shape[1]
        totals, best = (totals.view(-1, 1) + logp).view(sources, beams * vocab).topk(beams, dim=1)
        origin = (torch.arange(sources, device=device)[:, None] * beams + best // vocab).view(-1)
        seqs = torch.cat([seqs[origin], (best % vocab).view(-1, 1)], dim=1)
        state = state.select(origin)
    return Hypotheses(seqs, totals.view(-1) / tokens)


def sample(
    decoder: IncrementalDecoder,
    src: SearchInput,
    processor: LogitsProcessor,
    per_source: int,
    temperature: float,
    top_k: int,
    seed: int | None,
) -> Hypotheses:
    """``per_source`` lines per source drawn token by token (temperature, top-k); a seed makes them repeatable."""
    device = src.input_ids.device
    rng = torch.Generator(device).manual_seed(seed) if seed is not None else None
    state = decoder.start(src.input_ids, src.attention_mask, per_source)
    tokens = _token_counts(src, per_source)
    seqs = torch.full((len(src.lengths) * per_source, 1), src.start_token, device=device)
    totals = torch.zeros(len(seqs), device=device)
    for _ in range(max(src.lengths) + 1):
        logp, state = _next_logprobs(decoder, state, seqs, processor, tokens, src.pad_token)
        weights = logp / temperature
        kth = weights.topk(min(top_k, weights.shape[1]), dim=1).values[:, -1:]
        weights = weights.masked_fill(weights < kth, float("-inf"))
        chosen = torch.multinomial(torch.softmax(weights, dim=1), 1, generator=rng)
        totals += logp.gather(1, chosen).squeeze(1)
        seqs = torch.cat([seqs, chosen], dim=1)
    return Hypotheses(seqs, totals / tokens)


def _plan_repeats(
    decoder: IncrementalDecoder, state: DecoderState, logp: torch.Tensor, lookahead: Lookahead, position: int
) -> torch.Tensor:
    """``logp`` with the next position's log-probability of the same token added at a repeat's first slot,
    and taken away at its second (it was counted already)."""
    mirrored = state.rows_of(lookahead.sources_at(position - 1, logp.device))
    first = lookahead.sources_at(position, logp.device)
    if not len(mirrored) and not len(first):
        return logp
    logp = logp.clone()
    if len(mirrored):
        # The forced token is the row's only finite entry.
        logp[mirrored] = torch.where(logp[mirrored].isfinite(), 0.0, float("-inf"))
    if len(first):
        rows = state.rows_of(first)
        here, tried = logp[rows].topk(lookahead.width, dim=1)  # (rows, width)
        logits, _ = decoder.step(tried.view(-1), state.branch(first, lookahead.width))
        there = torch.log_softmax(logits.float(), dim=-1).gather(1, tried.view(-1, 1)).view_as(tried)
        logp[rows] = torch.full_like(logp[rows], float("-inf")).scatter(1, tried, here + there)
    return logp


def _token_counts(src: SearchInput, rows_per_source: int) -> torch.Tensor:
    """Tokens each row writes: its line and the end token."""
    return torch.tensor(src.lengths, device=src.input_ids.device).repeat_interleave(rows_per_source) + 1


def _next_logprobs(
    decoder: IncrementalDecoder,
    state: DecoderState,
    seqs: torch.Tensor,
    processor: LogitsProcessor,
    tokens: torch.Tensor,
    pad: int,
) -> tuple[torch.Tensor, DecoderState]:
    """Constrained log-probabilities of every row's next token; rows whose line is complete may only pad, at no cost."""
    logits, state = decoder.step(seqs[:, -1], state)
    logp = processor(seqs, torch.log_softmax(logits.float(), dim=-1))
    finished = seqs.shape[1] > tokens
    if finished.any():
        logp[finished] = float("-inf")
        logp[finished, pad] = 0.0
    return logp, state
