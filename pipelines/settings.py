"""Where stiplan reads and writes, from the environment (DESIGN.md "Commands")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    inbox: Path
    warehouse: Path

    @property
    def plan(self) -> Path:
        return self.warehouse / "plan.duckdb"

    @property
    def archive(self) -> Path:
        return self.warehouse / "archive"

    @property
    def registry(self) -> Path:
        return self.archive / "registry.sqlite"

    @property
    def work(self) -> Path:
        return self.warehouse / ".work"

    @property
    def working_plan(self) -> Path:
        return self.work / "plan.duckdb"

    @property
    def parsed(self) -> Path:
        return self.work / "parsed"

    @property
    def merged(self) -> Path:
        """Each agency-year share of the plan, kept for the next merge."""
        return self.work / "merged"

    @property
    def outputs(self) -> Path:
        return self.warehouse / "outputs"


def paths() -> Paths:
    """Read the settings at call time, so tests and the CLI can point them anywhere."""
    return Paths(
        inbox=Path(os.environ.get("STIPLAN_INBOX", "inbox")).absolute(),
        warehouse=Path(os.environ.get("STIPLAN_WAREHOUSE", "warehouse")).absolute(),
    )
