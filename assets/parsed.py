"""Parse and validate every submission of an agency (all fiscal years)."""


from collections import Counter
from decimal import Decimal

import dagster as dg

from stiplan.assets.cache import parse_registered
from stiplan.assets.intake import agency_intake
from stiplan.assets.names import md_cell, md_code
from stiplan.assets.partitions import AGENCY_PARTITIONS
from stiplan.assets.registry import Registry
from stiplan.schemas.reasons import describe
from stiplan.settings import paths

PREVIEW_ROWS = 20


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[agency_intake],
    group_name="intake",
    kinds={"python", "pandera"},
    description="Every row of the agency's submissions with its outcome and problems.",
)
def agency_submissions(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    p = paths()
    registry = Registry(p.registry)
    files = [f for a in context.partition_keys for f in registry.files(a)]
    parsed = parse_registered(p, registry, files)
    outcomes: Counter = Counter()
    budget = Decimal(0)
    rejected_files, preview = [], []
    for f in files:
        sub = parsed[f["submission_id"]]
        if sub.rejected:
            reason = md_cell(describe(sub.identity.reason_code, sub.identity.detail))
            rejected_files.append(f"| {md_code(f['file_name'])} | {reason} |")
            continue
        for row in sub.rows:
            outcomes[row.outcome] += 1
            if row.outcome == "accepted":
                budget += row.budget
            elif row.outcome == "rejected" and len(preview) < PREVIEW_ROWS:
                preview.append(f"| {md_code(f['file_name'])} | {md_code(row.sheet)} | "
                               f"{row.row_number} | {describe(row.reason_code)} |")
    return dg.MaterializeResult(metadata={
        "files": len(files),
        "dagster/row_count": sum(outcomes.values()),
        "rows_read": sum(outcomes.values()),
        **{f"rows_{k}": outcomes[k] for k in ("accepted", "rejected", "duplicate", "total",
                                               "section")},
        "budget_accepted_baht": float(budget),
        "rejected_files": dg.MetadataValue.md(
            "| file | reason |\n|---|---|\n" + "\n".join(rejected_files) if rejected_files
            else "none"),
        "rejected_rows_preview": dg.MetadataValue.md(
            "| file | sheet | row | reason |\n|---|---|---|---|\n" + "\n".join(preview)
            if preview else "none"),
    })
