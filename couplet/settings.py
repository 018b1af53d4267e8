"""One settings object, read from the environment.

Every knob the service or the commands read lives here, so the README's settings table and the code
cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    """Untracked data: downloads (raw/), the cleaned splits (prepared/), checkpoints."""
    models_dir: Path
    """Shipped model weights (tracked in git)."""
    data_mirror: Path | None
    """A local copy of the upstream data (COUPLET_DATA_MIRROR); None means download from upstream."""
    host: str
    port: int
    workers: int
    """gunicorn worker processes; each loads its own models."""
    threads: int

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def prepared_dir(self) -> Path:
        return self.data_dir / "prepared"

    @property
    def generator_dir(self) -> Path:
        return self.models_dir / "generator"

    @classmethod
    def from_env(cls) -> Settings:
        mirror = os.environ.get("COUPLET_DATA_MIRROR")
        return cls(
            data_dir=_path("COUPLET_DATA_DIR", PROJECT_ROOT / "data"),
            models_dir=_path("COUPLET_MODELS_DIR", PROJECT_ROOT / "data" / "models"),
            data_mirror=Path(mirror).expanduser() if mirror else None,
            host=os.environ.get("COUPLET_HOST", "0.0.0.0"),
            port=int(os.environ.get("COUPLET_PORT", "8000")),
            workers=int(os.environ.get("COUPLET_WORKERS", "2")),
            threads=int(os.environ.get("COUPLET_THREADS", "4")),
        )
