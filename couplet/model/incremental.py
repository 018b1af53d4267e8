"""The encoder pass, then one decoder step at a time, over a trained BART's own weights, for fast CPU search.

`transformers` `generate` spends about 4 ms of Python per step on a 3-layer model (cache objects,
generic beam bookkeeping, per-module hooks) against about 1 ms of arithmetic; a couplet line is
decided in 6 to 12 steps, so that overhead was most of a request. This module runs the same
computation (post-norm BART layers, tied output embedding) as a handful of functional calls with a
plain key/value cache; the `transformers` encoder module alone took longer than the whole encoding
written this way. ``tests/couplet/test_search.py`` checks the encoding and the logits against the
`transformers` forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import BartForConditionalGeneration


@dataclass
class DecoderState:
    """Everything a step needs besides the new tokens: cross-attention keys/values and the self-attention cache.

    Rows come in blocks of ``rows_per_source``, one block per source line. The cross-attention keys and
    values are kept once per source, and a block's rows attend to them as the query positions of one
    attention call: no copy per row, and nothing to reorder when beam search reorders rows.
    """

    cross: list[tuple[torch.Tensor, torch.Tensor]]  # per layer, (sources, heads, source length, head_dim)
    cache: list[tuple[torch.Tensor, torch.Tensor]]  # per layer, (rows, heads, written, head_dim)
    source_mask: (
        torch.Tensor | None
    )  # (sources, 1, 1, source length) True where attention may look; None: no padding
    rows_per_source: int
    position: int = 0

    def select(self, rows: torch.Tensor) -> DecoderState:
        """The state for a new row order (beam search keeps the best rows, some twice); every row must stay
        in its source's block."""
        cache = [(k[rows], v[rows]) for k, v in self.cache]
        return DecoderState(self.cross, cache, self.source_mask, self.rows_per_source, self.position)

    def repeat(self, rows: int) -> DecoderState:
        """The state of one source's single row, for ``rows`` rows that continue it differently."""
        if self.rows_per_source != 1 or self.cross[0][0].shape[0] != 1:
            raise ValueError("only the state of one source's single row can be repeated")
        cache = [(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in self.cache]
        return DecoderState(self.cross, cache, self.source_mask, rows, self.position)

    def rows_of(self, sources: torch.Tensor) -> torch.Tensor:
        """The rows of the given sources' blocks, in order."""
        return (
            sources[:, None] * self.rows_per_source
            + torch.arange(self.rows_per_source, device=sources.device)
        ).view(-1)

    def branch(self, sources: torch.Tensor, times: int) -> DecoderState:
        """The state of the given sources' blocks alone, each row repeated ``times`` times in a row: for
        trying ``times`` next tokens on every row at once."""
        rows = self.rows_of(sources)
        cache = [
            (k[rows].repeat_interleave(times, 0), v[rows].repeat_interleave(times, 0)) for k, v in self.cache
        ]
        cross = [(k[sources], v[sources]) for k, v in self.cross]
        mask = None if self.source_mask is None else self.source_mask[sources]
        return DecoderState(cross, cache, mask, self.rows_per_source * times, self.position)


class IncrementalDecoder:
    def __init__(self, model: BartForConditionalGeneration) -> None:
        config = model.config
        self.model = model
        self.heads = config.decoder_attention_heads
        self.d_model = config.d_model
        encoder, decoder = model.model.encoder, model.model.decoder
        self.embed = decoder.embed_tokens  # scales by sqrt(d_model) itself when the config asks for it
        self.positions = decoder.embed_positions.weight[decoder.embed_positions.offset :]
        self.embed_norm = _Norm(decoder.layernorm_embedding)
        self.output = _Affine(decoder.embed_tokens.weight, model.final_logits_bias[0])
        self.activation = {"gelu": F.gelu, "relu": F.relu}[config.activation_function]
        self.layers = [_Layer(layer) for layer in decoder.layers]
        self.source_embed = encoder.embed_tokens
        self.source_positions = encoder.embed_positions.weight[encoder.embed_positions.offset :]
        self.source_norm = _Norm(encoder.layernorm_embedding)
        self.source_layers = [_Layer(layer) for layer in encoder.layers]

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The encoder's output (sources, length, d_model): the same computation as the `transformers` encoder."""
        mask = _padding_mask(attention_mask)
        x = self.source_norm(self.source_embed(input_ids) + self.source_positions[: input_ids.shape[1]])
        for layer in self.source_layers:
            q, k, v = (self._split(part) for part in layer.qkv(x).split(self.d_model, dim=-1))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            x = layer.self_norm(x + layer.self_out(attended.transpose(1, 2).reshape(x.shape)))
            x = layer.final_norm(x + layer.fc2(self.activation(layer.fc1(x))))
        return x

    def start(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, rows_per_source: int
    ) -> DecoderState:
        """Encode the sources once, for blocks of ``rows_per_source`` decoder rows each."""
        encoded = self.encode(input_ids, attention_mask)
        mask = _padding_mask(attention_mask)
        cross = [
            (self._split(layer.cross_k(encoded)), self._split(layer.cross_v(encoded)))
            for layer in self.layers
        ]
        empty = encoded.new_zeros(
            encoded.shape[0] * rows_per_source, self.heads, 0, self.d_model // self.heads
        )
        return DecoderState(cross, [(empty, empty)] * len(self.layers), mask, rows_per_source)

    def step(self, tokens: torch.Tensor, state: DecoderState) -> tuple[torch.Tensor, DecoderState]:
        """Logits for the next token of every row, given each row's latest token."""
        x = self.embed_norm(self.embed(tokens) + self.positions[state.position])  # (rows, d_model)
        cache = []
        for layer, (k_past, v_past), (k_src, v_src) in zip(
            self.layers, state.cache, state.cross, strict=True
        ):
            q, k, v = layer.qkv(x).split(self.d_model, dim=-1)
            k, v = (
                torch.cat([k_past, self._split(k[:, None])], dim=2),
                torch.cat([v_past, self._split(v[:, None])], dim=2),
            )
            cache.append((k, v))
            x = layer.self_norm(
                x + layer.self_out(self._merge(F.scaled_dot_product_attention(self._one(q), k, v)))
            )
            attended = F.scaled_dot_product_attention(
                self._block(layer.cross_q(x), state.rows_per_source),
                k_src,
                v_src,
                attn_mask=state.source_mask,
            )
            x = layer.cross_norm(x + layer.cross_out(self._unblock(attended)))
            x = layer.final_norm(x + layer.fc2(self.activation(layer.fc1(x))))
        return self.output(x), DecoderState(
            state.cross, cache, state.source_mask, state.rows_per_source, state.position + 1
        )

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """(rows, length, d_model) to (rows, heads, length, head_dim)."""
        rows, length, _ = x.shape
        return x.view(rows, length, self.heads, -1).transpose(1, 2)

    def _one(self, x: torch.Tensor) -> torch.Tensor:
        """(rows, d_model), one position, to (rows, heads, 1, head_dim)."""
        return x.view(x.shape[0], self.heads, 1, -1)

    @staticmethod
    def _merge(x: torch.Tensor) -> torch.Tensor:
        """(rows, heads, 1, head_dim) to (rows, d_model)."""
        return x.reshape(x.shape[0], -1)

    def _block(self, x: torch.Tensor, rows_per_source: int) -> torch.Tensor:
        """(rows, d_model) to (sources, heads, rows_per_source, head_dim): a block's rows as query positions."""
        return x.view(-1, rows_per_source, self.heads, self.d_model // self.heads).transpose(1, 2)

    @staticmethod
    def _unblock(x: torch.Tensor) -> torch.Tensor:
        """(sources, heads, rows_per_source, head_dim) back to (rows, d_model)."""
        return x.transpose(1, 2).reshape(-1, x.shape[1] * x.shape[3])


def _padding_mask(attention_mask: torch.Tensor) -> torch.Tensor | None:
    """(sources, 1, 1, length), True where attention may look; None when nothing is padding."""
    return None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :]


class _Affine:
    """``x @ W.T + b`` with W stored transposed: for a few rows ``addmm`` is about twice ``F.linear``'s speed here."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        self.weight_t = weight.detach().t().contiguous()
        self.bias = bias.detach()

    @classmethod
    def of(cls, linear: torch.nn.Linear) -> _Affine:
        return cls(linear.weight, linear.bias)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return torch.addmm(self.bias, x, self.weight_t)
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight_t).view(*x.shape[:-1], -1)


class _Norm:
    def __init__(self, norm: torch.nn.LayerNorm) -> None:
        self.shape, self.weight, self.bias, self.eps = norm.normalized_shape, norm.weight, norm.bias, norm.eps

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.shape, self.weight, self.bias, self.eps)


class _Layer:
    """One encoder or decoder layer's weights, with the self-attention projections fused into one matrix."""

    def __init__(self, layer) -> None:
        attn = layer.self_attn
        self.qkv = _Affine(
            torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight]),
            torch.cat([attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias]),
        )
        self.self_out, self.self_norm = _Affine.of(attn.out_proj), _Norm(layer.self_attn_layer_norm)
        self.fc1, self.fc2, self.final_norm = (
            _Affine.of(layer.fc1),
            _Affine.of(layer.fc2),
            _Norm(layer.final_layer_norm),
        )
        cross = getattr(layer, "encoder_attn", None)  # decoder layers only
        if cross is not None:
            self.cross_q, self.cross_k, self.cross_v = (
                _Affine.of(cross.q_proj),
                _Affine.of(cross.k_proj),
                _Affine.of(cross.v_proj),
            )
            self.cross_out, self.cross_norm = _Affine.of(cross.out_proj), _Norm(layer.encoder_attn_layer_norm)
