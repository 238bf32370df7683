"""Parse and validate every submission of an agency (all fiscal years)."""


from collections import Counter
from decimal import Decimal

import dagster as dg

from stiplan.assets.cache import digest_registered
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
    # Digests only: the rows of a file read before are not loaded for these figures.
    digests = digest_registered(p, registry, files)
    outcomes: Counter = Counter()
    budget = Decimal(0)
    rejected_files, preview = [], []
    for f in files:
        sub = digests[f["submission_id"]]
        if sub.rejected:
            reason = md_cell(describe(sub.reason_code, sub.detail))
            rejected_files.append(f"| {md_code(f['file_name'])} | {reason} |")
            continue
        outcomes.update(sub.outcomes)
        budget += Decimal(sub.budget_accepted)
        for sheet, row_number, code in sub.rejected_preview[:PREVIEW_ROWS - len(preview)]:
            preview.append(f"| {md_code(f['file_name'])} | {md_code(sheet)} | "
                           f"{row_number} | {describe(code)} |")
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
