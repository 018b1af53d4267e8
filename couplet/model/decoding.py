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
        self.banned = torch.zeros(len(uppers), len(self.id_to_char), dtype=torch.bool)
        for k, u in enumerate(uppers):
            self.banned[k, sorted(table.never | {self.vocab[c] for c in set(u) if c in self.vocab})] = True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        pos = input_ids.shape[1] - 1  # the decoder start token sits at index 0
        history = input_ids[:, 1:].tolist()
        group = torch.arange(len(history)) // self.rows_per_upper
        banned = self.banned[group]
        if banned.shape[1] < scores.shape[1]:  # the model's output may be padded past the vocabulary
            banned = torch.nn.functional.pad(banned, (0, scores.shape[1] - banned.shape[1]), value=True)
        forced_rows, forced_tokens, rows, tokens = [], [], [], []
        for row, written in enumerate(history):
            upper = self.uppers[row // self.rows_per_upper]
            forced = self._forced(upper, pos, written)
            if forced is not None:
                forced_rows.append(row)
                forced_tokens.append(forced)
                continue
            # u[pos] is new in the line, so d[pos] must differ from every character written so far.
            seen = [t for k, t in enumerate(written) if not is_punct(upper[k])]
            if self.badwords is not None:
                prefix = "".join(self.id_to_char.get(t, "") for t in written)
                seen += [self.vocab[c] for c in self.badwords.completions(prefix) if c in self.vocab]
            rows += [row] * len(seen)
            tokens += seen
        banned[rows, tokens] = True
        banned[forced_rows] = True
        banned[forced_rows, forced_tokens] = False
        return scores.masked_fill(banned.to(scores.device), float("-inf"))

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


def adjacent_repeats(upper: str) -> frozenset[int]:
    """Positions whose character the upper line repeats at once (the first 习 of 习习): the lower line's
    character there is mirrored at the next position, so the search plans the pair (search.Lookahead)."""
    return frozenset(i for i in range(len(upper) - 1)
                     if upper[i] == upper[i + 1] and not is_punct(upper[i]) and upper.find(upper[i]) == i)
