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
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm import tqdm

from couplet.errors import DataError
from couplet.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

SOURCES_FILE = PROJECT_ROOT / "data" / "manifests" / "sources.json"
CHUNK = 1 << 20
CLASSIC_BOOKS = ("声律启蒙", "笠翁对韵", "训蒙骈句")


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    mirror_path: str
    sha256: tuple[str, ...]
    members_sha256: dict[str, str]


def load_sources(path: Path = SOURCES_FILE) -> list[Source]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [
        Source(
            name=name,
            url=e["url"],
            mirror_path=e["mirror_path"],
            sha256=tuple(e["sha256"]),
            members_sha256=e.get("members_sha256", {}),
        )
        for name, e in entries.items()
    ]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_all(raw_dir: Path, mirror: Path | None = None, force: bool = False) -> dict[str, str]:
    """Bring every source into ``raw_dir``; return name -> sha256. Already verified files are kept."""
    if mirror is not None and not mirror.is_dir():
        raise DataError(f"data mirror {mirror} does not exist or is not a folder")
    raw_dir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for source in load_sources():
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
    with origin.open("rb") as src, part.open("wb") as dst, _bar(origin.stat().st_size, source.name) as bar:
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
                raise DataError(f"{source.name}: checksum mismatch (got {digest}, expected {list(source.sha256)})")
            log.info("%s: archive sha256 %s is not recorded; checking its members", source.name, digest)
        _verify_members(source, part)
    part.replace(target)


def download(url: str, part: Path, timeout: float = 60.0) -> None:
    """Download ``url`` into ``part``, resuming from what ``part`` already holds."""
    done = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={done}-"} if done else {}
    try:
        with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
            if response.status_code == 416:  # already complete
                return
            if response.status_code not in (200, 206):
                raise DataError(f"download of {url} failed: HTTP {response.status_code}")
            if response.status_code == 200:
                done = 0  # the server ignored the range: start over
            total = int(response.headers.get("Content-Length", 0)) + done or None
            with part.open("ab" if done else "wb") as f, _bar(total, part.name, initial=done) as bar:
                for block in response.iter_content(CHUNK):
                    f.write(block)
                    bar.update(len(block))
    except requests.RequestException as exc:
        raise DataError(f"download of {url} failed ({exc}); run the command again to resume") from exc


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


def _bar(total: int | None, desc: str, initial: int = 0) -> tqdm:
    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)

