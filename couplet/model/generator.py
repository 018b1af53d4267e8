"""Lower lines for an upper line: constrained beam search (or seeded sampling), then reranking by rules."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import BartForConditionalGeneration, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from core.errors import DataError
from couplet.badwords import BadWords
from couplet.matching.synonyms import load_synonyms
from couplet.measures import pos_classes
from couplet.memory import CorpusMemory
from couplet.model import rerank
from couplet.model.decoding import CoupletConstraints, TokenTable, adjacent_repeats
from couplet.model.incremental import IncrementalDecoder
from couplet.model.search import Lookahead, SearchInput, beam_search, sample
from couplet.model.stock import load_stock_phrases
from couplet.rules import RuleResult, broken_hard_rules, check, is_punct

log = logging.getLogger(__name__)

# Rerank weights, in nats of per-character model log-probability: a lower line that ends on 平 may
# cost the model 0.3 more and still win. Chosen on the dev split by benchmarks/rerank.py (README, "Reranking").
WEIGHTS = rerank.Weights(ends_ping=0.3, tone_opposition=0.4, parallelism=0.1, stock=0.3, hezhang=0.2)
# Beam rows per asked line, plus one, when several are asked: enough alternatives that the n need not be
# near copies. Three answers on the test split held a near copy in 22.9% of cases from 5 rows, 12.8% from
# 6, 7.4% from 7 (this), 3.3% from 9; each row costs about 1 ms a line.
ROWS_PER_ANSWER = 2
# Tokens per beam row tried with a lookahead at the first slot of an adjacent repeat, in beam widths.
LOOKAHEAD_WIDTHS = 2


@dataclass(frozen=True)
class Candidate:
    lower: str
    score: float
    model_score: float
    rules: dict[str, RuleResult]
    source: str = "model"
    """`model` (written by the generator) or `memory` (a corpus lower line of a nearly identical upper line)."""

    def to_dict(self) -> dict:
        return {
            "lower": self.lower,
            "source": self.source,
            "score": round(self.score, 4),
            "model_score": round(self.model_score, 4),
            "rules": {k: {"passed": r.passed, "score": round(r.score, 3)} for k, r in self.rules.items()},
        }


@dataclass(frozen=True)
class DecodeOptions:
    beams: int = 5
    sample: bool = False
    temperature: float = 1.0
    top_k: int = 20
    seed: int | None = None


class Generator:
    def __init__(self, model_dir: Path, badwords: BadWords | None, device: str = "cpu",
                 memory: CorpusMemory | None = None) -> None:
        if not (model_dir / "config.json").exists():
            raise DataError(f"no generator model in {model_dir}: train one with `couplet train`")
        started = time.perf_counter()
        hf_logging.disable_progress_bar()  # a server log wants one line per load, not a bar
        self.tokenizer = PreTrainedTokenizerFast.from_pretrained(model_dir)
        # Shipped weights are fp16; fp32 is faster than either half type for batch-1 CPU decoding.
        self.model = BartForConditionalGeneration.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
        self.decoder = IncrementalDecoder(self.model)
        self.badwords = badwords
        self.memory = memory
        self.device = device
        self._table = TokenTable(self.tokenizer)
        self.stock = load_stock_phrases()
        self.synonyms = rerank.synonym_pairs(load_synonyms())
        pos_classes("春风化雨")  # jieba loads its dictionary on first use: at load, not in a request
        self.load_seconds = time.perf_counter() - started
        log.info("generator loaded from %s in %.2fs", model_dir, self.load_seconds)

    def generate(self, upper: str, n: int = 3, options: DecodeOptions | None = None) -> list[Candidate]:
        return self.generate_batch([upper], n, options)[0]

    @torch.inference_mode()
    def generate_batch(self, uppers: list[str], n: int = 3, options: DecodeOptions | None = None) -> list[list[Candidate]]:
        """Ranked candidates for each (already validated) upper line."""
        opts = options or DecodeOptions()
        known = [None if opts.sample else self._remembered(u) for u in uppers]
        # A person's answer to a nearly identical line beats the model's: it leads and the model fills
        # the rest, so a remembered line that is all that was asked for needs no search at all.
        need = [u for u, k in zip(uppers, known, strict=True) if k is None or n > 1]
        written = dict(zip(need, self._search(need, n, opts), strict=True)) if need else {}
        results = []
        for upper, k in zip(uppers, known, strict=True):
            cands = [c for c in written.get(upper, []) if k is None or c.lower != k.lower]
            results.append([k, *cands[: n - 1]] if k else cands[:n])
        return results

    def _search(self, uppers: list[str], n: int, opts: DecodeOptions) -> list[list[Candidate]]:
        """The model's lower lines, the first ``n`` not near copies of each other where the search offers
        enough others (beam search then keeps ROWS_PER_ANSWER rows per asked line, plus one)."""
        rows = n if opts.sample else opts.beams if n == 1 else max(opts.beams, ROWS_PER_ANSWER * n + 1)
        results = []
        for cands in self.nbest(uppers, rows, opts):
            results.append([cands[k] for k in rerank.diverse([c.lower for c in cands], n)])
        return results

    def nbest(self, uppers: list[str], rows_per_upper: int, opts: DecodeOptions) -> list[list[Candidate]]:
        """Every distinct lower line of a constrained beam search (or sampling) with ``rows_per_upper`` rows
        per upper line, ranked by score."""
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(uppers), max(len(u) for u in uppers) + 1), pad)
        for k, u in enumerate(uppers):
            ids[k, : len(u) + 1] = torch.tensor(self._ids(u))
        src = SearchInput(ids.to(self.device), ids.ne(pad).to(self.device), [len(u) for u in uppers],
                          start_token=self.model.config.decoder_start_token_id, pad_token=pad)
        constraints = CoupletConstraints(uppers, self._table, self.badwords, rows_per_upper)
        if opts.sample:
            out = sample(self.decoder, src, constraints, rows_per_upper, opts.temperature, opts.top_k, opts.seed)
        else:
            lookahead = Lookahead([adjacent_repeats(u) for u in uppers], LOOKAHEAD_WIDTHS * rows_per_upper)
            out = beam_search(self.decoder, src, constraints, rows_per_upper, lookahead)
        sequences, model_scores = out.sequences.tolist(), out.scores.tolist()
        results = []
        for k, upper in enumerate(uppers):
            seen, cands = set(), []
            for r in range(k * rows_per_upper, (k + 1) * rows_per_upper):
                lower = self._text(upper, sequences[r])
                if lower in seen:
                    continue
                seen.add(lower)
                cands.append(self._candidate(upper, lower, model_scores[r]))
            cands.sort(key=lambda c: c.score, reverse=True)
            results.append(cands)
        return results

    def _remembered(self, upper: str) -> Candidate | None:
        """The corpus lower line of a nearly identical upper line, if it passes the hard rules here."""
        recall = self.memory.recall(upper) if self.memory else None
        if recall is None:
            return None
        if broken_hard_rules(upper, recall.lower):
            return None
        if self.badwords is not None and self.badwords.find(recall.lower):
            return None
        return self._candidate(upper, recall.lower, self._model_score(upper, recall.lower), source="memory")

    def _model_score(self, upper: str, lower: str) -> float:
        """Mean log-probability per token of ``lower`` under the model (the scale of beam scores)."""
        enc = torch.tensor([self._ids(upper)], device=self.device)
        labels = torch.tensor([self._ids(lower)], device=self.device)
        logits = self.model(input_ids=enc, labels=labels).logits
        return float(torch.log_softmax(logits.float(), dim=-1).gather(-1, labels.unsqueeze(-1)).mean())

    def _ids(self, line: str) -> list[int]:
        """Token ids of a line, one per character, then the end token."""
        unk = self.tokenizer.unk_token_id
        return [self._table.vocab.get(c, unk) for c in line] + [self.tokenizer.eos_token_id]

    def _text(self, upper: str, ids: list[int]) -> str:
        chars = [self._table.id_to_char.get(i, "") for i in ids[1 : len(upper) + 1]]
        # Punctuation is forced in the search; copying it here keeps marks the vocabulary lacks.
        return "".join(u if is_punct(u) else c for u, c in zip(upper, chars, strict=True))

    def _candidate(self, upper: str, lower: str, model_score: float, source: str = "model") -> Candidate:
        rules = check(upper, lower)
        score = model_score + self.features(upper, lower, rules).bonus(WEIGHTS)
        return Candidate(lower=lower, score=score, model_score=model_score, rules=rules, source=source)

    def features(self, upper: str, lower: str, rules: dict[str, RuleResult] | None = None) -> rerank.Features:
        """What the rerank adds to the model's score, feature by feature."""
        return rerank.features(upper, lower, rules or check(upper, lower), self.stock, self.synonyms)
