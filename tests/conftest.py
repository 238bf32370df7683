"""Shared fixtures: a stiplan configuration on a temporary folder, with no environment
variable needed. Workbook builders are in tests/workbooks.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from stiplan.schemas.warehouse import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    """An empty inbox and a warehouse to come, under the test's own folder."""
    p = Paths(inbox=tmp_path / "inbox", warehouse=tmp_path / "warehouse")
    p.inbox.mkdir()
    return p


@pytest.fixture
def config(paths: Paths):
    """The `stiplan` resource pointed at `paths`."""
    from stiplan.assets.resources import StiplanConfig

    return StiplanConfig.from_paths(paths)


@pytest.fixture
def resources(config) -> dict:
    """What `materialize` and `build_sensor_context` take."""
    return {"stiplan": config}


# The modules that take longest (`--durations`, on a 2-core machine), longest first: the
# workers start on them, so the suite does not wait on one of them at its end.
SLOWEST_FIRST = (
    "tests/pipelines/test_ui_end_to_end.py",
    "tests/runtime/test_faults.py",
    "tests/pipelines/test_dagster.py",
    "tests/pipelines/test_end_to_end.py",
    "tests/ingest/test_parse_shortcuts.py",
    "tests/ingest/test_realdata.py",
    "tests/pipelines/test_demo.py",
    "tests/ingest/test_hostile.py",
    "tests/ingest/test_names.py",
)
# Modules whose module-scoped fixture is cheap beside their tests: split over the workers,
# each building the fixture once, rather than kept on one.
SPLIT = {"tests/runtime/test_faults.py"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    """Under `pytest -n N --dist loadgroup`, the tests of a module that share a
    module-scoped fixture (a whole `stiplan run`, a `dagster dev`) stay on one worker, so
    the fixture is built once; the slowest modules are handed out first."""
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}

    def module(item) -> str:
        return item.nodeid.split("::", 1)[0]

    items.sort(key=lambda item: rank.get(module(item), len(rank)))
    for item in items:
        defs = item._fixtureinfo.name2fixturedefs.values()
        shares = any(d[-1].scope == "module" for d in defs)
        if shares and module(item) not in SPLIT:
            item.add_marker(pytest.mark.xdist_group(module(item)))
