"""The packages import only downwards: app → photo → {couplet, vision, digits} → core (docs/architecture.md).

Every import in the source, lazy ones inside functions included, is read from the syntax tree, so an edge
that only runs on some request still counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.settings import PROJECT_ROOT

LAYER = {"core": 0, "couplet": 1, "vision": 1, "digits": 1, "photo": 2, "app": 3}


def imported_packages(path: Path) -> set[str]:
    """The first-party top-level packages a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & LAYER.keys()
    return found


def forbidden(source: str, target: str) -> bool:
    """A package may import itself and any lower layer, never a higher one nor a domain beside it."""
    return source != target and LAYER[target] >= LAYER[source]


def edges() -> list[tuple[str, str, str]]:
    """(module path, its package, the package it imports) for every first-party import of the source."""
    found = []
    for package in LAYER:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            found += [
                (str(path.relative_to(PROJECT_ROOT)), package, target) for target in imported_packages(path)
            ]
    return found


def test_no_package_imports_upwards_or_sideways():
    bad = [
        f"{module}: {package} → {target}" for module, package, target in edges() if forbidden(package, target)
    ]
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_the_rule_catches_what_it_forbids(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom photo.render import render\n\ndef f():\n    import app.cli\n")
    assert imported_packages(module) == {"photo", "app"}
    assert forbidden("couplet", "photo") and forbidden("couplet", "vision") and forbidden("photo", "app")
    assert (
        not forbidden("photo", "couplet")
        and not forbidden("app", "core")
        and not forbidden("digits", "digits")
    )


def test_every_package_is_walked():
    packages = {package for _, package, _ in edges()}
    assert packages == set(LAYER)
