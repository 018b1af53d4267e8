"""A site (data and models folders) around a tiny model, for the tests that go through the Flask app or
the domain functions that read settings (a module of its own: `conftest` is ambiguous across folders)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from app.web import create_app
from core.settings import Settings


def site_settings(model_dir: Path, root: Path, badwords: str = "坏词\n烟\n") -> Settings:
    """Settings over ``root``: the model as the generator, a bad-word list, no Redis and no WeChat."""
    shutil.copytree(model_dir, root / "models" / "generator")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "badwords.txt").write_text(badwords, encoding="utf-8")
    return replace(
        Settings.from_env(),
        data_dir=root / "data",
        models_dir=root / "models",
        redis_url=None,
        wechat_appid=None,
        wechat_secret=None,
    )


def site_client(settings: Settings):
    app = create_app(settings)
    app.testing = True
    return app.test_client()
