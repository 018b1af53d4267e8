"""The training loop on tiny data the test writes: MNIST-format idx files and a symbol archive of drawn templates."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from handwriting import TEMPLATES, draw_strokes
from safetensors.torch import load_file

from app.cli import main
from digits import SYMBOLS, datasets, networks
from digits.augment import Augment, augment
from digits.datasets import FOLDER_TO_CHAR, to_uint8
from digits.idx import write_idx
from digits.preprocess import prepare_character
from digits.train import DigitTrainConfig, accuracy, train

CHAR_TO_FOLDER = {c: f for f, c in FOLDER_TO_CHAR.items()}


def jittered(char: str, rng: np.random.Generator, size: int = 64):
    """A template symbol with random affine jitter, drawn as a picture."""
    a = np.eye(2) + rng.normal(0, 0.08, (2, 2))
    strokes = [[list(np.array(p) @ a.T * size + 20) for p in s] for s in TEMPLATES[char]]
    return draw_strokes(strokes, width=int(rng.integers(2, 7)))


@pytest.fixture(scope="module")
def tiny_raw(tmp_path_factory):
    """MNIST-format idx files (digits drawn from the templates) and a symbol archive in the mirror's layout."""
    raw = tmp_path_factory.mktemp("raw")
    rng = np.random.default_rng(0)
    for split, per_class in (("train", 24), ("t10k", 6)):
        labels = np.repeat(np.arange(10, dtype=np.uint8), per_class)
        images = np.stack([to_uint8(prepare_character(jittered(str(d), rng)).field) for d in labels])
        write_idx(raw / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte.gz", labels)
    with tarfile.open(raw / "math_symbols_45x45.tar.xz", "w:xz") as tar:
        for char in SYMBOLS:
            for k in range(12):
                buffer = io.BytesIO()
                jittered(char, rng).resize((45, 45)).save(buffer, "PNG")
                info = tarfile.TarInfo(f"symbols/{CHAR_TO_FOLDER[char]}/{char}_{k}.png")
                info.size = buffer.tell()
                buffer.seek(0)
                tar.addfile(info, buffer)
    return raw


@pytest.mark.parametrize("kind", ["fc", "cnn"])
def test_digit_training_learns_and_exports_fp16(tiny_raw, tmp_path, kind):
    torch.set_num_threads(1)
    out = tmp_path / f"{kind}.safetensors"
    cfg = DigitTrainConfig(
        kind=kind,
        raw_dir=tiny_raw,
        cache_dir=tmp_path / "cache",
        out=out,
        epochs=12,
        lr=3e-3,
        batch_size=32,
        log_file=tmp_path / "log.jsonl",
    )
    summary = train(cfg)
    history = summary["history"]
    assert len(history) == 12 and history[-1]["train_loss"] < history[0]["train_loss"]
    assert summary["final"]["mnist_test_accuracy"] >= 0.5  # ten classes: chance is 0.1
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 12
    weights = load_file(out)
    assert {t.dtype for t in weights.values()} == {torch.float16}
    meta = networks.metadata(out)
    assert meta["kind"] == kind and meta["classes"] == "0123456789" and meta["info"]["epochs"] == 12
    model = networks.load(out, kind)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_symbol_cache_and_training(tiny_raw, tmp_path):
    torch.set_num_threads(1)
    cache = tmp_path / "cache" / "symbols.npz"
    train_split = datasets.symbols(tiny_raw / "math_symbols_45x45.tar.xz", cache, "train")
    test_split = datasets.symbols(tiny_raw / "math_symbols_45x45.tar.xz", cache, "test")
    assert len(train_split.labels) + len(test_split.labels) == 17 * 12
    assert set(train_split.labels.tolist()) == set(range(17))
    assert train_split.images.dtype == np.uint8 and train_split.images.shape[1:] == (28, 28)
    cfg = DigitTrainConfig(
        kind="symbols",
        raw_dir=tiny_raw,
        cache_dir=tmp_path / "cache",
        out=tmp_path / "s.safetensors",
        epochs=2,
        batch_size=32,
        samples_per_epoch=256,
    )
    summary = train(cfg)
    assert summary["epochs"] == 2 and set(summary["final"]) >= {
        "mnist_test_accuracy",
        "symbols_test_accuracy",
    }
    assert networks.load(tmp_path / "s.safetensors", "symbols")(torch.zeros(1, 1, 28, 28)).shape == (1, 17)


def test_fine_tuning_with_skeletons(tiny_raw, tmp_path):
    torch.set_num_threads(1)
    base = tmp_path / "base.safetensors"
    train(DigitTrainConfig(kind="fc", raw_dir=tiny_raw, cache_dir=tmp_path / "cache", out=base, epochs=1))
    cfg = DigitTrainConfig(
        kind="fc",
        raw_dir=tiny_raw,
        cache_dir=tmp_path / "cache",
        out=tmp_path / "tuned.safetensors",
        epochs=1,
        skeletons=True,
        init=base,
    )
    summary = train(cfg)
    assert summary["train_images"] == 2 * 240  # every picture once more, redrawn from its skeleton
    assert "mnist_skeletons_test_accuracy" in summary["final"]
    assert (
        len(list((tmp_path / "cache").glob("skeletons_*.npy"))) == 2
    )  # train and test, cached for the next run
    info = networks.metadata(tmp_path / "tuned.safetensors")["info"]
    assert info["fine_tuned_from"]["epochs"] == 1 and info["epochs"] == 1
    # it starts from the base weights: with a vanishing learning rate it still scores what the base scores
    test = datasets.mnist(tiny_raw, "test")
    base_accuracy = accuracy(networks.load(base, "fc"), test.images, test.labels)[0]
    still = train(
        DigitTrainConfig(
            kind="fc", raw_dir=tiny_raw, cache_dir=tmp_path / "cache", epochs=1, lr=1e-12, init=base
        )
    )
    assert still["final"]["mnist_test_accuracy"] == pytest.approx(base_accuracy, abs=1e-4)


def test_max_minutes_stops_after_an_epoch(tiny_raw, tmp_path):
    cfg = DigitTrainConfig(kind="fc", raw_dir=tiny_raw, cache_dir=tmp_path, epochs=5, max_minutes=1e-6)
    summary = train(cfg)
    assert summary["epochs"] == 1 and summary["stopped_early"]


def test_train_command(tiny_raw, tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "digits").symlink_to(tiny_raw, target_is_directory=True)
    monkeypatch.setenv("COUPLET_DATA_DIR", str(data))
    monkeypatch.setenv("COUPLET_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("COUPLET_TORCH_THREADS", "1")
    result = CliRunner().invoke(main, ["digits", "train", "--model", "fc", "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["epochs"] == 2
    assert (tmp_path / "models" / "digits" / "fc.safetensors").is_file()
    assert (data / "results" / "digits_train_fc.json").is_file()


def test_augment_keeps_range_and_background():
    x = torch.full((8, 1, 28, 28), -0.5)
    x[:, :, 10:18, 12:16] = 0.5
    y = augment(x, Augment(), torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.min() >= -0.5 and y.max() <= 0.5
    assert torch.all(y[:, :, :3, :] == -0.5)  # nothing drifts to the border
    assert not torch.equal(y[0], y[1])
