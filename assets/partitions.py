"""Submissions are partitioned two ways, agency × fiscal year, so that the partition
matrix in the Dagster UI is the submission matrix: a partition per agency and fiscal
year it has sent files for, empty where it has sent nothing yet. The 16 agencies are
static; a fiscal year is added when the first file for it arrives ("unknown" holds
files whose year could not be read, under their agency)."""

from __future__ import annotations

import dagster as dg

from stiplan.schemas.reference import AGENCIES

AGENCY_PARTITIONS = dg.StaticPartitionsDefinition([a.code for a in AGENCIES])
FISCAL_YEARS = dg.DynamicPartitionsDefinition(name="fiscal_years")
SUBMISSION_PARTITIONS = dg.MultiPartitionsDefinition(
    {"agency": AGENCY_PARTITIONS, "fiscal_year": FISCAL_YEARS}
)
UNKNOWN_YEAR = "unknown"


def year_key(fiscal_year: int | str | None) -> str:
    return str(fiscal_year) if fiscal_year else UNKNOWN_YEAR


def submission_key(agency: str, fiscal_year: int | str | None) -> str:
    """The partition key of an agency's submissions for a fiscal year (`NSTDA|2555`)."""
    return str(dg.MultiPartitionKey({"agency": agency, "fiscal_year": year_key(fiscal_year)}))


def agency_years(context: dg.AssetExecutionContext) -> set[tuple[str, str]]:
    """The (agency, fiscal year key) pairs a run materialises."""
    return {
        (k.keys_by_dimension["agency"], k.keys_by_dimension["fiscal_year"])
        for k in map(SUBMISSION_PARTITIONS.get_partition_key_from_str, context.partition_keys)
    }
