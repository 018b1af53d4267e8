"""Choosing the tagger from the settings: one name or a fallback chain such as `azure,local`.

Built-in names are local, azure and baidu. Other packages add taggers through the entry-point group
`couplet.taggers`: the entry point names a callable that takes the Settings and returns a Tagger, e.g.

    [project.entry-points."couplet.taggers"]
    mytagger = "my_package.tagging:make_tagger"

A built-in name cannot be overridden by a plug-in (a stray package must not replace `local` silently).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from core.lazy import resource
from core.settings import Settings
from vision.errors import AllTaggersFailed, ImageError, TaggerConfigError, TaggerError
from vision.tags import Tag, Tagger

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "couplet.taggers"
Factory = Callable[[Settings], Tagger]


def _local(settings: Settings) -> Tagger:
    from vision.local import LocalTagger

    return LocalTagger()


def _azure(settings: Settings) -> Tagger:
    from vision.azure import AzureTagger

    return AzureTagger(
        endpoint=settings.azure_endpoint or "",
        key=settings.azure_key or "",
        api=settings.azure_api,
        timeout=settings.tagger_timeout,
    )


def _baidu(settings: Settings) -> Tagger:
    from vision.baidu import BaiduTagger

    return BaiduTagger(
        api_key=settings.baidu_api_key or "",
        secret_key=settings.baidu_secret_key or "",
        base_url=settings.baidu_base_url,
        timeout=settings.tagger_timeout,
    )


BUILTIN: dict[str, Factory] = {"local": _local, "azure": _azure, "baidu": _baidu}


def plugin_factories(eps: Iterable[EntryPoint] | None = None) -> dict[str, Factory]:
    """Factories registered under `couplet.taggers` (eps: the entry points to use instead, for tests).

    They load only when chosen: a broken plug-in that nobody asked for must not break the service.
    """
    if eps is None:
        eps = entry_points(group=ENTRY_POINT_GROUP)
    found: dict[str, Factory] = {}
    for ep in eps:
        if ep.group != ENTRY_POINT_GROUP:
            continue
        if ep.name in BUILTIN:
            log.warning("ignoring the plug-in tagger %r (%s): the name is built in", ep.name, ep.value)
            continue
        found[ep.name] = _lazy(ep)
    return found


def _lazy(ep: EntryPoint) -> Factory:
    def factory(settings: Settings) -> Tagger:
        try:
            made = ep.load()(settings)
        except TaggerError:
            raise
        except Exception as e:  # a plug-in's own failure, reported like a configuration error
            raise TaggerConfigError(f"the plug-in tagger {ep.name!r} ({ep.value}) failed to load: {e}") from e
        if not isinstance(made, Tagger):
            raise TaggerConfigError(
                f"the plug-in tagger {ep.name!r} ({ep.value}) has no tag(image_bytes) method"
            )
        return made

    return factory


def parse_chain(spec: str) -> list[str]:
    names = [name.strip().lower() for name in spec.split(",") if name.strip()]
    if not names:
        raise TaggerConfigError(
            "COUPLET_TAGGER is empty: use local, azure, baidu or a chain like azure,local"
        )
    if len(set(names)) != len(names):
        raise TaggerConfigError(f"COUPLET_TAGGER={spec!r} names a tagger twice")
    return names


@dataclass
class ChainTagger:
    """Asks each tagger in turn; the first that answers with tags wins."""

    members: list[tuple[str, Tagger]]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.members]

    def tag(self, image_bytes: bytes) -> list[Tag]:
        failures: list[str] = []
        for name, tagger in self.members:
            try:
                tags = tagger.tag(image_bytes)
            except ImageError:
                raise  # a bad image is bad for every tagger: say so instead of trying the rest
            except TaggerError as e:
                log.warning("tagger %s failed: %s", name, e)
                failures.append(f"{name}: {e}")
                continue
            except Exception as e:  # a plug-in's bug must not hide the fallback
                log.exception("tagger %s crashed", name)
                failures.append(f"{name}: {type(e).__name__}: {e}")
                continue
            if tags:
                return tags
            failures.append(f"{name}: no tags")
        if failures and all(f.endswith(": no tags") for f in failures):
            return []  # every tagger answered, none saw anything: not an error
        raise AllTaggersFailed("no tagger could tag the image — " + "; ".join(failures))


def build_tagger(settings: Settings, plugins: dict[str, Factory] | None = None) -> ChainTagger:
    """The chain the settings name. Unknown names fail at once; a member that is not configured (no
    key) is left out with a warning, unless that leaves nothing."""
    factories = {**(plugin_factories() if plugins is None else plugins), **BUILTIN}
    names = parse_chain(settings.tagger)
    unknown = [name for name in names if name not in factories]
    if unknown:
        raise TaggerConfigError(
            f"unknown tagger {', '.join(unknown)} in COUPLET_TAGGER={settings.tagger!r}; "
            f"known: {', '.join(sorted(factories))}"
        )
    members, problems = [], []
    for name in names:
        try:
            members.append((name, factories[name](settings)))
        except TaggerConfigError as e:
            problems.append(str(e))
            log.warning("tagger %s left out of the chain: %s", name, e)
    if not members:
        raise TaggerConfigError("; ".join(problems))
    return ChainTagger(members)


@resource
def get_tagger(settings: Settings) -> ChainTagger:
    """The configured tagger chain, built once per process and settings (models load on first tag)."""
    return build_tagger(settings)
