"""Download the corpus, the bad-word list and the classic couplets, or copy them from a local mirror.

Sources and their checksums are recorded in ``data/manifests/sources.json``. Downloads resume from a
``.part`` file; every file is verified before it replaces the previous copy.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tarfile
import zipfile
import zlib
from pathlib import Path

from core.download import CHUNK, Source, download, load_sources, progress_bar, sha256_file
from core.errors import DataError
from core.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

SOURCES_FILE = PROJECT_ROOT / "data" / "manifests" / "sources.json"
CLASSIC_BOOKS = ("声律启蒙", "笠翁对韵", "训蒙骈句")


def fetch_all(raw_dir: Path, mirror: Path | None = None, force: bool = False) -> dict[str, str]:
    """Bring every source into ``raw_dir``; return name -> sha256. Already verified files are kept."""
    if mirror is not None and not mirror.is_dir():
        raise DataError(f"data mirror {mirror} does not exist or is not a folder")
    raw_dir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for source in load_sources(SOURCES_FILE):
        target = raw_dir / source.name
        if target.exists() and not force and sha256_file(target) in source.sha256:
            log.info("%s: already present and verified", source.name)
        elif mirror is not None:
            _copy_from_mirror(source, mirror, target)
        else:
            _download_source(source, target)
        hashes[source.name] = sha256_file(target)
        log.info("%s: sha256 %s", source.name, hashes[source.name])
    return hashes


def _copy_from_mirror(source: Source, mirror: Path, target: Path) -> None:
    origin = mirror / source.mirror_path
    if not origin.is_file():
        raise DataError(f"{source.name}: not found in the mirror at {origin}")
    part = target.with_name(target.name + ".part")
    with (
        origin.open("rb") as src,
        part.open("wb") as dst,
        progress_bar(origin.stat().st_size, source.name) as bar,
    ):
        for block in iter(lambda: src.read(CHUNK), b""):
            dst.write(block)
            bar.update(len(block))
    digest = sha256_file(part)
    if digest not in source.sha256:
        part.unlink()
        raise DataError(
            f"{source.name}: checksum mismatch for {origin} (got {digest}, expected one of {list(source.sha256)})"
        )
    _verify_members(source, part)
    part.replace(target)


def _download_source(source: Source, target: Path) -> None:
    part = target.with_name(target.name + ".download")
    download(source.url, part)
    if source.name == "classic.tsv":
        _flatten_classic_zip(part, target.with_name(target.name + ".part"))
        part.unlink()
        part = target.with_name(target.name + ".part")
        # Upstream stores JSON files; the flattened table is pinned by the commit in the URL.
        log.info("classic.tsv: built from upstream commit archive, sha256 %s", sha256_file(part))
    else:
        digest = sha256_file(part)
        if digest not in source.sha256:
            if not source.members_sha256:
                part.unlink()
                raise DataError(
                    f"{source.name}: checksum mismatch (got {digest}, expected {list(source.sha256)})"
                )
            log.info("%s: archive sha256 %s is not recorded; checking its members", source.name, digest)
        _verify_members(source, part)
    part.replace(target)


def _verify_members(source: Source, archive: Path) -> None:
    if not source.members_sha256:
        return
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member, expected in source.members_sha256.items():
                f = tar.extractfile(member)
                if f is None:
                    raise DataError(f"{source.name}: {member} is missing from the archive")
                digest = hashlib.sha256(f.read()).hexdigest()
                if digest != expected:
                    raise DataError(f"{source.name}: {member} has sha256 {digest}, expected {expected}")
    except DataError:
        archive.unlink(missing_ok=True)  # a kept .download would be "resumed" as complete and fail forever
        raise
    except (tarfile.TarError, EOFError, OSError, KeyError, zlib.error) as exc:
        archive.unlink(missing_ok=True)
        raise DataError(f"{source.name}: corrupt archive ({exc}); fetch it again") from exc


def _flatten_classic_zip(archive: Path, target: Path) -> None:
    rows = []
    with zipfile.ZipFile(archive) as z:
        for book in CLASSIC_BOOKS:
            names = sorted(n for n in z.namelist() if f"/{book}/dataset/" in n and n.endswith(".json"))
            for name in names:
                for pair in json.load(io.TextIOWrapper(z.open(name), encoding="utf-8")):
                    rows.append(f"{pair['0']}\t{pair['1']}\t{book}\n")
    if not rows:
        raise DataError(f"no classic couplets found in {archive}")
    target.write_text("".join(rows), encoding="utf-8")
