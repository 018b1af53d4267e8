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
    """Untracked data: downloads (raw/), the cleaned splits (prepared/), the corpus store (corpus/), checkpoints."""
    models_dir: Path
    """Shipped model weights (tracked in git)."""
    data_mirror: Path | None
    """A local copy of the upstream data (COUPLET_DATA_MIRROR); None means download from upstream."""
    host: str
    port: int
    workers: int
    """gunicorn worker processes; each loads its own models."""
    threads: int
    """Threads per worker (COUPLET_THREADS, default 16): a thread that waits on a slow client costs no CPU,
    so there are enough that clients trickling uploads (until COUPLET_UPLOAD_SECONDS) leave room for others."""
    torch_threads: int = 1
    """Threads each torch operation may use in a served worker (COUPLET_TORCH_THREADS). The models are
    small and every request thread runs its own inference, so more than one only oversubscribes the cores."""
    corpus_folder: Path | None = None
    """Where the corpus store lives (COUPLET_CORPUS_DIR); None: `corpus/` under data_dir (see corpus_dir)."""
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
    # Upper-line matcher (couplet/matching/).
    match_min_len: int = 5
    """Shortest upper line the matcher returns, in characters (COUPLET_MATCH_MIN_LEN)."""
    match_max_len: int = 11
    """Longest upper line the matcher returns (COUPLET_MATCH_MAX_LEN)."""
    match_prefer_ze: bool = True
    """Prefer upper lines ending on 仄 when enough fit the tags (COUPLET_MATCH_PREFER_ZE=0 turns it off)."""
    # Photo to couplet (photo/pipeline.py, photo/render.py, photo/results.py).
    result_ttl: float = 86400.0
    """Seconds a photo session or a rendered image lives after its last write (COUPLET_RESULT_TTL)."""
    font: Path | None = None
    """Font file for the couplet text (COUPLET_FONT); None: LXGW WenKai found through fontconfig."""
    fallback_fonts: tuple[Path, ...] = ()
    """Fonts tried for characters the text font lacks, before the known CJK paths (COUPLET_FALLBACK_FONTS,
    separated by the OS path separator)."""

    # The production service (app/web/, limits.py, cache.py, safety.py, logs.py).
    redis_url: str | None = field(default=None, repr=False)
    """Redis shared by replicas for rate limits, the lower-line cache and results (REDIS_URL); None keeps
    them in process. Out of repr: the URL may carry a password."""
    trust_proxy: int = 0
    """How many proxies in front of the app set X-Forwarded-For; 0 trusts none (COUPLET_TRUST_PROXY)."""
    rate_limit_text: str = "60/minute"
    """Per client and text endpoint, e.g. `60/minute` or `5/second;100/hour` (COUPLET_RATE_LIMIT_TEXT); empty: none."""
    rate_limit_photo: str = "10/minute"
    """Per client and photo upload endpoint (COUPLET_RATE_LIMIT_PHOTO); empty: none."""
    rate_limit_address_text: str = "600/minute"
    """Per remote address and text endpoint, on top of the per-client limit: the ceiling a client that
    makes up a new X-Client-Id for every request still meets; high enough for many users behind one NAT
    (COUPLET_RATE_LIMIT_ADDRESS_TEXT); empty: none."""
    rate_limit_address_photo: str = "60/minute"
    """Per remote address and photo upload endpoint (COUPLET_RATE_LIMIT_ADDRESS_PHOTO); empty: none."""
    login: str = ""
    """`wechat`: every limited POST needs a session token from POST /api/session (a wx.login code), and
    limits key on the token's openid; empty: no login, clients name themselves by X-Client-Id (COUPLET_LOGIN)."""
    secret_key: str | None = field(default=None, repr=False)
    """Signs session tokens; required with COUPLET_LOGIN=wechat, the same on every replica (COUPLET_SECRET_KEY)."""
    session_ttl: float = 7 * 86400.0
    """Seconds a session token is valid (COUPLET_SESSION_TTL)."""
    max_request_mb: float = 10.0
    """Largest request body in MiB; larger ones get 413 (COUPLET_MAX_REQUEST_MB)."""
    upload_seconds: float = 60.0
    """Seconds a request body may take to arrive, the whole of it; slower ones get 408, so a trickling
    client cannot hold a worker thread (COUPLET_UPLOAD_SECONDS). 10 MB in 60 s is 1.4 Mbit/s."""
    cache_size: int = 10000
    """Generated answers kept by the in-process cache (COUPLET_CACHE_SIZE); 0 turns caching off."""
    cache_ttl: float = 86400.0
    """Seconds a generated answer lives in the Redis cache (COUPLET_CACHE_TTL)."""
    log_level: str = "INFO"
    """COUPLET_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."""
    log_format: str = "json"
    """`json` (one object a line, with the request id) or `text` (COUPLET_LOG_FORMAT)."""
    wechat_appid: str | None = None
    """Mini-program AppID; with the secret, text is also checked by WeChat msgSecCheck v2 (COUPLET_WECHAT_APPID)."""
    wechat_secret: str | None = field(default=None, repr=False)
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_scene: int = 2
    """msgSecCheck scene: 1 profile, 2 comment, 3 forum, 4 social log (COUPLET_WECHAT_SCENE)."""
    wechat_timeout: float = 5.0
    """Seconds per WeChat API request (COUPLET_WECHAT_TIMEOUT)."""

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def prepared_dir(self) -> Path:
        return self.data_dir / "prepared"

    @property
    def generator_dir(self) -> Path:
        return self.models_dir / "generator"

    @property
    def results_dir(self) -> Path:
        """Photo sessions and rendered images of the local result store."""
        return self.data_dir / "results"

    @property
    def corpus_dir(self) -> Path:
        """The corpus store (couplet/corpus.py), built from the prepared train split."""
        return self.corpus_folder or self.data_dir / "corpus"

    @property
    def matcher_dir(self) -> Path:
        return self.models_dir / "matcher"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @classmethod
    def from_env(cls) -> Settings:
        mirror = os.environ.get("COUPLET_DATA_MIRROR")
        return cls(
            data_dir=_path("COUPLET_DATA_DIR", PROJECT_ROOT / "data"),
            models_dir=_path("COUPLET_MODELS_DIR", PROJECT_ROOT / "data" / "models"),
            data_mirror=Path(mirror).expanduser() if mirror else None,
            corpus_folder=_path("COUPLET_CORPUS_DIR", None),
            host=os.environ.get("COUPLET_HOST", "0.0.0.0"),
            port=int(os.environ.get("COUPLET_PORT", "8000")),
            workers=int(os.environ.get("COUPLET_WORKERS", "2")),
            threads=int(os.environ.get("COUPLET_THREADS", "16")),
            torch_threads=int(os.environ.get("COUPLET_TORCH_THREADS", "1")),
            tagger=os.environ.get("COUPLET_TAGGER", "local"),
            tagger_timeout=float(os.environ.get("COUPLET_TAGGER_TIMEOUT", "10")),
            azure_endpoint=os.environ.get("COUPLET_AZURE_ENDPOINT") or None,
            azure_key=os.environ.get("COUPLET_AZURE_KEY") or None,
            azure_api=os.environ.get("COUPLET_AZURE_API", "3.2"),
            baidu_api_key=os.environ.get("COUPLET_BAIDU_API_KEY") or None,
            baidu_secret_key=os.environ.get("COUPLET_BAIDU_SECRET_KEY") or None,
            baidu_base_url=os.environ.get("COUPLET_BAIDU_BASE_URL", "https://aip.baidubce.com"),
            result_ttl=float(os.environ.get("COUPLET_RESULT_TTL", "86400")),
            font=_path("COUPLET_FONT", None),
            fallback_fonts=tuple(
                Path(p).expanduser()
                for p in os.environ.get("COUPLET_FALLBACK_FONTS", "").split(os.pathsep)
                if p
            ),
            match_min_len=int(os.environ.get("COUPLET_MATCH_MIN_LEN", "5")),
            match_max_len=int(os.environ.get("COUPLET_MATCH_MAX_LEN", "11")),
            match_prefer_ze=os.environ.get("COUPLET_MATCH_PREFER_ZE", "1") not in ("0", "false", "no"),
            redis_url=os.environ.get("REDIS_URL") or None,
            trust_proxy=int(os.environ.get("COUPLET_TRUST_PROXY", "0")),
            rate_limit_text=os.environ.get("COUPLET_RATE_LIMIT_TEXT", "60/minute"),
            rate_limit_photo=os.environ.get("COUPLET_RATE_LIMIT_PHOTO", "10/minute"),
            rate_limit_address_text=os.environ.get("COUPLET_RATE_LIMIT_ADDRESS_TEXT", "600/minute"),
            rate_limit_address_photo=os.environ.get("COUPLET_RATE_LIMIT_ADDRESS_PHOTO", "60/minute"),
            login=os.environ.get("COUPLET_LOGIN", "").strip().lower(),
            secret_key=os.environ.get("COUPLET_SECRET_KEY") or None,
            session_ttl=float(os.environ.get("COUPLET_SESSION_TTL", str(7 * 86400))),
            max_request_mb=float(os.environ.get("COUPLET_MAX_REQUEST_MB", "10")),
            upload_seconds=float(os.environ.get("COUPLET_UPLOAD_SECONDS", "60")),
            cache_size=int(os.environ.get("COUPLET_CACHE_SIZE", "10000")),
            cache_ttl=float(os.environ.get("COUPLET_CACHE_TTL", "86400")),
            log_level=os.environ.get("COUPLET_LOG_LEVEL", "INFO").upper(),
            log_format=os.environ.get("COUPLET_LOG_FORMAT", "json"),
            wechat_appid=os.environ.get("COUPLET_WECHAT_APPID") or None,
            wechat_secret=os.environ.get("COUPLET_WECHAT_SECRET") or None,
            wechat_base_url=os.environ.get("COUPLET_WECHAT_BASE_URL", "https://api.weixin.qq.com"),
            wechat_scene=int(os.environ.get("COUPLET_WECHAT_SCENE", "2")),
            wechat_timeout=float(os.environ.get("COUPLET_WECHAT_TIMEOUT", "5")),
        )
