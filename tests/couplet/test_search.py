"""The fast search: its decoder computes what `transformers` computes, and it finds the lines `generate` finds."""

from __future__ import annotations

import pytest
import torch
from transformers import LogitsProcessorList

from core.settings import Settings
from couplet.badwords import BadWords
from couplet.model.decoding import CoupletConstraints
from couplet.model.generator import Generator
from couplet.model.search import SearchInput, beam_search

UPPERS = ["春风化雨", "晚风摇树树还挺", "春来春去，花开花落", "山水", "海上生明月，天涯共此时"]


@pytest.fixture(scope="module", params=["tiny", "shipped"])
def generator(request, tiny_model_dir) -> Generator:
    """A tiny model trained here, and the shipped one (committed, so it needs no data)."""
    path = tiny_model_dir if request.param == "tiny" else Settings.from_env().generator_dir
    if not (path / "model.safetensors").exists():
        pytest.skip(f"no model in {path}")
    return Generator(path, BadWords(frozenset({"秋霜"})))


def encode(generator: Generator, uppers: list[str]) -> SearchInput:
    pad = generator.tokenizer.pad_token_id
    ids = torch.full((len(uppers), max(map(len, uppers)) + 1), pad)
    for k, u in enumerate(uppers):
        ids[k, : len(u) + 1] = torch.tensor(generator._ids(u))
    return SearchInput(
        ids, ids.ne(pad), [len(u) for u in uppers], generator.model.config.decoder_start_token_id, pad
    )


@torch.inference_mode()
def test_encoding_matches_the_transformers_encoder(generator):
    src = encode(generator, ["春风化雨", "晚风摇树树还挺"])
    theirs = generator.model.model.encoder(
        input_ids=src.input_ids, attention_mask=src.attention_mask
    ).last_hidden_state
    ours = generator.decoder.encode(src.input_ids, src.attention_mask)
    valid = src.attention_mask.bool()  # what padded positions hold is never read
    torch.testing.assert_close(ours[valid], theirs[valid], atol=1e-4, rtol=1e-4)


@torch.inference_mode()
@pytest.mark.parametrize("rows_per_source", [1, 3])
def test_incremental_logits_match_the_full_forward_pass(generator, rows_per_source):
    src = encode(generator, ["春风化雨", "晚风摇树树还挺"])  # padded: the mask matters
    decoder_ids = torch.randint(
        5, len(generator.tokenizer), (2 * rows_per_source, 6)
    )  # different rows per source
    decoder_ids[:, 0] = src.start_token
    full = generator.model(
        input_ids=src.input_ids.repeat_interleave(rows_per_source, dim=0),
        attention_mask=src.attention_mask.repeat_interleave(rows_per_source, dim=0),
        decoder_input_ids=decoder_ids,
    ).logits
    state = generator.decoder.start(src.input_ids, src.attention_mask, rows_per_source)
    for t in range(decoder_ids.shape[1]):
        logits, state = generator.decoder.step(decoder_ids[:, t], state)
        torch.testing.assert_close(logits, full[:, t], atol=1e-4, rtol=1e-4)


@torch.inference_mode()
@pytest.mark.parametrize("upper", UPPERS)
def test_beam_search_finds_what_generate_finds(generator, upper):
    src = encode(generator, [upper])
    ours = beam_search(
        generator.decoder, src, CoupletConstraints([upper], generator._table, generator.badwords, 5), 5
    )
    theirs = generator.model.generate(
        input_ids=src.input_ids,
        attention_mask=src.attention_mask,
        num_beams=5,
        num_return_sequences=5,
        max_new_tokens=len(upper) + 1,
        do_sample=False,
        early_stopping=True,
        length_penalty=1.0,
        logits_processor=LogitsProcessorList(
            [CoupletConstraints([upper], generator._table, generator.badwords, 5)]
        ),
        return_dict_in_generate=True,
        output_scores=True,
    )
    width = len(upper) + 2
    assert ours.sequences[:, :width].tolist() == theirs.sequences[:, :width].tolist()
    # generate divides by the tokens after the start token, as we do
    torch.testing.assert_close(ours.scores, theirs.sequences_scores, atol=1e-4, rtol=1e-4)


@torch.inference_mode()
def test_a_batch_of_different_lengths_searches_each_line_as_if_alone(generator):
    constraints = lambda uppers: CoupletConstraints(uppers, generator._table, generator.badwords, 3)  # noqa: E731
    batch = beam_search(generator.decoder, encode(generator, UPPERS), constraints(UPPERS), 3)
    for k, upper in enumerate(UPPERS):
        alone = beam_search(generator.decoder, encode(generator, [upper]), constraints([upper]), 3)
        rows = batch.sequences[3 * k : 3 * k + 3, : len(upper) + 2]
        assert rows.tolist() == alone.sequences[:, : len(upper) + 2].tolist()
        torch.testing.assert_close(batch.scores[3 * k : 3 * k + 3], alone.scores, atol=1e-4, rtol=1e-4)
        # after its end token a shorter line only pads
        assert set(batch.sequences[3 * k : 3 * k + 3, len(upper) + 2 :].flatten().tolist()) <= {
            encode(generator, [upper]).pad_token
        }
