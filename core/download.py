"""Downloads and checksums shared by every fetch command: source manifests, resumable downloads, sha256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm import tqdm

from core.errors import DataError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    mirror_path: str
    sha256: tuple[str, ...]
    members_sha256: dict[str, str]


def load_sources(path: Path) -> list[Source]:
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
            with part.open("ab" if done else "wb") as f, progress_bar(total, part.name, initial=done) as bar:
                for block in response.iter_content(CHUNK):
                    f.write(block)
                    bar.update(len(block))
    except requests.RequestException as exc:
        raise DataError(f"download of {url} failed ({exc}); run the command again to resume") from exc


def progress_bar(total: int | None, desc: str, initial: int = 0) -> tqdm:
    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)
