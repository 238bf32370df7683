"""The warehouse contract (DESIGN.md): where its files are (`Paths`), and the table names,
columns and types of plan.duckdb.

No key constraints on purpose: a broken invariant must surface as a failed
audit check with its evidence, not as an insert error in the middle of a merge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Where stiplan reads (the inbox) and writes (the warehouse and what it holds)."""

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

    @classmethod
    def from_environment(cls) -> Paths:
        """STIPLAN_INBOX and STIPLAN_WAREHOUSE (default `inbox/` and `warehouse/` of the
        working directory), read at call time."""
        return cls(
            inbox=Path(os.environ.get("STIPLAN_INBOX", "inbox")).absolute(),
            warehouse=Path(os.environ.get("STIPLAN_WAREHOUSE", "warehouse")).absolute(),
        )


TABLES: dict[str, list[tuple[str, str]]] = {
    "agencies": [
        ("code", "VARCHAR"),
        ("abbr_th", "VARCHAR"),
        ("name_th", "VARCHAR"),
        ("name_en", "VARCHAR"),
    ],
    "provinces": [
        ("code", "VARCHAR"),
        ("name_th", "VARCHAR"),
        ("name_en", "VARCHAR"),
        ("region", "VARCHAR"),
        ("region_th", "VARCHAR"),
        ("region_4", "VARCHAR"),
        ("cluster_th", "VARCHAR"),
        ("cluster_en", "VARCHAR"),
    ],
    "submissions": [
        ("submission_id", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("received_at", "TIMESTAMPTZ"),
        ("agency_code", "VARCHAR"),
        ("fiscal_year", "INTEGER"),
        ("status", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("reason_code", "VARCHAR"),
        ("rows_read", "INTEGER"),
        ("rows_accepted", "INTEGER"),
        ("rows_rejected", "INTEGER"),
        ("rows_duplicate", "INTEGER"),
        ("supersedes", "VARCHAR"),
    ],
    "arrivals": [
        ("submission_id", "VARCHAR"),
        ("file_name", "VARCHAR"),
        ("seen_at", "TIMESTAMPTZ"),
    ],
    "source_rows": [
        ("submission_id", "VARCHAR"),
        ("sheet", "VARCHAR"),
        ("row_number", "INTEGER"),
        ("outcome", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("reason_code", "VARCHAR"),
        ("project_id", "VARCHAR"),
    ],
    "row_problems": [
        ("submission_id", "VARCHAR"),
        ("sheet", "VARCHAR"),
        ("row_number", "INTEGER"),
        ("column_letter", "VARCHAR"),  # the Excel letter (`column` is a reserved word)
        ("value", "VARCHAR"),
        ("code", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("message_th", "VARCHAR"),
        ("message_en", "VARCHAR"),
    ],
    "projects": [
        ("project_id", "VARCHAR"),
        ("fiscal_year", "INTEGER"),
        ("agency_code", "VARCHAR"),
        ("project_name", "VARCHAR"),
        ("budget_baht", "DECIMAL(18,2)"),
        ("nationwide", "BOOLEAN"),
        ("strategy", "VARCHAR"),
        ("target_group", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),
        ("contact_name", "VARCHAR"),
        ("contact_phone", "VARCHAR"),
        ("remarks", "VARCHAR"),
        ("submission_id", "VARCHAR"),
        ("sheet", "VARCHAR"),
        ("row_number", "INTEGER"),
    ],
    "project_provinces": [
        ("project_id", "VARCHAR"),
        ("province_code", "VARCHAR"),
        ("budget_share_baht", "DECIMAL(18,2)"),
    ],
    "duplicate_candidates": [
        ("project_id_a", "VARCHAR"),
        ("project_id_b", "VARCHAR"),
        ("similarity", "DOUBLE"),
        ("reason", "VARCHAR"),
        ("fiscal_year", "INTEGER"),
        ("agency_code_a", "VARCHAR"),
        ("agency_code_b", "VARCHAR"),
        ("project_name_a", "VARCHAR"),
        ("project_name_b", "VARCHAR"),
    ],
    # What each resubmission changed against the version it superseded.
    "submission_changes": [
        ("submission_id", "VARCHAR"),
        ("previous_submission_id", "VARCHAR"),
        ("project_id", "VARCHAR"),
        ("change", "VARCHAR"),
        ("project_name", "VARCHAR"),
        ("budget_before", "DECIMAL(18,2)"),
        ("budget_after", "DECIMAL(18,2)"),
        ("provinces_before", "VARCHAR"),
        ("provinces_after", "VARCHAR"),
    ],
}

SUMMARIES = (
    "summary_by_agency",
    "summary_by_province",
    "summary_by_cluster",
    "summary_by_region",
    "summary_by_strategy",
)

NATIONWIDE_TH = "ทั่วประเทศ"
NO_CLUSTER_TH = "ไม่อยู่ในกลุ่มจังหวัด"
NO_STRATEGY_TH = "ไม่ระบุยุทธศาสตร์"
