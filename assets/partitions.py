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


def place_of(key: str) -> tuple[str, str]:
    """(agency, fiscal year key) of a partition key."""
    dims = SUBMISSION_PARTITIONS.get_partition_key_from_str(key).keys_by_dimension
    return dims["agency"], dims["fiscal_year"]


def route_place(route) -> tuple[str | None, str]:
    """(agency, fiscal year key) of the partition a routed file belongs to."""
    return route.agency_code, year_key(route.fiscal_year)


def agency_years(context: dg.AssetExecutionContext) -> set[tuple[str, str]]:
    """The (agency, fiscal year key) pairs a run materialises."""
    return {place_of(key) for key in context.partition_keys}


def unknown_years(instance: dg.DagsterInstance, years: list[str]) -> list[str]:
    """The fiscal years whose partitions the instance does not hold yet."""
    known = set(instance.get_dynamic_partitions(FISCAL_YEARS.name))
    return [y for y in years if y not in known]
