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
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm
from transformers import BartForConditionalGeneration, PreTrainedTokenizerFast

from core.hardware import cpu_has_native_bf16
from couplet.bleu import char_bleu, references_by_upper
from couplet.model.config import bart_config
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


def encode(tok: PreTrainedTokenizerFast, pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
    vocab, unk, eos = tok.get_vocab(), tok.unk_token_id, tok.eos_token_id
    return [
        ([vocab.get(c, unk) for c in u] + [eos], [vocab.get(c, unk) for c in d] + [eos]) for u, d in pairs
    ]


def make_batches(data: list, batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches of indices: similar lengths together, batch order shuffled."""
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), rng.random()))
    batches, current, width = [], [], 0
    for i in order:
        width = max(width, len(data[i][0]))
        if current and width * (len(current) + 1) > batch_tokens:
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
    input_ids = torch.full((len(idx), s_len), pad)
    labels = torch.full((len(idx), t_len), -100)
    dec_in = torch.full((len(idx), t_len), pad)
    for k, (s, t) in enumerate(zip(src, tgt, strict=True)):
        input_ids[k, : len(s)] = torch.tensor(s)
        labels[k, : len(t)] = torch.tensor(t)
        dec_in[k, : len(t)] = torch.tensor([bos] + t[:-1])
    return {
        "input_ids": input_ids,
        "attention_mask": input_ids.ne(pad),
        "decoder_input_ids": dec_in,
        "labels": labels,
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


def evaluate_dev(model, tok, dev_data, dev_pairs, cfg: TrainConfig) -> dict[str, float]:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), _autocast(cfg):
        for idx in make_batches(dev_data, cfg.batch_tokens, random.Random(0)):
            batch = {
                k: v.to(cfg.device)
                for k, v in collate(dev_data, idx, tok.pad_token_id, tok.bos_token_id).items()
            }
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
            loss = torch.nn.functional.cross_entropy(
                logits.float().transpose(1, 2), batch["labels"], reduction="sum"
            )
            total += loss.item()
            count += batch["labels"].ne(-100).sum().item()
    refs = references_by_upper(dev_pairs)
    uppers = list(refs)[: cfg.eval_pairs]
    with _autocast(cfg):
        hyps = greedy_lowers(model, tok, uppers, cfg.device)
    model.train()
    return {"dev_loss": total / max(count, 1), "dev_bleu": char_bleu(hyps, [refs[u] for u in uppers])}


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

    train_pairs = read_split(cfg.prepared_dir, "train")[: cfg.train_limit]
    dev_pairs = read_split(cfg.prepared_dir, "dev")
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
    model.to(cfg.device)
    data, dev_data = encode(tok, train_pairs), encode(tok, dev_pairs)
    params_m = sum(p.numel() for p in model.parameters()) / 1e6
    if master:
        log.info(
            "model %s: %.1fM parameters, vocab %d; %d train pairs, %d dev pairs, %d processes",
            cfg.size,
            params_m,
            len(tok),
            len(data),
            len(dev_data),
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
            for f in ckpt.iterdir():
                f.unlink()
            ckpt.rmdir()
        tmp.rename(ckpt)
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
