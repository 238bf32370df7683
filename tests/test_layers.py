"""The tree's layers, read from its imports: each package imports only the layers below
it, nothing imports in a cycle between packages, and only the Dagster layer imports
`dagster` (README, "How it works")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOP = {"pipelines": "stiplan", "assets": "stiplan.assets", "schemas": "stiplan.schemas"}

# Lowest first. A package may import its own layer and those below it.
LAYERS = [
    {"stiplan.schemas", "stiplan.schemas.data"},
    {"stiplan.assets.runtime", "stiplan.assets.excel"},
    {"stiplan.assets.ingest"},
    {"stiplan.assets.consolidate"},
    {"stiplan.assets.books"},
    {"stiplan.assets"},  # the Dagster definitions of each stage, and the resource
    {"stiplan"},  # the code location, the sensor, the planner and the command line
]
# Modules of the layers above `stiplan.assets` that may import dagster.
DAGSTER_MODULES = {"stiplan.definitions", "stiplan.sensors", "stiplan.run"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = [TOP[rel.parts[0]], *rel.parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for top in TOP for p in (REPO / top).rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every module imported, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _package(module: str, modules: dict[str, Path]) -> str:
    """The package a module belongs to, as the layers name them."""
    if modules.get(module, Path()).name == "__init__.py":
        return module
    return module.rpartition(".")[0] if "." in module else module


def _layer(package: str) -> int:
    for rank, members in enumerate(LAYERS):
        if package in members:
            return rank
    raise AssertionError(f"{package} is in no layer: add it to LAYERS")


MODULES = _modules()


def _edges() -> dict[str, set[str]]:
    """package -> the stiplan packages it imports."""
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        own = _package(module, MODULES)
        for name in _imports(path):
            if name in MODULES:
                edges.setdefault(own, set()).add(_package(name, MODULES))
    return edges


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_no_layer_above_its_own(module):
    own = _layer(_package(module, MODULES))
    above = sorted(
        name
        for name in _imports(MODULES[module])
        if name in MODULES and _layer(_package(name, MODULES)) > own
    )
    assert above == [], f"{module} imports {above}, a layer above it"


def test_schemas_import_nothing_from_the_code():
    for module, path in MODULES.items():
        if module.startswith("stiplan.schemas"):
            assert not any(
                n.startswith("stiplan.") and not n.startswith("stiplan.schemas")
                for n in _imports(path)
            ), module


def test_only_the_dagster_layer_imports_dagster():
    importing = {
        module
        for module, path in MODULES.items()
        if any(n == "dagster" or n.startswith("dagster.") for n in _imports(path))
    }
    dagster_layer = {m for m in MODULES if _package(m, MODULES) == "stiplan.assets"}
    assert importing <= dagster_layer | DAGSTER_MODULES, sorted(
        importing - dagster_layer - DAGSTER_MODULES
    )
    # and the pure stages really are free of it
    assert not {m for m in importing if m.count(".") >= 3}


def test_no_cycle_between_packages():
    edges = _edges()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if nxt == node:
                continue
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for package in sorted(edges):
        if package not in state:
            visit(package, [])


def test_every_package_of_the_tree_is_installed():
    """pyproject.toml lists each package, so an install holds the whole tree."""
    import tomllib

    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    packages = {_module_name(p) for top in TOP for p in (REPO / top).rglob("__init__.py")}
    assert packages <= listed, sorted(packages - listed)
