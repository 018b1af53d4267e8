"""Training the matcher's encoder with sentence-transformers (MultipleNegativesRankingLoss).

Self-supervised pairs from the training split only (the test split's upper lines stay unseen for the
benchmark): (query made of words of a line, the line), with classical words sometimes replaced by
modern near-synonyms, plus (upper line, lower line) pairs so that lines on one theme lie close.
The examples and the vocabulary are cached next to the checkpoints, so `--resume` continues the very
same run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from couplet.corpus import corpus_hash
from couplet.matching.encoder import EncoderShape, char_vocab, new_encoder, save_encoder
from couplet.matching.query import line_units, training_query
from couplet.matching.synonyms import TABLE, load_synonyms
from couplet.splits import read_split

log = logging.getLogger(__name__)

EXAMPLES_VERSION = 3  # bump when make_examples changes, so cached examples are rebuilt
MAX_TRAIN_LEN = 16
"""Longer lines are left out of training: the matcher serves 5-11 characters by default, and one long
line pads every line of its batch to its length."""


@dataclass(frozen=True)
class EncoderTrainConfig:
    prepared_dir: Path
    out_dir: Path
    """Checkpoints, the cached examples and the vocabulary."""
    export_dir: Path | None
    """Where the fp16 encoder is written at the end (None: keep only checkpoints)."""
    layers: int = 2
    hidden: int = 128
    heads: int = 4
    batch_size: int = 256
    lr: float = 1e-3
    warmup_ratio: float = 0.05
    """Share of the steps spent warming the learning rate up."""
    max_steps: int = -1
    """-1: one pass over the examples."""
    max_minutes: float | None = None
    """Stop (and export) after this long, wherever the schedule is."""
    pair_share: float = 0.2
    """(upper, lower) examples, as a share of the (query, line) ones."""
    limit: int | None = None
    """Use the first N training pairs only (smoke runs)."""
    seed: int = 0
    resume: bool = False
    save_steps: int = 500


def make_examples(pairs: list[tuple[str, str]], seed: int, pair_share: float) -> list[tuple[str, str]]:
    """Shuffled (anchor, positive) examples: one (query, line) per distinct line, then (upper, lower) pairs."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    synonyms = load_synonyms()
    rng = random.Random(seed)
    pairs = [pair for pair in pairs if len(pair[0]) <= MAX_TRAIN_LEN]
    lines = list(dict.fromkeys(line for pair in pairs for line in pair))
    examples = []
    for line in tqdm(lines, desc="queries", unit="line", mininterval=2):
        # Dictionary words only: the HMM guesses glue classical characters into non-words (摇树树).
        units = line_units(line, jieba.lcut(line, HMM=False))
        if units:
            examples.append((training_query(units, synonyms, rng), line))
    examples += rng.sample(pairs, min(len(pairs), int(pair_share * len(examples))))
    rng.shuffle(examples)
    return examples


def _stamp(cfg: EncoderTrainConfig) -> dict:
    return {
        "version": EXAMPLES_VERSION,
        "corpus_sha256": corpus_hash(cfg.prepared_dir),
        "synonyms_sha256": hashlib.sha256(TABLE.read_bytes()).hexdigest(),
        "seed": cfg.seed,
        "pair_share": cfg.pair_share,
        "limit": cfg.limit,
    }


def cached_examples(cfg: EncoderTrainConfig) -> tuple[list[tuple[str, str]], list[str]]:
    """The examples and vocabulary of this configuration, built once and kept in ``out_dir``."""
    stamp_path, data_path = cfg.out_dir / "examples.json", cfg.out_dir / "examples.tsv"
    stamp = _stamp(cfg)
    if stamp_path.exists() and data_path.exists() and json.loads(stamp_path.read_text())["stamp"] == stamp:
        examples = [tuple(row.split("\t")) for row in data_path.read_text(encoding="utf-8").splitlines()]
        return examples, json.loads(stamp_path.read_text())["vocab"]
    pairs = read_split(cfg.prepared_dir, "train")[: cfg.limit]
    examples = make_examples(pairs, cfg.seed, cfg.pair_share)
    vocab = char_vocab(text for example in examples for text in example)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    data_path.write_text("".join(f"{a}\t{p}\n" for a, p in examples), encoding="utf-8")
    stamp_path.write_text(json.dumps({"stamp": stamp, "vocab": vocab}, ensure_ascii=False))
    log.info("%d training examples, %d characters in the vocabulary", len(examples), len(vocab))
    return examples, vocab


def train_encoder(cfg: EncoderTrainConfig) -> dict:
    """Train (or resume), export the fp16 encoder, and return a summary."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import TrainerCallback

    t0 = time.monotonic()
    examples, vocab = cached_examples(cfg)
    shape = EncoderShape(cfg.layers, cfg.hidden, cfg.heads)
    model = new_encoder(vocab, shape, seed=cfg.seed)
    dataset = Dataset.from_dict({"anchor": [a for a, _ in examples], "positive": [p for _, p in examples]})

    class StopAfter(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if cfg.max_minutes is not None and time.monotonic() - t0 > 60 * cfg.max_minutes:
                log.info("time budget of %.0f min spent at step %d", cfg.max_minutes, state.global_step)
                control.should_training_stop = True
                control.should_save = True

    args = SentenceTransformerTrainingArguments(
        output_dir=str(cfg.out_dir),
        num_train_epochs=1,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.lr,
        warmup_steps=cfg.warmup_ratio,
        lr_scheduler_type="linear",
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=2,
        logging_steps=50,
        report_to="none",
        use_cpu=True,
        seed=cfg.seed,
        dataloader_num_workers=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        loss=MultipleNegativesRankingLoss(model),
        callbacks=[StopAfter()],
    )
    resume = cfg.resume and any(cfg.out_dir.glob("checkpoint-*"))
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    summary = {
        "steps": trainer.state.global_step,
        "epochs": round(trainer.state.epoch or 0.0, 3),
        "examples": len(examples),
        "vocab": len(vocab),
        "shape": asdict(shape),
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "final_loss": round(losses[-1], 4) if losses else None,
        "train_seconds": round(result.metrics.get("train_runtime", 0.0), 1),
        "wall_seconds": round(time.monotonic() - t0, 1),
        "resumed": resume,
    }
    if cfg.export_dir is not None:
        save_encoder(model, cfg.export_dir)
        (cfg.export_dir / "training.json").write_text(json.dumps(summary, indent=2))
        log.info("encoder written to %s", cfg.export_dir)
    return summary
