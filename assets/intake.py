"""Route and intake: register every inbox file by hash, record every arrival,
archive the bytes. One agency partition takes the files routed to it; files that
cannot be routed are recorded by `unrouted_files`. File names in metadata are their
display form (assets/names.py), as Markdown code that cannot break a table."""


import dagster as dg

from stiplan.assets.names import md_cell, md_code
from stiplan.assets.partitions import AGENCY_PARTITIONS
from stiplan.assets.registry import Registry
from stiplan.assets.routing import scan_and_route
from stiplan.schemas.reasons import describe
from stiplan.settings import paths


def _unattended(context: dg.AssetExecutionContext) -> bool:
    """Runs the sensor, automation or UI launched may meet a file mid-copy; a planner's
    own `stiplan run` (tagged stiplan/cli) takes everything in the inbox."""
    return context.run.tags.get("stiplan/cli") != "1"


@dg.asset(
    partitions_def=AGENCY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="intake",
    kinds={"python"},
    description="Inbox files routed to this agency, registered by hash and archived.",
)
def agency_intake(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    p = paths()
    registry = Registry(p.registry)
    files, routes = scan_and_route(p.inbox, registry, settled_only=_unattended(context))
    agencies = set(context.partition_keys)
    mine = [f for f in files if routes[f.submission_id].agency_code in agencies]
    added = registry.register(mine, routes, p.archive)
    context.log.info(f"{len(mine)} inbox file(s) for {', '.join(sorted(agencies))}; "
                     f"{added} new arrival(s)")
    return dg.MaterializeResult(metadata={
        "inbox_files": len(mine),
        "new_arrivals": added,
        "files": dg.MetadataValue.md(
            "\n".join(f"- {md_code(f.name)} ({f.submission_id[:12]})" for f in mine) or "none"),
    })


@dg.asset(group_name="intake", kinds={"python"},
          description="Inbox files that cannot be routed to an agency, with the reason.")
def unrouted_files(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    p = paths()
    registry = Registry(p.registry)
    files, routes = scan_and_route(p.inbox, registry, settled_only=_unattended(context))
    unrouted = [f for f in files if routes[f.submission_id].agency_code is None]
    added = registry.register(unrouted, routes, p.archive)
    lines = []
    for f in unrouted:
        route = routes[f.submission_id]
        reason = describe(route.route_code or "file_unreadable", route.route_detail)
        lines.append(f"| {md_code(f.name)} | {md_cell(reason)} |")
    table = "\n".join(lines)
    return dg.MaterializeResult(metadata={
        "unrouted_files": len(unrouted),
        "new_arrivals": added,
        "reasons": dg.MetadataValue.md(f"| file | reason |\n|---|---|\n{table}" if unrouted
                                       else "none"),
    })
