"""The sentence encoder: a tiny character-level BERT with mean pooling, built from a config (nothing is
downloaded), trained in couplet/matching/training.py and shipped as fp16 safetensors."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import DataError

log = logging.getLogger(__name__)
# The tokenizer's thread pool spins on a machine whose cores are all busy; batches here are small anyway.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_SEQ_LENGTH = 40  # the longest corpus line has 32 characters, plus [CLS] and [SEP]
WEIGHTS_FILE = "model.safetensors"


@dataclass(frozen=True)
class EncoderShape:
    layers: int = 2
    hidden: int = 128
    heads: int = 4


def char_vocab(texts: Iterable[str], min_count: int = 2, always: str = "") -> list[str]:
    """Special tokens, then every non-space character seen ``min_count`` times (or in ``always``), by
    frequency. Rare characters become [UNK]: an embedding seen once would stay untrained noise."""
    counts = Counter(ch for text in texts for ch in text if not ch.isspace())
    keep = {ch for ch, n in counts.items() if n >= min_count} | {ch for ch in always if not ch.isspace()}
    return SPECIAL_TOKENS + sorted(keep, key=lambda ch: (-counts[ch], ch))


def new_encoder(vocab: Sequence[str], shape: EncoderShape = EncoderShape(), seed: int = 0):
    """A randomly initialised SentenceTransformer: BertModel over ``vocab`` + mean pooling + L2 norm."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=4 * shape.hidden,
        max_position_embeddings=64,
    )
    # BERT's basic tokenizer already splits Chinese text into single characters.
    tokenizer = BertTokenizerFast(
        vocab={tok: i for i, tok in enumerate(vocab)},
        do_lower_case=False,
        tokenize_chinese_chars=True,
        model_max_length=MAX_SEQ_LENGTH,
    )
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        BertModel(config).save_pretrained(tmp)
        transformer = Transformer(tmp, max_seq_length=MAX_SEQ_LENGTH)
    pooling = Pooling(transformer.get_embedding_dimension(), "mean")
    return SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")


def save_encoder(model, path: Path) -> None:
    """Write the model in fp16 (half the size; it is cast back to fp32 on load)."""
    import copy

    path.mkdir(parents=True, exist_ok=True)
    copy.deepcopy(model).half().save(str(path))


def load_encoder(path: Path):
    if not (path / WEIGHTS_FILE).exists() and not any(path.glob(f"*/{WEIGHTS_FILE}")):
        raise DataError(f"no matcher encoder in {path}: train one with `couplet matcher train`")
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        str(path), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32}
    )
    return model.eval()


def encoder_hash(path: Path) -> str:
    """sha256 over the encoder's files (the model card left out), so a retrained encoder is noticed."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and p.name != "README.md"):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def embed(model, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """float32 rows of unit length, one per text.

    A plain tokenizer + forward loop: SentenceTransformer.encode's bookkeeping costs more than the tiny
    model itself on a query of a few tags. Texts are batched by length so that little is padding.
    """
    import torch

    out = np.empty((len(texts), model.get_embedding_dimension()), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            features = model.tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=MAX_SEQ_LENGTH,
                return_tensors="pt",
            )
            out[rows] = model(dict(features))["sentence_embedding"].numpy()
    return out
