"""docker-compose.yml, the Dockerfile and the nginx config agree with the app (no Docker engine runs here)."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from core.settings import PROJECT_ROOT, Settings


class RecordingEnviron(dict):
    """os.environ that remembers every name read from it."""

    def __init__(self, values) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return super().__contains__(key)


@pytest.fixture(scope="module")
def setting_names() -> set[str]:
    """The environment variables Settings.from_env reads: the only ones a deployment may set."""
    recorder = RecordingEnviron({})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "environ", recorder)
        Settings.from_env()
    assert {"REDIS_URL", "COUPLET_WORKERS"} <= recorder.read
    return recorder.read


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_services_and_their_healthchecks(compose):
    services = compose["services"]
    assert set(services) == {"app", "redis", "proxy"}
    app_check = " ".join(services["app"]["healthcheck"]["test"])
    assert "/healthz" in app_check and ":8000" in app_check
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert "/healthz" in " ".join(services["proxy"]["healthcheck"]["test"])
    assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_app_can_scale_behind_the_proxy(compose):
    services = compose["services"]
    # A published host port on app would clash between replicas: only the proxy publishes one.
    assert "ports" not in services["app"] and services["app"]["expose"] == ["8000"]
    assert services["proxy"]["ports"] == ["8000:80"]
    conf_mount = next(
        v for v in services["proxy"]["volumes"] if v.endswith("/etc/nginx/conf.d/default.conf:ro")
    )
    conf = (PROJECT_ROOT / conf_mount.split(":")[0]).read_text(encoding="utf-8")
    # Resolved at run time through Docker's DNS, so every replica (also after re-scaling) gets requests.
    assert "resolver 127.0.0.11" in conf and re.search(
        r"set \$app http://app:8000;\s+proxy_pass \$app;", conf
    )
    assert "X-Forwarded-For" in conf
    # Limits key on the client address: the app must trust exactly the one proxy.
    assert services["app"]["environment"]["COUPLET_TRUST_PROXY"] == "1"
    assert "client_max_body_size 10m" in conf


def test_env_vars_are_real_settings(compose, setting_names):
    env = compose["services"]["app"]["environment"]
    unknown = set(env) - setting_names
    assert not unknown, f"docker-compose.yml sets variables no setting reads: {sorted(unknown)}"
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    settings_env = {k: v for k, v in env.items() if not str(v).startswith("${")}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in settings_env.items():
            mp.setenv(key, str(value))
        settings = Settings.from_env()  # the values parse
    assert settings.workers >= 2 and settings.redis_url == env["REDIS_URL"]


def test_dockerfile(dockerfile, setting_names):
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "fonts-lxgw-wenkai" in dockerfile
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*127\.0\.0\.1:8000/healthz", dockerfile, re.M)
    assert re.search(r'^CMD \["couplet", "serve"\]$', dockerfile, re.M)
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.M)
    assert re.search(r"pip install -r requirements\.lock", dockerfile)  # the pinned versions first
    assert re.search(r"pip install --no-deps (-e )?\.", dockerfile)
    for name in re.findall(r"\b(COUPLET_[A-Z_]+)=", dockerfile):
        assert name in setting_names, name
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (PROJECT_ROOT / source).exists(), source


def test_dockerignore_keeps_the_context_small():
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in (".venv", ".git", "data/raw", "data/prepared", "tests"):
        assert path in ignored
