"""Lower lines for an upper line: constrained beam search (or seeded sampling), then reranking by rules.

The same search serves the editing features: refilling the open positions of a lower line whose
other characters are kept, other choices for one position, and upper lines for a given lower line.
"""

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
from couplet.measures import explain, pos_classes
from couplet.memory import CorpusMemory
from couplet.model import rerank
from couplet.model.decoding import CoupletConstraints, TokenTable, adjacent_repeats
from couplet.model.incremental import DecoderState, IncrementalDecoder
from couplet.model.search import Lookahead, SearchInput, beam_search, sample
from couplet.model.set_answers import load_set_answers
from couplet.model.stock import load_stock_phrases
from couplet.model.tasks import has_markers, keyword_source, reverse_source
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
SHORTLIST = 16
"""Characters for one position rescored as whole lines: the likeliest there given the line before them."""


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
            "rules": rules_dict(self.rules),
            "positions": explain(self.upper, self.lower),
        }


@dataclass(frozen=True)
class UpperCandidate:
    """An upper line written for a given lower line (the other direction)."""

    upper: str
    lower: str
    score: float
    model_score: float
    rules: dict[str, RuleResult]

    def to_dict(self) -> dict:
        return {
            "upper": self.upper,
            "score": round(self.score, 4),
            "model_score": round(self.model_score, 4),
            "rules": rules_dict(self.rules),
            "positions": explain(self.upper, self.lower),
        }


@dataclass(frozen=True)
class Alternative:
    """Another character for one position of a lower line, and the whole line with it."""

    char: str
    char_logprob: float
    """Log-probability of the character at its position given the line before it (what shortlisted it)."""
    candidate: Candidate
    """The lower line with the character, scored as a whole line and ranked like any other."""

    def to_dict(self) -> dict:
        return {"char": self.char, "char_logprob": round(self.char_logprob, 4), **self.candidate.to_dict()}


def rules_dict(rules: dict[str, RuleResult]) -> dict:
    return {k: {"passed": r.passed, "score": round(r.score, 3)} for k, r in rules.items()}


@dataclass(frozen=True)
class DecodeOptions:
    beams: int = 5
    sample: bool = False
    temperature: float = 1.0
    top_k: int = 20
    seed: int | None = None


class Generator:
    def __init__(
        self,
        model_dir: Path,
        badwords: BadWords | None,
        device: str = "cpu",
        memory: CorpusMemory | None = None,
    ) -> None:
        if not (model_dir / "config.json").exists():
            raise DataError(f"no generator model in {model_dir}: train one with `couplet train`")
        started = time.perf_counter()
        hf_logging.disable_progress_bar()  # a server log wants one line per load, not a bar
        self.tokenizer = PreTrainedTokenizerFast.from_pretrained(model_dir)
        # Shipped weights are fp16; fp32 is faster than either half type for batch-1 CPU decoding.
        self.model = (
            BartForConditionalGeneration.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
        )
        self.decoder = IncrementalDecoder(self.model)
        self.badwords = badwords
        self.memory = memory
        self.device = device
        self._table = TokenTable(self.tokenizer)
        self.stock = load_stock_phrases()
        # A lower line of its own must not recite a contest's set answer (couplet.model.set_answers): its
        # telltale pairs are searched around like bad words.
        self.unrecited = BadWords((badwords.words if badwords else frozenset()) | load_set_answers())
        self.synonyms = rerank.synonym_pairs(load_synonyms())
        pos_classes("春风化雨")  # jieba loads its dictionary on first use: at load, not in a request
        self.load_seconds = time.perf_counter() - started
        log.info("generator loaded from %s in %.2fs", model_dir, self.load_seconds)

    def generate(self, upper: str, n: int = 3, options: DecodeOptions | None = None) -> list[Candidate]:
        return self.generate_batch([upper], n, options)[0]

    @torch.inference_mode()
    def generate_batch(
        self, uppers: list[str], n: int = 3, options: DecodeOptions | None = None
    ) -> list[list[Candidate]]:
        """Ranked candidates for each (already validated) upper line.

        Unless sampling, the corpus's lower lines of the same upper line join the model's, scored the same
        way, and all are ranked by score: a human line leads only where the model rates it best.
        """
        opts = options or DecodeOptions()
        found = self.nbest(uppers, self._rows(n, opts), opts)
        if not opts.sample:
            found = [
                _merged(cands, known) for cands, known in zip(found, self._remembered(uppers), strict=True)
            ]
        return [_offered(cands, n) for cands in found]

    @torch.inference_mode()
    def refill(
        self, upper: str, fixed: dict[int, str], n: int = 3, options: DecodeOptions | None = None
    ) -> list[Candidate]:
        """Ranked lower lines that keep the characters ``fixed`` by position (couplet.locks.lock checked them)
        and fill every other position under the hard rules."""
        opts = options or DecodeOptions()
        # The kept characters are the person's: they may spell what a set answer says.
        banned = self.badwords or BadWords(frozenset())
        return _offered(self.nbest([upper], self._rows(n, opts), opts, [fixed], banned)[0], n)

    @torch.inference_mode()
    def uppers_for(
        self, lower: str, n: int = 3, options: DecodeOptions | None = None
    ) -> list[UpperCandidate]:
        """Ranked upper lines for a lower line: the same model and search with the given line as the source
        (a couplet is nearly symmetric), its last character read 仄, reranked by the upper line's rules."""
        reads = [reverse_source(lower)] if self.writes else None
        found = self._lines([lower], n, options or DecodeOptions(), endings=self._table.ze, reads=reads)[0]
        cands = [self._upper_candidate(upper, lower, model_score) for upper, model_score in found]
        return sorted(cands, key=lambda c: c.score, reverse=True)[:n]

    @property
    def writes(self) -> bool:
        """Whether the model learnt the tasks beyond lower lines (couplet/model/tasks.py)."""
        return has_markers(self.tokenizer)

    @torch.inference_mode()
    def write_lines(
        self,
        keywords: list[list[str]],
        length: int,
        rows: int,
        locks: list[dict[int, str]] | None = None,
        ends_ze: bool = True,
        avoid: list[str] | None = None,
    ) -> list[list[tuple[str, float]]]:
        """Lines of ``length`` characters written from each keyword list (the ``write`` task: upper lines,
        so ending on 仄 unless ``ends_ze`` is off), keeping the ``locks`` and none of the ``avoid`` characters;
        every distinct line of the search with its model score."""
        if not self.writes:
            raise DataError(
                "this generator model was not trained to write from keywords: retrain it with "
                "`couplet train --tasks lower,upper,write`"
            )
        reads = [keyword_source(words, length) for words in keywords]
        opts = DecodeOptions(beams=rows)
        endings = self._table.ze if ends_ze else None
        sources = [open_line(length)] * len(keywords)
        return self._lines(sources, rows, opts, locks, endings, reads, avoid)

    @torch.inference_mode()
    def alternatives(self, upper: str, fixed: dict[int, str], count: int) -> list[Alternative]:
        """The ``count`` best characters for the one open character of a lower line (at every position where
        the upper line has it), each passing every hard rule there. The likeliest characters given the line
        before them are shortlisted, then ranked by the whole line's score: the line before them is decoded
        once, the rest of every shortlisted line in one batch from there."""
        open_at = [i for i in range(len(upper)) if i not in fixed]
        if len({upper[i] for i in open_at}) != 1:
            raise ValueError(f"alternatives need one open character of the upper line, not {open_at}")
        table, first = self._table, open_at[0]
        before_ids = [table.vocab.get(fixed[i], table.unk) for i in range(first)]
        decoder_ids = torch.tensor(
            [[self.model.config.decoder_start_token_id, *before_ids]], device=self.device
        )
        source = torch.tensor([self._ids(upper)], device=self.device)
        state = self.decoder.start(source, torch.ones_like(source), 1)
        before = 0.0
        for t in range(first + 1):
            logits, state = self.decoder.step(decoder_ids[:, t], state)
            logp = torch.log_softmax(logits.float(), dim=-1)
            if t < first:
                before += float(logp[0, decoder_ids[0, t + 1]])
        allowed = CoupletConstraints([upper], table, self.badwords, 1, [fixed])(decoder_ids, logp)[0]
        top = allowed.topk(min(int(allowed.isfinite().sum()), max(SHORTLIST, 2 * count)))
        chars = [table.id_to_char[i] for i in top.indices.tolist()]
        lines = ["".join(fixed.get(i, ch) for i in range(len(upper))) for ch in chars]
        if not lines:
            return []
        labels = torch.tensor([self._ids(line)[first:] for line in lines], device=self.device)
        after = self._continuations(state.repeat(len(lines)), logp[0], labels)
        scores = [(before + rest) / (len(upper) + 1) for rest in after]
        found = [
            Alternative(ch, lp, self._candidate(upper, line, score))
            for ch, lp, line, score in zip(chars, top.values.tolist(), lines, scores, strict=True)
            if not (self.badwords and self.badwords.find(line))
        ]  # as in _lines: through a repeat
        return sorted(found, key=lambda a: a.candidate.score, reverse=True)[:count]

    def _continuations(self, state: DecoderState, logp: torch.Tensor, labels: torch.Tensor) -> list[float]:
        """Summed log-probability of each row's ``labels``: the first under ``logp``, the next ones decoded
        from ``state`` (one row per label row), each given the ones before it."""
        total = logp[labels[:, 0]]
        for t in range(1, labels.shape[1]):
            logits, state = self.decoder.step(labels[:, t - 1], state)
            logp_t = torch.log_softmax(logits.float(), dim=-1)
            total = total + logp_t.gather(1, labels[:, t : t + 1]).squeeze(1)
        return total.tolist()

    @staticmethod
    def _rows(n: int, opts: DecodeOptions) -> int:
        """Beam rows per upper line: with several answers asked, ROWS_PER_ANSWER each and one more, so that
        the n need not be near copies."""
        return n if opts.sample else opts.beams if n == 1 else max(opts.beams, ROWS_PER_ANSWER * n + 1)

    def nbest(
        self,
        uppers: list[str],
        rows_per_upper: int,
        opts: DecodeOptions,
        locks: list[dict[int, str]] | None = None,
        banned: BadWords | None = None,
    ) -> list[list[Candidate]]:
        """Every distinct lower line of a constrained beam search (or sampling) with ``rows_per_upper`` rows
        per upper line, ranked by score. ``banned``: the words no line may hold; by default the bad words and
        the telltale pairs of the set answers."""
        found = self._lines(
            uppers, rows_per_upper, opts, locks, banned=self.unrecited if banned is None else banned
        )
        return [
            sorted(
                (self._candidate(upper, lower, model_score) for lower, model_score in lines),
                key=lambda c: c.score,
                reverse=True,
            )
            for upper, lines in zip(uppers, found, strict=True)
        ]

    def _lines(
        self,
        sources: list[str],
        n: int,
        opts: DecodeOptions,
        locks: list[dict[int, str]] | None = None,
        endings: torch.Tensor | None = None,
        reads: list[list[str]] | None = None,
        avoid: list[str] | None = None,
        banned: BadWords | None = None,
    ) -> list[list[tuple[str, float]]]:
        """The distinct lines the constrained search writes for each source line, with their model scores
        (CoupletConstraints says what ``locks`` and ``endings`` are). ``reads``: what the model reads for each
        line where that is not the line itself (a task's input, couplet/model/tasks.py); the rules, the
        written line's length included, still follow the source line. ``banned``: the words the lines may
        not hold, the bad words unless given."""
        banned = self.badwords if banned is None else banned
        pad = self.tokenizer.pad_token_id
        ids = self._padded([self._ids(u) for u in (reads or sources)], pad)
        src = SearchInput(
            ids,
            ids.ne(pad),
            [len(u) for u in sources],
            start_token=self.model.config.decoder_start_token_id,
            pad_token=pad,
        )
        rows_per_source = n if opts.sample else max(opts.beams, n)
        constraints = CoupletConstraints(sources, self._table, banned, rows_per_source, locks, endings, avoid)
        if opts.sample:
            out = sample(self.decoder, src, constraints, n, opts.temperature, opts.top_k, opts.seed)
        else:
            lookahead = Lookahead([adjacent_repeats(u) for u in sources], LOOKAHEAD_WIDTHS * rows_per_source)
            out = beam_search(self.decoder, src, constraints, rows_per_source, lookahead)
        sequences, model_scores = out.sequences.tolist(), out.scores.tolist()
        results = []
        for k, source in enumerate(sources):
            lines: dict[str, float] = {}  # the first of a line's rows is its best
            for r in range(k * rows_per_source, (k + 1) * rows_per_source):
                line = self._text(source, sequences[r], locks[k] if locks else None)
                # The search looks for bad words around each character it writes, not around the copies a
                # repeat makes later in the line; those few lines are dropped here.
                if not (banned and banned.find(line)):
                    lines.setdefault(line, model_scores[r])
            results.append(list(lines.items()))
        return results

    def _remembered(self, uppers: list[str]) -> list[list[Candidate]]:
        """For each upper line, the corpus's lower lines of it that pass the hard rules and the bad-word list."""
        if self.memory is None:
            return [[] for _ in uppers]
        found = [
            (k, lower)
            for k, upper in enumerate(uppers)
            for lower in self.memory.recall(upper)
            if self._allowed(upper, lower)
        ]
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
        logits = self.model(
            encoder_outputs=(states[rows],), attention_mask=enc.ne(pad)[rows], decoder_input_ids=steps
        ).logits
        wanted = self._padded(targets, pad)
        real = wanted.ne(pad)
        logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, wanted.unsqueeze(-1)).squeeze(-1)
        return (logp.masked_fill(~real, 0.0).sum(dim=1) / real.sum(dim=1)).tolist()

    def _padded(self, rows: list[list[int]], fill: int) -> torch.Tensor:
        out = torch.full((len(rows), max(map(len, rows))), fill)
        for k, row in enumerate(rows):
            out[k, : len(row)] = torch.tensor(row)
        return out.to(self.device)

    def _ids(self, tokens: str | list[str]) -> list[int]:
        """Token ids of a line (one per character) or of a task's token list, then the end token."""
        unk = self.tokenizer.unk_token_id
        return [self._table.vocab.get(t, unk) for t in tokens] + [self.tokenizer.eos_token_id]

    def _text(self, upper: str, ids: list[int], fixed: dict[int, str] | None = None) -> str:
        chars = [self._table.id_to_char.get(i, "") for i in ids[1 : len(upper) + 1]]
        # Punctuation and kept characters are forced in the search; copying them here keeps what the
        # vocabulary lacks (and a kept mark other than the upper line's).
        fixed = fixed or {}
        return "".join(
            fixed.get(k, u if is_punct(u) else c) for k, (u, c) in enumerate(zip(upper, chars, strict=True))
        )

    def _candidate(self, upper: str, lower: str, model_score: float, source: str = "model") -> Candidate:
        rules = check(upper, lower)
        score = model_score + self.features(upper, lower, rules).bonus(WEIGHTS)
        return Candidate(
            upper=upper, lower=lower, score=score, model_score=model_score, rules=rules, source=source
        )

    def features(self, upper: str, lower: str, rules: dict[str, RuleResult] | None = None) -> rerank.Features:
        """What the rerank adds to the model's score, feature by feature."""
        return rerank.features(upper, lower, rules or check(upper, lower), self.stock, self.synonyms)

    @staticmethod
    def _upper_candidate(upper: str, lower: str, model_score: float) -> UpperCandidate:
        rules = check(upper, lower)
        # An upper line should end on 仄 as a lower line should on 平: the same weight, the other rule.
        score = (
            model_score
            + WEIGHTS.ends_ping * rules["upper_ends_ze"].score
            + WEIGHTS.tone_opposition * rules["tone_opposition"].score
        )
        return UpperCandidate(upper=upper, lower=lower, score=score, model_score=model_score, rules=rules)


def open_line(length: int) -> str:
    """A source line of ``length`` open positions for the constrained search: distinct private-use characters,
    outside the vocabulary, so the rules find nothing to avoid, mirror or keep as punctuation."""
    return "".join(chr(0xE000 + i) for i in range(length))


def _merged(written: list[Candidate], known: list[Candidate]) -> list[Candidate]:
    """The model's lines and the corpus's lines of the same upper line, ranked by score; a line both wrote
    counts once, as the corpus's."""
    lowers = {c.lower for c in known}
    return sorted(known + [c for c in written if c.lower not in lowers], key=lambda c: c.score, reverse=True)


def _offered(ranked: list[Candidate], n: int) -> list[Candidate]:
    """The ``n`` to offer from a ranking: the best that are not near copies of each other (rerank.diverse)."""
    return [ranked[k] for k in rerank.diverse([c.lower for c in ranked], n)][:n]
