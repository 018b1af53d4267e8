"""A small head on the classifier's pooled features for what its ImageNet classes cannot name: people
who wear nothing the classifier knows, trees, snow, a city or street, a field.

One logistic regression per concept over the pooled features of EfficientNet-Lite2 (its 1,280 channels'
mean and max over the feature map: the max keeps small things, a person far off), trained by
vision/train_scene_head.py on the 1,000 ImageNet sample photos of the data mirror, labelled by eye for
what each photo shows beside its class (scene_head_labels.tsv: a dog on a lawn is 田野, a fish held up
by an angler is 人). The weights ship with the other models, data/models/scene_head/model.safetensors (about 70 kB; the
concepts in its metadata), so serving needs no training data.
A concept is tagged when its probability reaches THRESHOLD, the decision point of a head trained with
balanced class weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file, save_file

from core.errors import DataError
from core.settings import PROJECT_ROOT

WEIGHTS_PATH = PROJECT_ROOT / "data" / "models" / "scene_head" / "model.safetensors"
LABELS_PATH = Path(__file__).with_name("scene_head_labels.tsv")
THRESHOLD = 0.5


@dataclass(frozen=True)
class SceneHead:
    concepts: tuple[str, ...]
    mean: np.ndarray
    """Per-feature mean and scale of the training photos: features are standardised before the weights."""
    scale: np.ndarray
    weights: np.ndarray
    """concepts × features."""
    bias: np.ndarray

    def probabilities(self, features: np.ndarray) -> dict[str, float]:
        z = self.weights @ ((features - self.mean) / self.scale) + self.bias
        return dict(zip(self.concepts, (1.0 / (1.0 + np.exp(-z))).tolist(), strict=True))

    def save(self, path: Path = WEIGHTS_PATH) -> None:
        arrays = {"mean": self.mean, "scale": self.scale, "weights": self.weights, "bias": self.bias}
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()}
        save_file(tensors, str(path), metadata={"concepts": " ".join(self.concepts)})


@cache
def load_head(path: Path = WEIGHTS_PATH) -> SceneHead:
    try:
        with safe_open(str(path), framework="np") as f:
            concepts = tuple(f.metadata()["concepts"].split())
        data = load_file(str(path))
        head = SceneHead(concepts, data["mean"], data["scale"], data["weights"], data["bias"])
    except (OSError, KeyError, ValueError, TypeError, SafetensorError) as e:
        raise DataError(f"{path}: cannot read the scene head ({e}); python -m vision.train_scene_head") from e
    if head.weights.shape != (len(head.concepts), head.mean.size):
        raise DataError(f"{path}: weights of shape {head.weights.shape} for {len(head.concepts)} concepts")
    return head
