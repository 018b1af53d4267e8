"""Helpers of the service tests (a module of its own: `conftest` is ambiguous when several folders run)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from core.settings import Settings

# Characters the tiny model knows: enough for the lines the tests send and for lower lines without reuse.
VOCAB = "春风化雨千山绿秋月映江万水清花开落鸟语人间天地日星云松竹梅兰书画琴棋诗酒茶海湖夜草木时川泉柳菊桃李墨笔歌舞，。"
BAD_WORDS = "坏词\n烟\n"
# The training split of a site: what the photo pipeline's matcher picks upper lines from.
PAIRS = [
    ("春风化雨千山绿", "旭日临窗万户红"),
    ("青山不老千年翠", "绿水长流万古清"),
    ("月照长江千里白", "风吹大海万重波"),
    ("小狗摇尾迎新岁", "喜鹊登梅报早春"),
    ("一江春水向东去", "两岸青山入画来"),
    ("松间明月照", "石上清泉流"),
]


def write_site(root: Path, generator: Path) -> None:
    """A data folder (bad words, a training split) and a models folder holding ``generator`` and the
    shipped handwriting models (small enough to copy)."""
    shutil.copytree(generator, root / "models" / "generator")
    shutil.copytree(Settings.from_env().models_dir / "digits", root / "models" / "digits")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "prepared").mkdir()
    (root / "data" / "raw" / "badwords.txt").write_text(BAD_WORDS, encoding="utf-8")
    (root / "data" / "prepared" / "train.tsv").write_text(
        "".join(f"{u}\t{d}\n" for u, d in PAIRS), encoding="utf-8"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(root: Path, log: Path | None = None, **env: str) -> Iterator[str]:
    """`couplet serve` over the site in ``root`` on a free loopback port, with ``env`` on top (COUPLET_...),
    its output in ``log``; yields the base URL once /healthz answers, and stops it quickly after."""
    port = free_port()
    full = {
        **os.environ,
        "COUPLET_DATA_DIR": str(root / "data"),
        "COUPLET_MODELS_DIR": str(root / "models"),
        "COUPLET_HOST": "127.0.0.1",
        "COUPLET_PORT": str(port),
        **env,
    }
    full.pop("REDIS_URL", None)
    with open(log or os.devnull, "wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("couplet")), "serve"],
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                requests.get(url + "/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: no waiting for idle keep-alives
        proc.wait(timeout=30)
