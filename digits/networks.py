"""The digit and symbol networks, and their fp16 safetensors files.

- ``fc``: the lecture's fully connected net 784-128-32-10 (ReLU; softmax on the output).
- ``cnn``: conv 5×5×32 → max-pool → conv 5×5×64 → max-pool → FC 512 + dropout → classes.
- ``symbols``: the same CNN with the calculator's 17 classes (0-9 + - × ÷ ( ) =).

Inputs are 28×28 in [-0.5, 0.5], background -0.5 (see ``digits.preprocess``).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from core.errors import DataError
from digits import DIGITS, SYMBOLS

KINDS = ("fc", "cnn", "symbols")


class FCNet(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 128),
            nn.ReLU(),
            nn.Linear(128, 32),
            nn.ReLU(),
            nn.Linear(32, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNN(nn.Module):
    def __init__(self, classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Dropout(dropout), nn.Linear(512, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def classes_of(kind: str) -> str:
    return SYMBOLS if kind == "symbols" else DIGITS


def build(kind: str) -> nn.Module:
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r} (choose from {', '.join(KINDS)})")
    classes = len(classes_of(kind))
    return FCNet(classes) if kind == "fc" else CNN(classes)


def weights_path(models_dir: Path, kind: str) -> Path:
    return Path(models_dir) / f"{kind}.safetensors"


def save(model: nn.Module, path: Path, kind: str, info: dict | None = None) -> None:
    """fp16 weights with the kind, classes and training facts in the header metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    meta = {"kind": kind, "classes": classes_of(kind), "info": json.dumps(info or {}, ensure_ascii=False)}
    save_file(tensors, str(path), metadata=meta)


def load(path: Path, kind: str) -> nn.Module:
    """A model in eval mode (float32) from its fp16 file."""
    if not Path(path).is_file():
        raise DataError(f"the {kind} weights {path} are missing: run `couplet digits train --model {kind}`")
    model = build(kind)
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise DataError(f"{path} does not hold {kind} weights ({exc})") from exc
    return model.eval()


def metadata(path: Path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = dict(f.metadata() or {})
    meta["info"] = json.loads(meta.get("info", "{}"))
    return meta
