"""Couplet rules enforced inside beam search, as a ``transformers`` LogitsProcessor.

At every step, for every hypothesis, the next token is restricted so that the finished lower line
has the upper line's length and punctuation, never reuses one of its characters, mirrors its repeat
pattern and never completes a bad word. The search can therefore only return lines that pass the
hard rules; the soft ones (tones) are left to reranking.

A bad word is looked for on both sides of the character written: before it what is written, after
it what is already decided (kept characters, punctuation, copies of repeats already written). A
copy that a repeat forces and that completes a bad word makes its line the search's last choice
(the generator drops such lines at the end).

A line may come with characters to keep (lock and refill, couplet/locks.py): a kept position is
forced to its character and an open one may not take a kept character. The kept characters must
already pass the hard rules among themselves (couplet.locks.lock checks that), so the search only
fills the rest.

Writing upper lines for a given lower line (the other direction), the last character is further
restricted to those read 仄: the model learnt to end its lines on 平, as lower lines end.
"""

from __future__ import annotations

from functools import cached_property

import torch
from transformers import LogitsProcessor, PreTrainedTokenizerFast

from couplet.badwords import BadWords
from couplet.rules import ZE, is_punct, tones

DEAD_END = 1e4
"""Log-probability taken from a forced copy that completes a bad word: more than any line can make up."""


class TokenTable:
    """What the constraints need to know about a vocabulary, computed once per tokenizer."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast) -> None:
        self.vocab = tokenizer.get_vocab()
        self.id_to_char = {i: t for t, i in self.vocab.items()}
        self.eos = tokenizer.eos_token_id
        self.unk = tokenizer.unk_token_id
        specials = {
            tokenizer.pad_token_id,
            tokenizer.bos_token_id,
            tokenizer.eos_token_id,
            tokenizer.unk_token_id,
        }
        # Multi-character tokens are the task markers (couplet/model/tasks.py): never part of a line.
        markers = {i for t, i in self.vocab.items() if len(t) > 1}
        self.never = specials | markers | {i for t, i in self.vocab.items() if len(t) == 1 and is_punct(t)}

    @cached_property
    def ze(self) -> torch.Tensor:
        """True for the tokens read 仄 on their own (built on first use: a third of a second for 5,600)."""
        ze = torch.zeros(len(self.id_to_char), dtype=torch.bool)
        ze[[i for i, t in self.id_to_char.items() if len(t) == 1 and tones(t)[0] == ZE]] = True
        return ze


class CoupletConstraints(LogitsProcessor):
    def __init__(
        self,
        uppers: list[str],
        table: TokenTable,
        badwords: BadWords | None,
        rows_per_upper: int,
        locks: list[dict[int, str]] | None = None,
        endings: torch.Tensor | None = None,
        avoid: list[str] | None = None,
    ) -> None:
        """``locks``: for each upper line, the characters to keep by position (0-based); none by default.
        ``endings``: True for the tokens a line may end on (its last character before any punctuation), unless
        the rules leave none of them; any by default. ``avoid``: for each upper line, characters the written
        line may not hold anywhere (those the other line of a couplet being written keeps)."""
        self.uppers = uppers
        self.endings = endings
        self.last = [max((i for i, u in enumerate(upper) if not is_punct(u)), default=-1) for upper in uppers]
        self.locks = locks or [{} for _ in uppers]
        self.rows_per_upper = rows_per_upper
        self.badwords = badwords
        self.vocab = table.vocab
        self.id_to_char = table.id_to_char
        self.eos = table.eos
        self.locked_ids = [{i: self.vocab.get(c, table.unk) for i, c in lock.items()} for lock in self.locks]
        # Tokens never allowed at an open character position of a given upper line: specials, punctuation,
        # the upper line's own characters and the characters kept elsewhere in the lower line.
        self.banned = torch.zeros(len(uppers), len(self.id_to_char), dtype=torch.bool)
        for k, (u, lock) in enumerate(zip(uppers, self.locks, strict=True)):
            other = set(avoid[k]) if avoid else set()
            taken = {self.vocab[c] for c in set(u) | set(lock.values()) | other if c in self.vocab}
            self.banned[k, sorted(table.never | taken)] = True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        pos = input_ids.shape[1] - 1  # the decoder start token sits at index 0
        history = input_ids[:, 1:].tolist()
        group = torch.arange(len(history)) // self.rows_per_upper
        banned = self.banned[group]
        if banned.shape[1] < scores.shape[1]:  # the model's output may be padded past the vocabulary
            banned = torch.nn.functional.pad(banned, (0, scores.shape[1] - banned.shape[1]), value=True)
        forced_rows, forced_tokens, rows, tokens, ending_rows, dead = [], [], [], [], [], []
        for row, written in enumerate(history):
            line = row // self.rows_per_upper
            upper = self.uppers[line]
            forced = self._forced(upper, pos, written, self.locked_ids[line])
            if forced is not None:
                forced_rows.append(row)
                forced_tokens.append(forced)
                if self._completes_bad_word(line, pos, written, forced):
                    dead.append((row, forced))
                continue
            # u[pos] is new in the line, so d[pos] must differ from every character written so far.
            seen = [t for k, t in enumerate(written) if not is_punct(upper[k])]
            if self.badwords is not None:
                before, after = self._written(line, written), self._decided_after(line, pos, written)
                seen += [self.vocab[c] for c in self.badwords.completions(before, after) if c in self.vocab]
            rows += [row] * len(seen)
            tokens += seen
            if pos == self.last[line]:
                ending_rows.append(row)
        banned[rows, tokens] = True
        if self.endings is not None and ending_rows:
            narrowed = banned[ending_rows, : len(self.endings)] | ~self.endings
            possible = ~narrowed.all(dim=1)  # a row with no allowed ending left keeps what the rules allow
            banned[torch.tensor(ending_rows)[possible], : len(self.endings)] = narrowed[possible]
        banned[forced_rows] = True
        banned[forced_rows, forced_tokens] = False
        scores = scores.masked_fill(banned.to(scores.device), float("-inf"))
        for row, token in dead:
            scores[row, token] -= DEAD_END
        return scores

    def _written(self, line: int, written: list[int]) -> str:
        lock = self.locks[line]
        return "".join(lock.get(k, self.id_to_char.get(t, "")) for k, t in enumerate(written))

    def _decided_after(self, line: int, pos: int, written: list[int]) -> str:
        """The characters decided right after ``pos``: kept ones, punctuation, copies of repeats written."""
        upper, lock = self.uppers[line], self.locks[line]
        decided = []
        for j in range(pos + 1, len(upper)):
            first = upper.find(upper[j])
            if j in lock:
                decided.append(lock[j])
            elif is_punct(upper[j]):
                decided.append(upper[j])
            elif first < pos:
                decided.append(self.id_to_char.get(written[first], ""))
            else:
                break
        return "".join(decided)

    def _completes_bad_word(self, line: int, pos: int, written: list[int], token: int) -> bool:
        """Whether a character the rules force (a copy of a repeat, a kept one) completes a bad word."""
        upper = self.uppers[line]
        if self.badwords is None or pos >= len(upper) or is_punct(upper[pos]):
            return False
        ch = self.locks[line].get(pos, self.id_to_char.get(token, ""))
        before, after = self._written(line, written), self._decided_after(line, pos, written)
        return ch in self.badwords.completions(before, after)

    def _forced(self, upper: str, pos: int, written: list[int], locked: dict[int, int]) -> int | None:
        """The only token allowed at ``pos``, if the rules or the kept characters leave just one."""
        if pos >= len(upper):
            return self.eos
        ch = upper[pos]
        if is_punct(ch):
            return self.vocab.get(ch, self.vocab.get("，"))
        if pos in locked:
            return locked[pos]
        first = upper.find(ch)
        if first < pos:  # a repeat: mirror what was written at the first occurrence
            return written[first]
        return None


def adjacent_repeats(upper: str) -> frozenset[int]:
    """Positions whose character the upper line repeats at once (the first 习 of 习习): the lower line's
    character there is mirrored at the next position, so the search plans the pair (search.Lookahead)."""
    return frozenset(
        i
        for i in range(len(upper) - 1)
        if upper[i] == upper[i + 1] and not is_punct(upper[i]) and upper.find(upper[i]) == i
    )
