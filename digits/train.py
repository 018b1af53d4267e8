"""Train the digit models (fc, cnn) on MNIST and the symbol classifier on MNIST plus the symbol images.

One loop for all three: AdamW with a one-cycle learning rate, batch augmentation, bf16 autocast on a CPU
that computes bf16 natively, MNIST-test (or held-out symbols) accuracy after every epoch, and fp16
safetensors written at the end.
Optionally (``skeletons``) every training picture is added once more, redrawn from its skeleton
(``digits.skeleton``): strokes have a thin, even pen that MNIST's fat digits never show. Training can
start from existing weights (``init``) to fine-tune them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from core.hardware import cpu_has_native_bf16
from digits import SYMBOLS, datasets
from digits.augment import Augment, augment
from digits.networks import build, classes_of, load, metadata, save
from digits.preprocess import to_unit
from digits.skeleton import BLOB, skeleton_fields

log = logging.getLogger(__name__)

DEFAULTS = {
    "fc": dict(epochs=40, lr=2e-3, augment=Augment(degrees=8, shift=1.5, scale=(0.92, 1.08), shear=0.08)),
    "cnn": dict(epochs=20, lr=2e-3, augment=Augment()),
    "symbols": dict(epochs=12, lr=2e-3, augment=Augment(degrees=10, shift=2.0, scale=(0.85, 1.1), shear=0.1)),
}


@dataclass
class DigitTrainConfig:
    kind: str
    raw_dir: Path  # MNIST idx files and the symbol archive
    cache_dir: Path  # preprocessed symbol images
    out: Path | None = None  # fp16 weights; None: do not save
    epochs: int | None = None
    lr: float | None = None
    batch_size: int = 128
    weight_decay: float = 1e-4
    label_smoothing: float = 0.05
    samples_per_epoch: int | None = None  # symbols: class-balanced draws per epoch (default 90,000)
    augment: bool = True
    skeletons: bool = False  # add every training picture redrawn from its skeleton
    init: Path | None = None  # start from these weights (fine-tuning) instead of a random model
    bf16: bool = True  # bf16 autocast, where the CPU computes bf16 natively
    seed: int = 0
    train_limit: int | None = None  # smoke runs: first N training images of each source
    test_limit: int | None = None
    max_minutes: float | None = None
    log_file: Path | None = None
    extra: dict = field(default_factory=dict)


def set_threads() -> None:
    """``COUPLET_TORCH_THREADS`` caps torch's CPU threads (default: torch's own choice)."""
    threads = os.environ.get("COUPLET_TORCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))


def _load(cfg: DigitTrainConfig) -> tuple[dict[str, datasets.Split], dict[str, datasets.Split]]:
    """Training sources and test sets (name -> images/labels)."""
    lim, tlim = cfg.train_limit, cfg.test_limit

    def cut(split: datasets.Split, n: int | None) -> datasets.Split:
        return split if n is None else datasets.Split(split.images[:n], split.labels[:n])

    train = {"mnist": cut(datasets.mnist(cfg.raw_dir, "train"), lim)}
    test = {"mnist": cut(datasets.mnist(cfg.raw_dir, "test"), tlim)}
    if cfg.kind == "symbols":
        archive = cfg.raw_dir / "math_symbols_45x45.tar.xz"
        cache = cfg.cache_dir / "symbols.npz"
        sym_train, sym_test = (
            datasets.symbols(archive, cache, "train"),
            datasets.symbols(archive, cache, "test"),
        )
        if lim is not None:  # keep every class in a smoke run
            keep = np.concatenate(
                [np.nonzero(sym_train.labels == c)[0][: max(1, lim // 17)] for c in range(17)]
            )
            sym_train = datasets.Split(sym_train.images[keep], sym_train.labels[keep])
        train["symbols"] = sym_train
        test["symbols"] = cut(sym_test, tlim)
    if cfg.skeletons:
        for name in list(train):
            train[f"{name}_skeletons"] = _skeletons(train[name], cfg.cache_dir)
        test["mnist_skeletons"] = _skeletons(test["mnist"], cfg.cache_dir)
    return train, test


def _skeletons(split: datasets.Split, cache_dir: Path) -> datasets.Split:
    """The split redrawn from its skeletons, cached under a digest of its pictures and the blob rule (minutes)."""
    digest = hashlib.sha256(split.images.tobytes() + f"blob{BLOB}".encode()).hexdigest()[:16]
    cache = cache_dir / f"skeletons_{digest}.npy"
    if cache.is_file():
        return datasets.Split(np.load(cache), split.labels)
    images = skeleton_fields(split.images)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npy")
    np.save(tmp, images)
    tmp.replace(cache)
    return datasets.Split(images, split.labels)


def _epoch_indices(kind: str, train: dict[str, datasets.Split], n: int | None, rng: np.random.Generator):
    labels = np.concatenate([s.labels for s in train.values()])
    if kind != "symbols":
        return rng.permutation(len(labels))
    # Class-balanced: every symbol as often as every digit, whichever source it comes from.
    n = n or 90_000
    counts = np.bincount(labels, minlength=len(SYMBOLS)).astype(np.float64)
    weights = 1.0 / counts[labels]
    return rng.choice(len(labels), size=n, replace=True, p=weights / weights.sum())


@torch.no_grad()
def accuracy(
    model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, bf16: bool = False, batch: int = 1000
) -> tuple[float, np.ndarray]:
    """Top-1 accuracy and the predictions."""
    model.eval()
    preds = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(to_unit(images[i : i + batch])).unsqueeze(1)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            preds.append(model(x).argmax(1).numpy())
    pred = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    return float((pred == labels).mean()) if len(labels) else 0.0, pred


def train(cfg: DigitTrainConfig) -> dict:
    set_threads()
    defaults = DEFAULTS[cfg.kind]
    epochs = cfg.epochs or defaults["epochs"]
    lr = cfg.lr or defaults["lr"]
    aug = defaults["augment"]
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    bf16 = cfg.bf16 and cpu_has_native_bf16()
    train_sets, test_sets = _load(cfg)
    images = torch.from_numpy(to_unit(np.concatenate([s.images for s in train_sets.values()]))).unsqueeze(1)
    labels = torch.from_numpy(np.concatenate([s.labels for s in train_sets.values()]))
    steps_per_epoch = -(
        -len(_epoch_indices(cfg.kind, train_sets, cfg.samples_per_epoch, rng)) // cfg.batch_size
    )

    model = build(cfg.kind) if cfg.init is None else load(cfg.init, cfg.kind)
    base = metadata(cfg.init)["info"] if cfg.init is not None else None
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt,
        max_lr=lr,
        total_steps=epochs * steps_per_epoch,
        pct_start=0.15,
        div_factor=10,
        final_div_factor=100,
    )
    history = []
    start = time.monotonic()
    stopped_early = False
    log.info(
        "training %s: %d images, %d epochs of %d steps, %d threads, %s",
        cfg.kind,
        len(labels),
        epochs,
        steps_per_epoch,
        torch.get_num_threads(),
        "bf16 autocast" if bf16 else "fp32",
    )
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.from_numpy(_epoch_indices(cfg.kind, train_sets, cfg.samples_per_epoch, rng))
        total, seen = 0.0, 0
        bar = tqdm(
            range(0, len(order), cfg.batch_size),
            desc=f"{cfg.kind} epoch {epoch}/{epochs}",
            unit="batch",
            leave=False,
        )
        for i in bar:
            idx = order[i : i + cfg.batch_size]
            x, y = images[idx], labels[idx]
            if cfg.augment:
                x = augment(x, aug, gen)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched.last_epoch < sched.total_steps - 1:
                sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            if seen // cfg.batch_size % 50 == 0:
                bar.set_postfix(loss=f"{total / seen:.4f}")
        bar.close()
        record = {
            "epoch": epoch,
            "train_loss": round(total / max(seen, 1), 5),
            "minutes": round((time.monotonic() - start) / 60, 3),
        }
        for name, split in test_sets.items():
            record[f"{name}_test_accuracy"] = round(accuracy(model, split.images, split.labels, bf16)[0], 5)
        history.append(record)
        log.info("%s", json.dumps(record))
        tqdm.write(json.dumps(record))
        if cfg.log_file:
            cfg.log_file.parent.mkdir(parents=True, exist_ok=True)
            with cfg.log_file.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"kind": cfg.kind, **record}) + "\n")
        if cfg.max_minutes and (time.monotonic() - start) / 60 > cfg.max_minutes and epoch < epochs:
            stopped_early = True
            log.warning("stopping after epoch %d: the %.1f-minute limit is reached", epoch, cfg.max_minutes)
            break

    minutes = (time.monotonic() - start) / 60
    final = {}
    for name, split in test_sets.items():
        acc, pred = accuracy(model, split.images, split.labels, bf16=False)  # fp32, as served
        final[f"{name}_test_accuracy"] = round(acc, 5)
        if cfg.kind == "symbols" and name == "symbols":
            final["symbols_per_class"] = {
                c: round(float((pred[split.labels == k] == k).mean()), 4)
                for k, c in enumerate(classes_of(cfg.kind))
                if (split.labels == k).any()
            }
    summary = {
        "kind": cfg.kind,
        "epochs": len(history),
        "stopped_early": stopped_early,
        "train_minutes": round(minutes, 2),
        "threads": torch.get_num_threads(),
        "train_images": len(labels),
        "final": final,
        "history": history,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}
        | {"epochs": epochs, "lr": lr},
    }
    if cfg.out is not None:
        info = {k: summary[k] for k in ("epochs", "train_minutes", "threads", "final")}
        if base is not None:  # the training that produced the starting weights, so that its time is not lost
            info["fine_tuned_from"] = base
        save(model, cfg.out, cfg.kind, info=info)
    return summary
