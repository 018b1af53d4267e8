"""Train the scene head (vision/scene_head.py) on the ImageNet sample photos of the data mirror.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python -m vision.train_scene_head

Each photo's pooled features come from the local tagger's model; its labels from scene_head_labels.tsv.
One L2-regularised logistic regression per concept, with balanced class weights (people are on 15% of
the photos, snow on 2%). The regularisation strength is chosen per concept by 5-fold cross-validation
on these photos (average precision), never on the labelled scene photos, which stay the held-out test
(benchmarks/scene_tags.py). Prints each concept's cross-validated figures and writes data/models/scene_head/model.safetensors.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch

from core.errors import DataError
from core.settings import Settings
from vision.concepts import concept
from vision.local import LocalTagger
from vision.scene_head import LABELS_PATH, THRESHOLD, WEIGHTS_PATH, SceneHead
from vision.tables import read_table

STRENGTHS = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
"""L2 penalties tried: the penalty is strength/2 · |w|², beside the summed loss of the photos. 10 was added
when the max-pooled features came in, since cross-validation then chose the old lower end, 30."""
FOLDS = 5


def read_labels(path: Path = LABELS_PATH) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for line, row in read_table(path, ["filename", "concepts"], "scene head labels"):
        names = set(filter(None, row[1].split(";"))) if len(row) == 2 else set()
        for name in names:
            try:
                concept(name)
            except KeyError:
                raise DataError(f"{path}:{line}: {name!r} is not in the concept table") from None
        if not names:
            raise DataError(f"{path}:{line}: expected a file name and its concepts, got {row}")
        labels[row[0]] = names
    return labels


def fit(x: np.ndarray, y: np.ndarray, strength: float) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic regression with balanced class weights and an L2 penalty."""
    xt, yt = torch.from_numpy(x).double(), torch.from_numpy(y).double()
    positive = yt.mean().clamp(1e-6, 1 - 1e-6)
    sample_weight = torch.where(yt > 0, 0.5 / positive, 0.5 / (1 - positive))
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        logits = xt @ w + b
        value = (sample_weight * torch.nn.functional.softplus(-(2 * yt - 1) * logits)).mean()
        value = value + strength / 2 * (w @ w) / len(yt)
        value.backward()
        return value

    optimiser.step(loss)
    return w.detach().numpy(), float(b.detach())


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    order = np.argsort(-score)
    hits = y[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / max(1.0, hits.sum()))


def cross_validate(x: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    """Out-of-fold probabilities, folds interleaved over the class order (ImageNet's classes are grouped)."""
    folds = np.arange(len(y)) % FOLDS
    out = np.zeros(len(y))
    for k in range(FOLDS):
        w, b = fit(x[folds != k], y[folds != k], strength)
        out[folds == k] = 1.0 / (1.0 + np.exp(-(x[folds == k] @ w + b)))
    return out


def features_of(folder: Path) -> tuple[list[str], np.ndarray]:
    with (folder / "labels.tsv").open(encoding="utf-8") as f:
        names = [row["filename"] for row in csv.DictReader(f, delimiter="\t")]
    tagger = LocalTagger()
    return names, np.stack([tagger.outputs(tagger.open((folder / n).read_bytes())).features for n in names])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args()
    torch.set_num_threads(1)
    mirror = Settings.from_env().data_mirror
    if mirror is None:
        raise SystemExit("set COUPLET_DATA_MIRROR to the data mirror (it holds images/imagenet-samples)")
    labels = read_labels()
    names, features = features_of(mirror / "images" / "imagenet-samples")
    if missing := set(labels) - set(names):
        raise SystemExit(f"labelled photos missing from the mirror: {sorted(missing)[:5]}")
    mean, scale = features.mean(0), features.std(0) + 1e-6
    x = (features - mean) / scale
    concepts = sorted({c for cs in labels.values() for c in cs})
    weights, biases = [], []
    for name in concepts:
        y = np.array([name in labels.get(n, ()) for n in names], dtype=np.int64)
        scored = {s: cross_validate(x, y, s) for s in STRENGTHS}
        best = max(STRENGTHS, key=lambda s: average_precision(y, scored[s]))
        fired = scored[best] >= THRESHOLD
        print(
            f"{name}: {y.sum()} of {len(y)} photos, penalty {best}, cross-validated AP "
            f"{average_precision(y, scored[best]):.3f}, at {THRESHOLD}: precision "
            f"{(y[fired].mean() if fired.any() else 0):.3f} recall {fired[y == 1].mean():.3f}"
        )
        w, b = fit(x, y, best)
        weights.append(w)
        biases.append(b)
    SceneHead(tuple(concepts), mean, scale, np.stack(weights), np.array(biases)).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
