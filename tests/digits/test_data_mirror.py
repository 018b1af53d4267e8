"""With the real data mirror (COUPLET_DATA_MIRROR): fetch, the MNIST files, the symbol archive, shipped accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from handwriting import shipped

from digits import SYMBOLS, datasets, networks
from digits.fetch import fetch_digits
from digits.idx import load_mnist
from digits.train import accuracy

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def raw(mirror, tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw_digits")
    hashes = fetch_digits(folder, mirror)
    assert len(hashes) == 5
    return folder


def test_mnist_from_the_mirror(raw):
    train_x, train_y = load_mnist(raw, "train")
    test_x, test_y = load_mnist(raw, "test")
    assert train_x.shape == (60_000, 28, 28) and test_x.shape == (10_000, 28, 28)
    assert np.bincount(train_y).tolist()[:3] == [5923, 6742, 5958]
    assert np.bincount(test_y).tolist()[:3] == [980, 1135, 1032]
    assert train_x.max() == 255 and train_x[:, :2, :].mean() < 1  # 0 is the background


def test_symbol_archive_builds_every_class(raw, tmp_path):
    cache = tmp_path / "symbols.npz"
    datasets.build_symbol_cache(raw / "math_symbols_45x45.tar.xz", cache, limit_per_class=12)
    data = np.load(cache)
    assert np.bincount(data["labels"], minlength=17).tolist() == [12] * 17
    fields = data["images"].astype(np.float32) / 255
    assert fields[:, :2, :].max() < 0.1 and fields.max() == 1.0


def test_shipped_digit_models_reach_their_targets(mirror):
    torch.set_num_threads(max(1, torch.get_num_threads()))
    test_x, test_y = load_mnist(mirror / "mnist", "test")
    for kind, target in (("cnn", 0.995), ("fc", 0.98)):
        acc, _ = accuracy(networks.load(shipped(kind), kind), test_x, test_y)
        assert acc >= target, f"{kind}: MNIST test accuracy {acc:.4f} < {target}"


def test_shipped_symbol_model_on_held_out_symbols(raw, tmp_path):
    model = networks.load(shipped("symbols"), "symbols")
    cache = tmp_path / "symbols.npz"
    datasets.build_symbol_cache(raw / "math_symbols_45x45.tar.xz", cache, limit_per_class=150)
    test = datasets.symbols(raw / "math_symbols_45x45.tar.xz", cache, "test")
    assert set(test.labels.tolist()) == set(range(len(SYMBOLS)))
    acc, _ = accuracy(model, test.images, test.labels)
    assert acc >= 0.95, f"held-out symbol accuracy {acc:.4f}"


def test_fetch_command_takes_the_mirror_from_the_environment(mirror, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("COUPLET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COUPLET_DATA_MIRROR", str(mirror))
    result = CliRunner().invoke(main, ["digits", "fetch"])
    assert result.exit_code == 0, result.output
    assert "t10k-images-idx3-ubyte.gz\t8d422c7b" in result.output
    assert (tmp_path / "raw" / "digits" / "math_symbols_45x45.tar.xz").is_file()
