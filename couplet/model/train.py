"""Train the lower-line generator. One readable loop, every knob a parameter of ``TrainConfig``.

Runs on one CPU (bf16 autocast where the CPU computes bf16 natively), one GPU, or data-parallel under
``torchrun --nproc_per_node N``.
A checkpoint (model, tokenizer, optimiser, step, elapsed time, RNG) is written at every evaluation;
``resume=True`` continues from it. The learning rate warms up, then follows a cosine that reaches its
floor at ``max_steps`` or at ``max_minutes``, whichever comes first, so a time-boxed run still ends
on a low learning rate.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm
from transformers import BartForConditionalGeneration, PreTrainedTokenizerFast

from core.hardware import cpu_has_native_bf16
from couplet.bleu import char_bleu, references_by_upper
from couplet.model.config import MAX_POSITIONS, bart_config
from couplet.model.tasks import (
    TASKS,
    add_markers,
    keyword_source,
    line_words,
    reverse_source,
    sample_keywords,
)
from couplet.model.tokenizer import build_tokenizer
from couplet.splits import read_split

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    prepared_dir: Path
    out_dir: Path  # checkpoints and logs
    export_dir: Path | None = None  # fp16 safetensors for shipping, written at the end
    size: str = "small"
    device: str = "cpu"
    batch_tokens: int = 4096  # source tokens per batch (per process)
    lr: float = 1e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 1000
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    dropout: float = 0.1
    grad_clip: float = 1.0
    max_steps: int = 1_000_000
    max_minutes: float | None = None
    epochs: float | None = None
    eval_every: int = 500
    eval_pairs: int = 300
    seed: int = 1337
    resume: bool = False
    init_from: Path | None = None  # start from these trained weights (and their tokenizer), fresh schedule
    bf16: bool = True
    train_limit: int | None = None  # use only the first N training pairs (smoke runs, tests)
    tasks: tuple[str, ...] = ("lower",)  # couplet/model/tasks.py; more than "lower" adds the task markers


def encode(
    tok: PreTrainedTokenizerFast, pairs: Sequence[tuple[Sequence[str], str]]
) -> list[tuple[list[int], list[int]]]:
    """Sources and targets as token ids; a source is a line or a list of tokens (markers and characters).

    Pairs whose source or target (with its end token) outgrows the position table are left out: a task
    marker makes the longest lines one token too long for it.
    """
    vocab, unk, eos = tok.get_vocab(), tok.unk_token_id, tok.eos_token_id
    return [
        ([vocab.get(c, unk) for c in u] + [eos], [vocab.get(c, unk) for c in d] + [eos])
        for u, d in pairs
        if max(len(u), len(d)) < MAX_POSITIONS
    ]


def task_pairs(
    tasks: Sequence[str], pairs: list[tuple[str, str]], words: list[list[str]] | None, rng: random.Random
) -> list[tuple[Sequence[str], str]]:
    """The (source, target) pairs of each task over one split; the keyword draw changes with ``rng``."""
    out: list[tuple[Sequence[str], str]] = []
    if "lower" in tasks:
        out += pairs
    if "upper" in tasks:
        out += [(reverse_source(d), u) for u, d in pairs]
    if "write" in tasks:
        for (u, _), w in zip(pairs, words or [], strict=True):
            keywords = sample_keywords(w, rng)
            if keywords:
                out.append((keyword_source(keywords, len(u)), u))
    return out


MAX_ROWS = 8192  # cuDNN's attention fails past 65,535 rows × heads: short keyword sources made such batches


def make_batches(data: list, batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches of indices: similar lengths together, batch order shuffled."""
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), rng.random()))
    batches, current, width = [], [], 0
    for i in order:
        width = max(width, len(data[i][0]))
        if current and (width * (len(current) + 1) > batch_tokens or len(current) >= MAX_ROWS):
            batches.append(current)
            current, width = [], len(data[i][0])
        current.append(i)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def collate(data: list, idx: list[int], pad: int, bos: int) -> dict[str, torch.Tensor]:
    src = [data[i][0] for i in idx]
    tgt = [data[i][1] for i in idx]
    s_len, t_len = max(map(len, src)), max(map(len, tgt))
    # Filled in numpy: a GPU step on a small model is shorter than building thousands of tiny tensors.
    input_ids = np.full((len(idx), s_len), pad, dtype=np.int64)
    labels = np.full((len(idx), t_len), -100, dtype=np.int64)
    dec_in = np.full((len(idx), t_len), pad, dtype=np.int64)
    for k, (s, t) in enumerate(zip(src, tgt, strict=True)):
        input_ids[k, : len(s)] = s
        labels[k, : len(t)] = t
        dec_in[k, 0] = bos
        dec_in[k, 1 : len(t)] = t[:-1]
    ids = torch.from_numpy(input_ids)
    return {
        "input_ids": ids,
        "attention_mask": ids.ne(pad),
        "decoder_input_ids": torch.from_numpy(dec_in),
        "labels": torch.from_numpy(labels),
    }


def lr_at(cfg: TrainConfig, step: int, elapsed_s: float, total_steps: int) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps)
    if cfg.max_minutes:
        progress = max(progress, elapsed_s / (cfg.max_minutes * 60))
    progress = min(progress, 1.0)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def greedy_lowers(model, tok, uppers: list[str], device: str) -> list[str]:
    """Length-forced greedy decoding, grouped by length; enough to watch BLEU during training."""
    model.eval()
    out = {}
    by_len: dict[int, list[str]] = {}
    for u in uppers:
        by_len.setdefault(len(u), []).append(u)
    vocab = tok.get_vocab()
    inv = {i: t for t, i in vocab.items()}
    for n, group in by_len.items():
        ids = torch.tensor(
            [[vocab.get(c, tok.unk_token_id) for c in u] + [tok.eos_token_id] for u in group], device=device
        )
        gen = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=n + 1,
            min_new_tokens=n + 1,
            num_beams=1,
            do_sample=False,
        )
        for u, row in zip(group, gen[:, 1 : n + 1].tolist(), strict=True):
            out[u] = "".join(inv.get(i, "?") for i in row)
    model.train()
    return [out[u] for u in uppers]


def mean_loss(model, tok, data: list, cfg: TrainConfig) -> float:
    total, count = 0.0, 0
    with torch.no_grad(), _autocast(cfg):
        for idx in make_batches(data, cfg.batch_tokens, random.Random(0)):
            batch = {
                k: v.to(cfg.device) for k, v in collate(data, idx, tok.pad_token_id, tok.bos_token_id).items()
            }
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
            loss = torch.nn.functional.cross_entropy(
                logits.float().transpose(1, 2), batch["labels"], reduction="sum"
            )
            total += loss.item()
            count += batch["labels"].ne(-100).sum().item()
    return total / max(count, 1)


def evaluate_dev(model, tok, dev_data: dict[str, list], dev_pairs, cfg: TrainConfig) -> dict[str, float]:
    """Dev loss of every task (``dev_loss`` is the lower-line task's) and greedy BLEU of lower lines."""
    model.eval()
    record = {
        ("dev_loss" if task == "lower" else f"dev_loss_{task}"): mean_loss(model, tok, data, cfg)
        for task, data in dev_data.items()
    }
    refs = references_by_upper(dev_pairs)
    uppers = list(refs)[: cfg.eval_pairs]
    with _autocast(cfg):
        hyps = greedy_lowers(model, tok, uppers, cfg.device)
    model.train()
    record["dev_bleu"] = char_bleu(hyps, [refs[u] for u in uppers])
    return record


def _autocast(cfg: TrainConfig):
    if cfg.bf16 and cfg.device == "cpu" and cpu_has_native_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    if cfg.bf16 and cfg.device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def train(cfg: TrainConfig) -> dict:
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    distributed = world > 1
    if distributed:
        dist.init_process_group("nccl" if cfg.device.startswith("cuda") else "gloo")
        if cfg.device.startswith("cuda"):
            cfg.device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    master = rank == 0
    torch.manual_seed(cfg.seed + rank)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = cfg.out_dir / "checkpoint"
    if not cfg.resume:
        shutil.rmtree(cfg.out_dir / "best", ignore_errors=True)  # an earlier run's best is not this one's

    unknown = set(cfg.tasks) - set(TASKS)
    if unknown or not cfg.tasks:
        raise ValueError(f"tasks must be some of {TASKS}, got {cfg.tasks}")
    train_pairs = read_split(cfg.prepared_dir, "train")[: cfg.train_limit]
    dev_pairs = read_split(cfg.prepared_dir, "dev")
    writes = "write" in cfg.tasks
    words = line_words(cfg.prepared_dir, "train", [u for u, _ in train_pairs]) if writes else None
    dev_words = line_words(cfg.prepared_dir, "dev", [u for u, _ in dev_pairs]) if writes else None
    if cfg.resume and (ckpt / "state.pt").exists():
        tok = PreTrainedTokenizerFast.from_pretrained(ckpt)
        model = BartForConditionalGeneration.from_pretrained(ckpt)
        state = torch.load(ckpt / "state.pt", weights_only=False)
    elif cfg.init_from:
        # Fine-tuning a shipped model: its vocabulary must stay, so the tokenizer comes with it.
        tok = PreTrainedTokenizerFast.from_pretrained(cfg.init_from)
        model = BartForConditionalGeneration.from_pretrained(cfg.init_from, dtype=torch.float32)
        model.config.dropout = cfg.dropout
        state = None
        if master:
            log.info("starting from the weights in %s", cfg.init_from)
    else:
        if cfg.resume:
            log.warning("no checkpoint in %s: starting from scratch", ckpt)
        tok = build_tokenizer(u + d for u, d in train_pairs)
        model = BartForConditionalGeneration(bart_config(tok, cfg.size, cfg.dropout))
        state = None
    if cfg.tasks != ("lower",):
        add_markers(tok, model)
    model.to(cfg.device)
    fixed = encode(
        tok, task_pairs([t for t in cfg.tasks if t != "write"], train_pairs, None, random.Random(0))
    )

    def epoch_data(epoch: int) -> list:
        """The fixed tasks' pairs, and this epoch's keyword draw when the model learns to write."""
        if not writes:
            return fixed
        return fixed + encode(tok, task_pairs(["write"], train_pairs, words, random.Random(cfg.seed + epoch)))

    data = epoch_data(0)
    dev_data = {
        task: encode(tok, task_pairs([task], dev_pairs, dev_words, random.Random(0))) for task in cfg.tasks
    }
    params_m = sum(p.numel() for p in model.parameters()) / 1e6
    if master:
        log.info(
            "model %s: %.1fM parameters, vocab %d; %d training pairs over the tasks, %d dev pairs, %d processes",
            cfg.size,
            params_m,
            len(tok),
            len(data),
            len(dev_pairs),
            world,
        )

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.98),
        eps=1e-8,
    )
    step, epoch, elapsed, history = 0, 0, 0.0, []
    if state:
        opt.load_state_dict(state["optimizer"])
        step, epoch, elapsed, history = state["step"], state["epoch"], state["elapsed"], state["history"]
        random.setstate(state["py_rng"])
        torch.set_rng_state(state["torch_rng"])
        if master:
            log.info("resumed at step %d (epoch %d, %.1f min trained)", step, epoch, elapsed / 60)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    steps_per_epoch = max(1, len(make_batches(data, cfg.batch_tokens, random.Random(0))) // world)
    total_steps = cfg.max_steps
    if cfg.epochs:
        total_steps = min(total_steps, int(cfg.epochs * steps_per_epoch))

    model.train()
    bar = tqdm(
        total=total_steps, initial=step, disable=not master, unit="step", dynamic_ncols=True, mininterval=2.0
    )
    started, pairs_done, loss_avg = time.time() - elapsed, 0, None
    window_start = time.time()
    done = False
    while not done:
        data = epoch_data(epoch)
        batches = make_batches(data, cfg.batch_tokens, random.Random(cfg.seed + epoch))[rank::world]
        skip = step - epoch * steps_per_epoch  # batches of this epoch already trained before a resume
        for idx in batches[max(0, skip) :]:
            elapsed = time.time() - started
            if step >= total_steps or (cfg.max_minutes and elapsed >= cfg.max_minutes * 60):
                done = True
                break
            lr = lr_at(cfg, step, elapsed, total_steps)
            for group in opt.param_groups:
                group["lr"] = lr
            batch = {
                k: v.to(cfg.device) for k, v in collate(data, idx, tok.pad_token_id, tok.bos_token_id).items()
            }
            with _autocast(cfg):
                logits = net(**{k: v for k, v in batch.items() if k != "labels"}).logits
            loss = torch.nn.functional.cross_entropy(
                logits.float().transpose(1, 2), batch["labels"], label_smoothing=cfg.label_smoothing
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            step += 1
            pairs_done += len(idx) * world
            loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
            if master:
                rate = pairs_done / max(time.time() - window_start, 1e-6)
                bar.set_postfix(loss=f"{loss_avg:.3f}", lr=f"{lr:.2e}", pairs_s=f"{rate:.0f}", ep=epoch)
                bar.update(1)
            if step % cfg.eval_every == 0:
                history.append(
                    _checkpoint(
                        model,
                        tok,
                        opt,
                        cfg,
                        step,
                        epoch,
                        time.time() - started,
                        history,
                        loss_avg,
                        dev_data,
                        dev_pairs,
                        master,
                        distributed,
                    )
                )
                pairs_done, window_start = 0, time.time()
        else:
            epoch += 1
    bar.close()
    elapsed = time.time() - started
    history.append(
        _checkpoint(
            model,
            tok,
            opt,
            cfg,
            step,
            epoch,
            elapsed,
            history,
            loss_avg,
            dev_data,
            dev_pairs,
            master,
            distributed,
        )
    )
    summary = {
        "steps": step,
        "epochs": step / steps_per_epoch,
        "minutes": elapsed / 60,
        "parameters_m": params_m,
        "world_size": world,
        "final": history[-1],
        "config": _jsonable(cfg),
    }
    base = cfg.init_from / "training.json" if cfg.init_from else None
    if base is not None and base.is_file():  # the run that produced the starting weights: its time counts too
        summary["fine_tuned_from"] = json.loads(base.read_text())
    if master:
        (cfg.out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
        if cfg.export_dir:
            best = cfg.out_dir / "best"
            if best.is_dir():
                model = BartForConditionalGeneration.from_pretrained(best, dtype=torch.float32)
                summary["exported"] = min(
                    (r for r in history if "dev_loss" in r), key=lambda r: r["dev_loss"]
                )
            export(model, tok, cfg.export_dir, summary)
    if distributed:
        dist.destroy_process_group()
    return summary


def _checkpoint(
    model, tok, opt, cfg, step, epoch, elapsed, history, loss_avg, dev_data, dev_pairs, master, distributed
) -> dict:
    record = {"step": step, "epoch": epoch, "minutes": round(elapsed / 60, 2), "train_loss": loss_avg}
    if master:
        record.update(evaluate_dev(model, tok, dev_data, dev_pairs, cfg))
        log.info("step %d: %s", step, json.dumps(record))
        ckpt = cfg.out_dir / "checkpoint"
        tmp = cfg.out_dir / "checkpoint.tmp"
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        torch.save(
            {
                "optimizer": opt.state_dict(),
                "step": step,
                "epoch": epoch,
                "elapsed": elapsed,
                "history": history + [record],
                "py_rng": random.getstate(),
                "torch_rng": torch.get_rng_state(),
            },
            tmp / "state.pt",
        )
        if ckpt.exists():
            shutil.rmtree(ckpt)
        tmp.rename(ckpt)
        if record["dev_loss"] <= min(r["dev_loss"] for r in history + [record] if "dev_loss" in r):
            # Long runs on a GPU can pass their best; the export takes the lowest dev loss, not the last.
            model.save_pretrained(cfg.out_dir / "best")
        with (cfg.out_dir / "train_log.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")
    if distributed:
        dist.barrier()
    return record


def export(model, tok, export_dir: Path, summary: dict) -> None:
    """Write the shipped model: fp16 safetensors, tokenizer and training summary."""
    export_dir.mkdir(parents=True, exist_ok=True)
    half = BartForConditionalGeneration(model.config)
    half.load_state_dict(model.state_dict())
    half.half().save_pretrained(export_dir, safe_serialization=True)
    tok.save_pretrained(export_dir)
    (export_dir / "training.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    log.info("exported fp16 model to %s", export_dir)


def _jsonable(cfg: TrainConfig) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}
