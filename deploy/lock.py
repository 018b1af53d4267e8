"""Write requirements.lock: the exact versions of the runtime dependencies installed in this environment.

    .venv/bin/python deploy/lock.py > requirements.lock

The closure of the project's own dependencies (pyproject.toml, no dev extras), walked through the installed
packages' metadata, so the lock pins what the tests ran against. The Docker image installs from it, and
`./run.sh audit` checks it for known vulnerabilities.
"""

from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import Requirement

PROJECT = "lianjing-lianqing"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def applies(requirement: Requirement, extras: tuple[str, ...]) -> bool:
    """True when the requirement's marker holds here for one of the extras asked for (or none)."""
    return requirement.marker is None or any(
        requirement.marker.evaluate({"extra": e}) for e in extras or ("",)
    )


def closure(project: str = PROJECT) -> dict[str, str]:
    """Canonical name → installed version, for every package the project needs at run time."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo = [(Requirement(r), ()) for r in metadata.distribution(project).requires or []]
    while todo:
        requirement, parent_extras = todo.pop()
        extras = tuple(sorted(requirement.extras))
        key = (canonical(requirement.name), extras)
        if key in seen or not applies(requirement, parent_extras):
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency this platform does not use
        pins[key[0]] = dist.version.split("+")[0]  # torch's +cpu is the index's business, not the pin's
        todo += [(Requirement(r), extras) for r in dist.requires or []]
    return pins


def main() -> None:
    print(
        f"# Runtime dependencies of {PROJECT}, pinned to the tested environment: deploy/lock.py writes this."
    )
    for name, version in sorted(closure().items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
