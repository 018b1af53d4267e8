"""The one place that holds the loaded digit and symbol models: each is read on first use, once per process."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from core.settings import Settings
from digits import networks
from digits.recognise import Reader

_lock = threading.Lock()


def models_dir(settings: Settings) -> Path:
    return settings.models_dir / "digits"


@cache
def _load(folder: Path, kind: str):
    return networks.load(networks.weights_path(folder, kind), kind)


def get_model(kind: str, settings: Settings | None = None):
    """The ``fc``, ``cnn`` or ``symbols`` model in eval mode (DataError when its weights are missing)."""
    settings = settings or Settings.from_env()
    with _lock:  # threads of one gunicorn worker must not load a model twice
        return _load(models_dir(settings), kind)


def get_reader(settings: Settings | None = None) -> Reader:
    """The expression reader: the symbol classifier with the digit CNN beside it."""
    return Reader(get_model("symbols", settings), get_model("cnn", settings))
