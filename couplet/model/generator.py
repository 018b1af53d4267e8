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
from couplet.measures import explain
from couplet.memory import CorpusMemory
from couplet.model.decoding import CoupletConstraints, TokenTable
from couplet.model.incremental import IncrementalDecoder
from couplet.model.search import SearchInput, beam_search, sample
from couplet.rules import RuleResult, broken_hard_rules, check, is_punct

log = logging.getLogger(__name__)

# Rerank weights, in nats of per-character model log-probability: a lower line that ends on 平 may
# cost the model this much more and still win; tone opposition is a softer preference.
W_ENDS_PING = 0.3
W_TONE_OPPOSITION = 0.2


@dataclass(frozen=True)
class Candidate:
    upper: str
    lower: str
    score: float
    model_score: float
    rules: dict[str, RuleResult]
    source: str = "model"
    """`model` (written by the generator) or `memory` (a corpus lower line of the same upper line)."""

    def to_dict(self) -> dict:
        return {
            "lower": self.lower,
            "source": self.source,
            "score": round(self.score, 4),
            "model_score": round(self.model_score, 4),
            "rules": {k: {"passed": r.passed, "score": round(r.score, 3)} for k, r in self.rules.items()},
            "positions": explain(self.upper, self.lower),
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
        self.load_seconds = time.perf_counter() - started
        log.info("generator loaded from %s in %.2fs", model_dir, self.load_seconds)

    def generate(self, upper: str, n: int = 3, options: DecodeOptions | None = None) -> list[Candidate]:
        return self.generate_batch([upper], n, options)[0]

    @torch.inference_mode()
    def generate_batch(self, uppers: list[str], n: int = 3, options: DecodeOptions | None = None) -> list[list[Candidate]]:
        """Ranked candidates for each (already validated) upper line.

        Unless sampling, the corpus's lower lines of the same upper line join the model's, scored the same
        way, and all are ranked by score: a human line leads only where the model rates it best.
        """
        opts = options or DecodeOptions()
        written = self._search(uppers, n, opts)
        if opts.sample:
            return [cands[:n] for cands in written]
        results = []
        for cands, known in zip(written, self._remembered(uppers), strict=True):
            lowers = {c.lower for c in known}
            ranked = sorted(known + [c for c in cands if c.lower not in lowers], key=lambda c: c.score, reverse=True)
            results.append(ranked[:n])
        return results

    def _search(self, uppers: list[str], n: int, opts: DecodeOptions) -> list[list[Candidate]]:
        """The model's ranked lower lines: constrained beam search (or sampling), reranked by the rules."""
        pad = self.tokenizer.pad_token_id
        ids = self._padded([self._ids(u) for u in uppers], pad)
        src = SearchInput(ids, ids.ne(pad), [len(u) for u in uppers],
                          start_token=self.model.config.decoder_start_token_id, pad_token=pad)
        rows_per_upper = n if opts.sample else max(opts.beams, n)
        constraints = CoupletConstraints(uppers, self._table, self.badwords, rows_per_upper)
        if opts.sample:
            out = sample(self.decoder, src, constraints, n, opts.temperature, opts.top_k, opts.seed)
        else:
            out = beam_search(self.decoder, src, constraints, rows_per_upper)
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

    def _remembered(self, uppers: list[str]) -> list[list[Candidate]]:
        """For each upper line, the corpus's lower lines of it that pass the hard rules and the bad-word list."""
        if self.memory is None:
            return [[] for _ in uppers]
        found = [(k, lower) for k, upper in enumerate(uppers) for lower in self.memory.recall(upper)
                 if self._allowed(upper, lower)]
        scores = self._model_scores([(uppers[k], lower) for k, lower in found])
        out: list[list[Candidate]] = [[] for _ in uppers]
        for (k, lower), score in zip(found, scores, strict=True):
            out[k].append(self._candidate(uppers[k], lower, score, source="memory"))
        return out

    def _allowed(self, upper: str, lower: str) -> bool:
        if broken_hard_rules(upper, lower):
            return False
        return self.badwords is None or self.badwords.find(lower) is None

    def _model_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Mean log-probability per token of each lower line given its upper line (the scale of beam
        scores), all in one forward pass."""
        if not pairs:
            return []
        pad = self.tokenizer.pad_token_id
        # Each upper line is encoded once, however many lower lines it has (one corpus line has 173).
        uppers = {upper: k for k, upper in enumerate(dict.fromkeys(upper for upper, _ in pairs))}
        enc = self._padded([self._ids(upper) for upper in uppers], pad)
        states = self.model.get_encoder()(input_ids=enc, attention_mask=enc.ne(pad)).last_hidden_state
        rows = torch.tensor([uppers[upper] for upper, _ in pairs], device=self.device)
        targets = [self._ids(lower) for _, lower in pairs]
        start = self.model.config.decoder_start_token_id
        steps = self._padded([[start, *ids[:-1]] for ids in targets], pad)
        logits = self.model(encoder_outputs=(states[rows],), attention_mask=enc.ne(pad)[rows],
                            decoder_input_ids=steps).logits
        wanted = self._padded(targets, pad)
        real = wanted.ne(pad)
        logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, wanted.unsqueeze(-1)).squeeze(-1)
        return (logp.masked_fill(~real, 0.0).sum(dim=1) / real.sum(dim=1)).tolist()

    def _padded(self, rows: list[list[int]], fill: int) -> torch.Tensor:
        out = torch.full((len(rows), max(map(len, rows))), fill)
        for k, row in enumerate(rows):
            out[k, : len(row)] = torch.tensor(row)
        return out.to(self.device)

    def _ids(self, line: str) -> list[int]:
        """Token ids of a line, one per character, then the end token."""
        unk = self.tokenizer.unk_token_id
        return [self._table.vocab.get(c, unk) for c in line] + [self.tokenizer.eos_token_id]

    def _text(self, upper: str, ids: list[int]) -> str:
        chars = [self._table.id_to_char.get(i, "") for i in ids[1 : len(upper) + 1]]
        # Punctuation is forced in the search; copying it here keeps marks the vocabulary lacks.
        return "".join(u if is_punct(u) else c for u, c in zip(upper, chars, strict=True))

    @staticmethod
    def _candidate(upper: str, lower: str, model_score: float, source: str = "model") -> Candidate:
        rules = check(upper, lower)
        score = (
            model_score
            + W_ENDS_PING * rules["lower_ends_ping"].score
            + W_TONE_OPPOSITION * rules["tone_opposition"].score
        )
        return Candidate(upper=upper, lower=lower, score=score, model_score=model_score, rules=rules, source=source)
