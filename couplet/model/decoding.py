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


class TokenTable:
    """What the constraints need to know about a vocabulary, computed once per tokenizer."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast) -> None:
        self.vocab = tokenizer.get_vocab()
        self.id_to_char = {i: t for t, i in self.vocab.items()}
        self.eos = tokenizer.eos_token_id
        specials = {tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id}
        self.never = specials | {i for t, i in self.vocab.items() if len(t) == 1 and is_punct(t)}


class CoupletConstraints(LogitsProcessor):
    def __init__(self, uppers: list[str], table: TokenTable, badwords: BadWords | None, rows_per_upper: int) -> None:
        self.uppers = uppers
        self.rows_per_upper = rows_per_upper
        self.badwords = badwords
        self.vocab = table.vocab
        self.id_to_char = table.id_to_char
        self.eos = table.eos
        # Tokens never allowed at a character position of a given upper line: specials, punctuation,
        # and the upper line's own characters.
        self.banned = [
            torch.tensor(sorted(table.never | {self.vocab[c] for c in set(u) if c in self.vocab})) for u in uppers
        ]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        pos = input_ids.shape[1] - 1  # the decoder start token sits at index 0
        history = input_ids[:, 1:].tolist()
        banned = torch.zeros_like(scores, dtype=torch.bool)
        for row, written in enumerate(history):
            upper = self.uppers[row // self.rows_per_upper]
            forced = self._forced(upper, pos, written)
            if forced is not None:
                banned[row] = True
                banned[row, forced] = False
                continue
            banned[row, self.banned[row // self.rows_per_upper]] = True
            # u[pos] is new in the line, so d[pos] must differ from every character written so far.
            banned[row, [t for k, t in enumerate(written) if not is_punct(upper[k])]] = True
            if self.badwords is not None:
                prefix = "".join(self.id_to_char.get(t, "") for t in written)
                bad = [self.vocab[c] for c in self.badwords.completions(prefix) if c in self.vocab]
                banned[row, bad] = True
        return scores.masked_fill(banned, float("-inf"))

    def _forced(self, upper: str, pos: int, written: list[int]) -> int | None:
        """The only token allowed at ``pos``, if the rules leave just one."""
        if pos >= len(upper):
            return self.eos
        ch = upper[pos]
        if is_punct(ch):
            return self.vocab.get(ch, self.vocab.get("，"))
        first = upper.find(ch)
        if first < pos:  # a repeat: mirror what was written at the first occurrence
            return written[first]
        return None
