"""The configuration resource: where stiplan reads and writes, shown in the Dagster UI
and handed to every asset, check and sensor (a test gives it a temporary folder)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from stiplan.schemas.warehouse import Paths


class StiplanConfig(dg.ConfigurableResource):
    """The inbox agencies' workbooks are dropped into, and the warehouse the plan is
    published to (DESIGN.md "Commands")."""

    inbox: str
    warehouse: str

    @property
    def paths(self) -> Paths:
        return Paths(inbox=Path(self.inbox).absolute(), warehouse=Path(self.warehouse).absolute())

    @classmethod
    def from_paths(cls, p: Paths) -> StiplanConfig:
        return cls(inbox=str(p.inbox), warehouse=str(p.warehouse))

    @classmethod
    def from_environment(cls) -> StiplanConfig:
        """STIPLAN_INBOX and STIPLAN_WAREHOUSE, as the process that loads the code
        location sees them (`make start`, `dagster dev`)."""
        return cls.from_paths(Paths.from_environment())

    def run_config(self) -> dict:
        """The run configuration that points a run at these folders."""
        return {
            "resources": {"stiplan": {"config": {"inbox": self.inbox, "warehouse": self.warehouse}}}
        }
