"""The one place that holds the loaded digit and symbol models: each is read on first use, once per process."""

from __future__ import annotations

from pathlib import Path

from core.lazy import resource
from core.settings import Settings
from digits import networks
from digits.recognise import Reader


def models_dir(settings: Settings) -> Path:
    return settings.models_dir / "digits"


@resource
def _network(folder: Path, kind: str):
    # Keyed by the folder, not the settings: settings that differ elsewhere share the weights.
    return networks.load(networks.weights_path(folder, kind), kind)


def get_model(kind: str, settings: Settings):
    """The ``fc``, ``cnn`` or ``symbols`` model in eval mode (DataError when its weights are missing)."""
    return _network(models_dir(settings), kind)


def get_reader(settings: Settings) -> Reader:
    """The expression reader: the symbol classifier with the digit CNN beside it."""
    return Reader(get_model("symbols", settings), get_model("cnn", settings))
