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
