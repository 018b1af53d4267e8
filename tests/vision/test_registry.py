"""Choosing taggers from settings, fallback along a chain, and plug-ins through entry points."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace
from importlib.metadata import EntryPoint

import pytest
from fakeapi import Reply

from core.settings import Settings
from vision.errors import AllTaggersFailed, ImageError, TaggerConfigError, TaggerError
from vision.local import LocalTagger
from vision.registry import (
    ENTRY_POINT_GROUP,
    ChainTagger,
    build_tagger,
    get_tagger,
    parse_chain,
    plugin_factories,
)
from vision.tags import Tag


class Fixed:
    def __init__(self, *tags: str, error: Exception | None = None) -> None:
        self.tags, self.error, self.calls = [Tag(t, 0.9, "fixed") for t in tags], error, 0

    def tag(self, image_bytes: bytes) -> list[Tag]:
        self.calls += 1
        if self.error:
            raise self.error
        return self.tags


@pytest.fixture
def settings(monkeypatch, tmp_path) -> Settings:
    for name in (
        "COUPLET_TAGGER",
        "COUPLET_AZURE_ENDPOINT",
        "COUPLET_AZURE_KEY",
        "COUPLET_BAIDU_API_KEY",
        "COUPLET_BAIDU_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    return Settings.from_env()


def test_parse_chain():
    assert parse_chain(" Azure, local ") == ["azure", "local"]
    for bad in ("", " , ", "local,local"):
        with pytest.raises(TaggerConfigError):
            parse_chain(bad)


def test_the_default_is_the_local_tagger(settings):
    chain = build_tagger(settings, plugins={})
    assert chain.names == ["local"] and isinstance(chain.members[0][1], LocalTagger)


def test_unknown_names_fail_at_once_naming_the_known_ones(settings):
    with pytest.raises(TaggerConfigError, match="unknown tagger googel.*known: azure, baidu, local"):
        build_tagger(replace(settings, tagger="googel,local"), plugins={})


def test_unconfigured_cloud_taggers_are_left_out_of_a_chain_but_fail_alone(settings):
    assert build_tagger(replace(settings, tagger="azure,baidu,local"), plugins={}).names == ["local"]
    with pytest.raises(TaggerConfigError, match="COUPLET_AZURE_KEY"):
        build_tagger(replace(settings, tagger="azure"), plugins={})


def test_chain_falls_back_and_reports_every_failure():
    down, empty, good = Fixed(error=TaggerError("azure answered HTTP 503")), Fixed(), Fixed("山")
    assert ChainTagger([("a", down), ("b", empty), ("c", good)]).tag(b"x")[0].name == "山"
    crash = Fixed(error=RuntimeError("plug-in bug"))
    with pytest.raises(
        AllTaggersFailed, match="a: azure answered HTTP 503; b: no tags; c: RuntimeError: plug-in bug"
    ):
        ChainTagger([("a", down), ("b", empty), ("c", crash)]).tag(b"x")
    assert ChainTagger([("b", empty)]).tag(b"x") == []


def test_a_bad_image_stops_the_chain(make_jpeg):
    later = Fixed("山")
    with pytest.raises(ImageError):
        ChainTagger([("local", LocalTagger()), ("later", later)]).tag(b"garbage")
    assert later.calls == 0


def test_azure_down_falls_back_to_local_end_to_end(fake_api, settings, make_jpeg):
    fake_api.on(
        "/vision/v3.2/tag", default=Reply(503, {"error": {"code": "ServiceUnavailable", "message": "busy"}})
    )
    chain = build_tagger(
        replace(settings, tagger="azure,local", azure_endpoint=fake_api.url, azure_key="k", tagger_timeout=2),
        plugins={},
    )
    tags = chain.tag(make_jpeg())
    assert tags and tags[0].source == "local"
    assert len(fake_api.requests_to("/vision/v3.2/tag")) == 2  # the first try and one retry


def make_fixed_tagger(settings):
    return Fixed("塔")


def test_plugins_come_from_entry_points_and_cannot_shadow_builtins(settings):
    eps = [
        EntryPoint("fixed", f"{__name__}:make_fixed_tagger", ENTRY_POINT_GROUP),
        EntryPoint("local", f"{__name__}:make_fixed_tagger", ENTRY_POINT_GROUP),
        EntryPoint("other", "x:y", "some.other.group"),
        EntryPoint("broken", "no_such_module_xyz:make", ENTRY_POINT_GROUP),
    ]
    plugins = plugin_factories(eps)
    assert sorted(plugins) == ["broken", "fixed"]
    chain = build_tagger(replace(settings, tagger="fixed"), plugins=plugins)
    assert chain.tag(b"x")[0].name == "塔"
    assert build_tagger(replace(settings, tagger="local"), plugins=plugins).names == ["local"]
    assert isinstance(
        build_tagger(replace(settings, tagger="local"), plugins=plugins).members[0][1], LocalTagger
    )
    with pytest.raises(TaggerConfigError, match="plug-in tagger 'broken'.*failed to load"):
        build_tagger(replace(settings, tagger="broken"), plugins=plugins)


def test_an_installed_distribution_registers_a_tagger(settings, tmp_path, monkeypatch):
    """A real (temporary) distribution on sys.path, found by importlib.metadata like a pip install."""
    (tmp_path / "couplet_demo_tagger.py").write_text(
        textwrap.dedent("""
        from vision.tags import Tag

        class Demo:
            def __init__(self, settings):
                self.timeout = settings.tagger_timeout

            def tag(self, image_bytes):
                return [Tag("桥", 0.8, "demo")]
    """),
        encoding="utf-8",
    )
    dist = tmp_path / "couplet_demo_tagger-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: couplet-demo-tagger\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ndemo = couplet_demo_tagger:Demo\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("COUPLET_TAGGER", "demo,local")
    chain = build_tagger(Settings.from_env())
    assert chain.names == ["demo", "local"] and chain.tag(b"x")[0].name == "桥"
    sys.modules.pop("couplet_demo_tagger", None)


def test_get_tagger_builds_once_per_settings(settings):
    assert get_tagger(settings) is get_tagger(settings)


def test_settings_read_the_tagger_environment_and_hide_secrets(monkeypatch):
    monkeypatch.setenv("COUPLET_TAGGER", "baidu,local")
    monkeypatch.setenv("COUPLET_AZURE_KEY", "azure-secret-1")
    monkeypatch.setenv("COUPLET_BAIDU_SECRET_KEY", "baidu-secret-2")
    monkeypatch.setenv("COUPLET_TAGGER_TIMEOUT", "2.5")
    settings = Settings.from_env()
    assert (settings.tagger, settings.tagger_timeout, settings.azure_key) == (
        "baidu,local",
        2.5,
        "azure-secret-1",
    )
    assert "secret" not in repr(settings)
