"""requirements.lock pins exactly the runtime dependencies installed here (./run.sh installs with it)."""

from __future__ import annotations

import importlib.util

from core.settings import PROJECT_ROOT


def test_the_lock_matches_the_installed_runtime_closure():
    spec = importlib.util.spec_from_file_location("lock", PROJECT_ROOT / "deploy" / "lock.py")
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    pinned = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name] = version
    installed = lock.closure()
    assert {"torch", "transformers", "flask", "jieba"} <= pinned.keys()
    assert pinned == installed, (
        "requirements.lock is stale: run `.venv/bin/python deploy/lock.py > requirements.lock`"
    )
