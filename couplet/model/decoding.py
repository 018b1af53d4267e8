"""Couplet rules enforced inside beam search, as a ``transformers`` LogitsProcessor.

At every step, for every hypothesis, the next token is restricted so that the finished lower line
has the upper line's length and punctuation, never reuses one of its characters, mirrors its repeat
pattern and never completes a bad word. The search can therefore only return lines that pass the
hard rules; the soft ones (tones) are left to reranking.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor, PreTrainedTokenizerFast

from couplet.badwords import BadWords
from couplet.rules import is_punct


class CoupletConstraints(LogitsProcessor):
    def __init__(
        self,
        uppers: list[str],
        tokenizer: PreTrainedTokenizerFast,
        badwords: BadWords | None,
        rows_per_upper: int,
    ) -> None:
        self.uppers = uppers
        self.rows_per_upper = rows_per_upper
        self.badwords = badwords
        vocab = tokenizer.get_vocab()
        self.vocab = vocab
        self.id_to_char = {i: t for t, i in vocab.items()}
        self.eos = tokenizer.eos_token_id
        specials = [tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id]
        punct_ids = [i for t, i in vocab.items() if len(t) == 1 and is_punct(t)]
        # Tokens never allowed at a character position of a given upper line: specials, punctuation,
        # and the upper line's own characters.
        self.banned = [
            torch.tensor(sorted(set(specials + punct_ids + [vocab[c] for c in set(u) if c in vocab])))
            for u in uppers
        ]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        pos = input_ids.shape[1] - 1  # the decoder start token sits at index 0
        out = torch.full_like(scores, float("-inf"))
        for row in range(scores.shape[0]):
            upper = self.uppers[row // self.rows_per_upper]
            forced = self._forced(upper, pos, input_ids[row])
            if forced is not None:
                out[row, forced] = scores[row, forced]
                continue
            allowed = scores[row].clone()
            allowed[self.banned[row // self.rows_per_upper]] = float("-inf")
            prev = [int(t) for k, t in enumerate(input_ids[row, 1:].tolist()) if not is_punct(upper[k])]
            if prev:
                allowed[prev] = float("-inf")  # u[p] is new in the line, so d[p] must differ from every d[i]
            if self.badwords is not None:
                prefix = "".join(self.id_to_char.get(int(t), "") for t in input_ids[row, 1:])
                bad = [self.vocab[c] for c in self.badwords.completions(prefix) if c in self.vocab]
                allowed[bad] = float("-inf")
            out[row] = allowed
        return out

    def _forced(self, upper: str, pos: int, row_ids: torch.Tensor) -> int | None:
        """The only token allowed at ``pos``, if the rules leave just one."""
        if pos >= len(upper):
            return self.eos
        ch = upper[pos]
        if is_punct(ch):
            return self.vocab.get(ch, self.vocab.get("，"))
        first = upper.find(ch)
        if first < pos:  # a repeat: mirror what was written at the first occurrence
            return int(row_ids[first + 1])
        return None
