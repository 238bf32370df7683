"""Intake, the first stage: route every inbox file, register it by hash, record every
arrival, archive the bytes (`agency_intake`, `unrouted_files`); then parse and validate
every submission of the agency (`agency_submissions`). One agency partition takes the
files routed to it. File names in metadata are their display form (assets/ingest/names.py), as Markdown code that cannot break a table."""

import warnings
from collections import Counter
from decimal import Decimal

import dagster as dg

from stiplan.assets.ingest.cache import digest_registered
from stiplan.assets.ingest.inbox import scan_and_route
from stiplan.assets.ingest.names import md_cell, md_code
from stiplan.assets.ingest.registry import Registry
from stiplan.assets.partitions import AGENCY_PARTITIONS
from stiplan.assets.resources import StiplanConfig
from stiplan.schemas.problems import describe

# A single run for a backfill of many agencies is what the intake needs; Dagster marks
# the parameter beta, and would say so on every start of the code location.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


class IntakeConfig(dg.Config):
    """Runs the sensor, automation or the UI launch may meet a file mid-copy, so by default
    a file changed in the last SETTLE_SECONDS is left for a later run; a planner's own
    `stiplan run` takes everything in the inbox."""

    settled_only: bool = True


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="intake",
    kinds={"python"},
    description="Inbox files routed to this agency, registered by hash and archived.",
)
def agency_intake(
    context: dg.AssetExecutionContext, config: IntakeConfig, stiplan: StiplanConfig
) -> dg.MaterializeResult:
    p = stiplan.paths
    registry = Registry(p.registry)
    files, routes = scan_and_route(p.inbox, registry, settled_only=config.settled_only)
    agencies = set(context.partition_keys)
    mine = [f for f in files if routes[f.submission_id].agency_code in agencies]
    added = registry.register(mine, routes, p.archive)
    context.log.info(
        f"{len(mine)} inbox file(s) for {', '.join(sorted(agencies))}; {added} new arrival(s)"
    )
    return dg.MaterializeResult(
        metadata={
            "inbox_files": len(mine),
            "new_arrivals": added,
            "files": dg.MetadataValue.md(
                "\n".join(f"- {md_code(f.name)} ({f.submission_id[:12]})" for f in mine) or "none"
            ),
        }
    )


@dg.asset(
    group_name="intake",
    kinds={"python"},
    description="Inbox files that cannot be routed to an agency, with the reason.",
)
def unrouted_files(config: IntakeConfig, stiplan: StiplanConfig) -> dg.MaterializeResult:
    p = stiplan.paths
    registry = Registry(p.registry)
    files, routes = scan_and_route(p.inbox, registry, settled_only=config.settled_only)
    unrouted = [f for f in files if routes[f.submission_id].agency_code is None]
    added = registry.register(unrouted, routes, p.archive)
    lines = []
    for f in unrouted:
        route = routes[f.submission_id]
        reason = describe(route.route_code or "file_unreadable", route.route_detail)
        lines.append(f"| {md_code(f.name)} | {md_cell(reason)} |")
    table = "\n".join(lines)
    return dg.MaterializeResult(
        metadata={
            "unrouted_files": len(unrouted),
            "new_arrivals": added,
            "reasons": dg.MetadataValue.md(
                f"| file | reason |\n|---|---|\n{table}" if unrouted else "none"
            ),
        }
    )


PREVIEW_ROWS = 20


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[agency_intake],
    group_name="intake",
    kinds={"python", "pandera"},
    description="Every row of the agency's submissions with its outcome and problems.",
)
def agency_submissions(
    context: dg.AssetExecutionContext, stiplan: StiplanConfig
) -> dg.MaterializeResult:
    p = stiplan.paths
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
        for sheet, row_number, code in sub.rejected_preview[: PREVIEW_ROWS - len(preview)]:
            preview.append(
                f"| {md_code(f['file_name'])} | {md_code(sheet)} | "
                f"{row_number} | {describe(code)} |"
            )
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "dagster/row_count": sum(outcomes.values()),
            "rows_read": sum(outcomes.values()),
            **{
                f"rows_{k}": outcomes[k]
                for k in ("accepted", "rejected", "duplicate", "total", "section")
            },
            "budget_accepted_baht": float(budget),
            "rejected_files": dg.MetadataValue.md(
                "| file | reason |\n|---|---|\n" + "\n".join(rejected_files)
                if rejected_files
                else "none"
            ),
            "rejected_rows_preview": dg.MetadataValue.md(
                "| file | sheet | row | reason |\n|---|---|---|---|\n" + "\n".join(preview)
                if preview
                else "none"
            ),
        }
    )
