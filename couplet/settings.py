"""One settings object, read from the environment.

Every knob the service or the commands read lives here, so the README's settings table and the code
cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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
    # Image tagging (vision/). Defaults let code that builds Settings by hand leave them out; the keys
    # are kept out of repr so a logged Settings never shows a secret.
    tagger: str = "local"
    """Tagger name or fallback chain, e.g. `local` or `azure,local` (COUPLET_TAGGER)."""
    tagger_timeout: float = 10.0
    """Seconds a cloud tagger may take per HTTP request."""
    azure_endpoint: str | None = None
    azure_key: str | None = field(default=None, repr=False)
    azure_api: str = "3.2"
    """Azure API: `3.2` (Computer Vision tag) or `4.0` (Image Analysis)."""
    baidu_api_key: str | None = field(default=None, repr=False)
    baidu_secret_key: str | None = field(default=None, repr=False)
    baidu_base_url: str = "https://aip.baidubce.com"

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
            tagger=os.environ.get("COUPLET_TAGGER", "local"),
            tagger_timeout=float(os.environ.get("COUPLET_TAGGER_TIMEOUT", "10")),
            azure_endpoint=os.environ.get("COUPLET_AZURE_ENDPOINT") or None,
            azure_key=os.environ.get("COUPLET_AZURE_KEY") or None,
            azure_api=os.environ.get("COUPLET_AZURE_API", "3.2"),
            baidu_api_key=os.environ.get("COUPLET_BAIDU_API_KEY") or None,
            baidu_secret_key=os.environ.get("COUPLET_BAIDU_SECRET_KEY") or None,
            baidu_base_url=os.environ.get("COUPLET_BAIDU_BASE_URL", "https://aip.baidubce.com"),
        )
