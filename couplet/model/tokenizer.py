"""A character-level ``PreTrainedTokenizerFast`` built from the cleaned corpus.

Every character is one token, so position i of the upper line lines up with position i of the lower
line; the decoding constraints rely on that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)


def build_tokenizer(lines: Iterable[str], min_count: int = 1) -> PreTrainedTokenizerFast:
    counts = Counter(ch for line in lines for ch in line)
    chars = sorted(ch for ch, n in counts.items() if n >= min_count and not ch.isspace())
    vocab = {tok: i for i, tok in enumerate(list(SPECIALS) + chars)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", special_tokens=[(EOS, vocab[EOS])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        bos_token=BOS,
        eos_token=EOS,
        unk_token=UNK,
        model_max_length=64,
        padding_side="right",
    )
