"""Fixtures for the handwriting tests: the data mirror, the shipped weights, tiny random models."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from handwriting import SHIPPED, shipped

from core.settings import Settings
from digits import networks


@pytest.fixture(scope="session")
def mirror() -> Path:
    value = os.environ.get("COUPLET_DATA_MIRROR")
    if not value or not (Path(value) / "mnist").is_dir():
        pytest.skip(
            "needs the data mirror: set COUPLET_DATA_MIRROR to a folder holding mnist/ and math-symbols/"
        )
    return Path(value)


@pytest.fixture(scope="session")
def random_models(tmp_path_factory) -> Path:
    """A models dir holding randomly initialised fc, cnn and symbols weights (fp16 files)."""
    import torch

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")
    for kind in networks.KINDS:
        networks.save(networks.build(kind), networks.weights_path(root / "digits", kind), kind)
    return root


@pytest.fixture(scope="session")
def shipped_models() -> Path:
    """The models dir of the shipped (trained) digit, cnn and symbol weights; skips when one is missing.

    For tests that must know what is read: random weights read anything."""
    for kind in networks.KINDS:
        shipped(kind)
    return SHIPPED.parent


@pytest.fixture
def random_settings(random_models, tmp_path) -> Settings:
    return replace(Settings.from_env(), data_dir=tmp_path / "data", models_dir=random_models)
