"""Bring MNIST and the math-symbol images into ``settings.raw_dir / "digits"``.

Sources, upstream URLs and checksums are in ``data/manifests/digits_sources.json``. MNIST is
downloaded from its public mirror (resumable); the symbol archive comes from a local data mirror only,
because its upstream (Kaggle) needs an API token. Every file is sha256-checked before it is used.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from tqdm import tqdm

from core.download import CHUNK, Source, download, load_sources, sha256_file
from core.errors import DataError
from core.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

SOURCES_FILE = PROJECT_ROOT / "data" / "manifests" / "digits_sources.json"
SYMBOLS_ARCHIVE = "math_symbols_45x45.tar.xz"


def digits_raw_dir(settings: Settings) -> Path:
    return settings.raw_dir / "digits"


def fetch_digits(
    raw_dir: Path, mirror: Path | None = None, force: bool = False, sources_file: Path = SOURCES_FILE
) -> dict[str, str]:
    """Fetch every source into ``raw_dir``; return name -> sha256. Verified copies are kept unless ``force``."""
    if mirror is not None and not mirror.is_dir():
        raise DataError(f"data mirror {mirror} does not exist or is not a folder")
    needs_token = {
        name: e.get("needs_token") for name, e in json.loads(sources_file.read_text("utf-8")).items()
    }
    raw_dir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for source in load_sources(sources_file):
        target = raw_dir / source.name
        if target.exists() and not force and sha256_file(target) in source.sha256:
            log.info("%s: already present and verified", source.name)
        elif mirror is not None:
            _copy(source, mirror / source.mirror_path, target)
        elif needs_token.get(source.name) == "kaggle":
            raise DataError(
                f"{source.name}: its upstream is Kaggle ({source.url}), which needs a Kaggle API token and "
                "ships a different layout; give a data mirror with --from PATH or COUPLET_DATA_MIRROR "
                f"(it must hold {source.mirror_path})"
            )
        else:
            part = target.with_name(target.name + ".download")
            download(source.url, part)
            _check(source, part, source.url)
            part.replace(target)
        hashes[source.name] = sha256_file(target)
    return hashes


def _copy(source: Source, origin: Path, target: Path) -> None:
    if not origin.is_file():
        raise DataError(f"{source.name}: not found in the mirror at {origin}")
    part = target.with_name(target.name + ".part")
    with (
        origin.open("rb") as src,
        part.open("wb") as dst,
        tqdm(
            total=origin.stat().st_size, desc=source.name, unit="B", unit_scale=True, unit_divisor=1024
        ) as bar,
    ):
        for block in iter(lambda: src.read(CHUNK), b""):
            dst.write(block)
            bar.update(len(block))
    _check(source, part, str(origin))
    part.replace(target)


def _check(source: Source, part: Path, origin: str) -> None:
    digest = sha256_file(part)
    if digest not in source.sha256:
        part.unlink()
        raise DataError(
            f"{source.name}: checksum mismatch for {origin} (got {digest}, expected {source.sha256[0]})"
        )
