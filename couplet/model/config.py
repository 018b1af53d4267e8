"""Model sizes. ``small`` and ``deep`` serve on a CPU; ``base`` is for a GPU."""

from __future__ import annotations

from transformers import BartConfig, PreTrainedTokenizerFast

SIZES = {
    "tiny": dict(d_model=64, layers=1, heads=2, ffn=128),  # tests only
    "small": dict(d_model=256, layers=3, heads=4, ffn=1024),
    # small's decoder under a deeper encoder: the encoder runs once per line, the decoder once per
    # character and beam row, so depth there costs little time in serving.
    "deep": dict(d_model=256, layers=3, encoder_layers=6, heads=4, ffn=1024),
    "base": dict(d_model=512, layers=6, heads=8, ffn=2048),
}
MAX_POSITIONS = 64


def bart_config(tokenizer: PreTrainedTokenizerFast, size: str, dropout: float = 0.1) -> BartConfig:
    s = SIZES[size]
    return BartConfig(
        vocab_size=len(tokenizer),
        d_model=s["d_model"],
        encoder_layers=s.get("encoder_layers", s["layers"]),
        decoder_layers=s["layers"],
        encoder_attention_heads=s["heads"],
        decoder_attention_heads=s["heads"],
        encoder_ffn_dim=s["ffn"],
        decoder_ffn_dim=s["ffn"],
        max_position_embeddings=MAX_POSITIONS,
        dropout=dropout,
        attention_dropout=0.0,
        activation_function="gelu",
        scale_embedding=True,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=None,
    )
