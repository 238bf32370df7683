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
from stiplan.assets.partitions import (
    SUBMISSION_PARTITIONS,
    agency_years,
    place_of,
    route_place,
    year_key,
)
from stiplan.assets.resources import StiplanConfig
from stiplan.assets.runtime.database import file_identity
from stiplan.schemas.problems import describe

# A single run for a backfill of many agencies is what the intake needs; Dagster marks
# the parameter beta, and would say so on every start of the code location.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
# The submission matrix is a partitioned asset check (a preview feature of Dagster 1.13).
warnings.filterwarnings(
    "ignore", message=".*partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)


class IntakeConfig(dg.Config):
    """Runs the sensor, automation or the UI launch may meet a file mid-copy, so by default
    a file changed in the last SETTLE_SECONDS is left for a later run; a planner's own
    `stiplan run` takes everything in the inbox."""

    settled_only: bool = True


@dg.asset(
    partitions_def=SUBMISSION_PARTITIONS,
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
    wanted = agency_years(context)
    mine = [f for f in files if route_place(routes[f.submission_id]) in wanted]
    added = registry.register(mine, routes, p.archive)
    context.log.info(
        f"{len(mine)} inbox file(s) for {len(wanted)} agency-year(s); {added} new arrival(s)"
    )
    for key in context.partition_keys:  # each agency-year its own files
        here = [f for f in mine if route_place(routes[f.submission_id]) == place_of(key)]
        context.add_asset_metadata(
            {
                "inbox_files": len(here),
                "files": dg.MetadataValue.md(
                    "\n".join(f"- {md_code(f.name)} ({f.submission_id[:12]})" for f in here)
                    or "none"
                ),
            },
            partition_key=key,
        )
    return dg.MaterializeResult(metadata={"new_arrivals": added})


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
    partitions_def=SUBMISSION_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[agency_intake],
    group_name="intake",
    kinds={"python", "pandera"},
    description="Every row of the agency's submissions with its outcome and problems.",
)
def agency_submissions(
    context: dg.AssetExecutionContext, stiplan: StiplanConfig
) -> dg.MaterializeResult:
    rejected_rows = rejected_files = 0
    # Each partition's own metadata: a run may take a block of agencies (a range), and
    # each cell of the matrix must describe that agency-year alone.
    for key, metadata in _by_partition(context.partition_keys, stiplan):
        rejected_rows += metadata["rows_rejected"]
        rejected_files += metadata["files_rejected"]
        context.add_asset_metadata(metadata, partition_key=key)
    if rejected_files or rejected_rows:
        # A run that turned data away is told apart from a clean one in the runs list,
        # and stays a success: the data's faults are the agencies' to fix.
        context.instance.add_run_tags(
            context.run_id,
            {"stiplan/rejected": f"{rejected_rows} row(s), {rejected_files} file(s)"},
        )
    return dg.MaterializeResult()


_FIGURES: dict[tuple, list[tuple[str, dict]]] = {}  # the last figures computed, see below


def _by_partition(keys: list[str], stiplan: StiplanConfig) -> list[tuple[str, dict]]:
    """Each agency-year partition's figures, from the registry and the parse digests.
    The check step right after the asset's (same process) asks for the same figures:
    they are kept while the registry file has not changed since."""
    p = stiplan.paths
    # The registry keeps a write-ahead log: a write may touch only its -wal file.
    wal = p.registry.with_name(p.registry.name + "-wal")
    version = (tuple(keys), _identity(p.registry), _identity(wal))
    if version[1] is not None and version in _FIGURES:
        return _FIGURES[version]
    figures = _figures(keys, p)
    _FIGURES.clear()
    _FIGURES[version] = figures
    return figures


def _identity(path) -> tuple | None:
    try:
        return tuple(file_identity(path))
    except OSError:
        return None


def _figures(keys: list[str], p) -> list[tuple[str, dict]]:
    registry = Registry(p.registry)
    wanted = {place_of(key) for key in keys}
    files = [
        f
        for a in sorted({a for a, _ in wanted})
        for f in registry.files(a)
        if (a, year_key(f["fiscal_year"])) in wanted
    ]
    # Digests only: the rows of a file read before are not loaded for these figures.
    digests = digest_registered(p, registry, files)
    return [
        (
            key,
            _submission_metadata(
                [
                    f
                    for f in files
                    if (f["agency_code"], year_key(f["fiscal_year"])) == place_of(key)
                ],
                digests,
            ),
        )
        for key in keys
    ]


@dg.asset_check(
    asset=agency_submissions,
    partitions_def=SUBMISSION_PARTITIONS,
    name="current_submission",
    description="The submission matrix, per agency and fiscal year: passes (green) when the "
    "agency's current version is accepted and no later file of it was rejected; fails (red, "
    "a warning) when its latest file was rejected, with the reason; not evaluated (empty) "
    "when the agency sent nothing for the year.",
)
def current_submission(
    context: dg.AssetCheckExecutionContext, stiplan: StiplanConfig
) -> dg.AssetCheckResult:
    keys = context.op_execution_context.partition_keys
    results = {
        key: _current_submission(metadata)
        for key, metadata in _by_partition(keys, stiplan)
        if metadata["files_received"]
    }
    if len(keys) == 1 and context.op_execution_context.has_partition_key:
        # One partition: Dagster files the returned result under it.
        return results.get(keys[0]) or dg.AssetCheckResult(
            passed=True, metadata={"status": "not yet submitted"}
        )
    targets = _latest_materializations(context, list(results))
    for key, result in results.items():  # a range: each agency-year its own result
        context.op_execution_context.log_event(
            dg.AssetCheckEvaluation(
                check_name=current_submission_key.name,
                asset_key=agency_submissions.key,
                passed=result.passed,
                severity=result.severity,
                description=result.description,
                metadata=result.metadata,
                partition=key,
                target_materialization_data=targets.get(key),
            )
        )
    failed = [key for key, result in results.items() if not result.passed]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"agency_years": len(results), "rejected": ", ".join(failed) or "none"},
    )


def _current_submission(metadata: dict) -> dg.AssetCheckResult:
    rejected = metadata["files_rejected"]
    if not rejected:
        return dg.AssetCheckResult(
            passed=True,
            metadata={"status": "current", "rows_accepted": metadata["rows_accepted"]},
        )
    kept = (
        "the plan keeps the agency's earlier version"
        if metadata["current_versions"]
        else "the plan holds nothing of the agency for this year"
    )
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{rejected} file(s) rejected: {kept}",
        metadata={
            "status": "rejected",
            "latest_rejected_file": metadata["latest_rejected_file"],
            "rejected_files": metadata["rejected_files"],
        },
    )


def _latest_materializations(context: dg.AssetCheckExecutionContext, keys: list[str]) -> dict:
    """Each agency-year's latest materialisation, the one its result is about: a check
    result counts in the matrix only while it points at the partition's latest
    materialisation. The step before this one (same run) has just materialised them
    all, so the latest records of the asset are theirs: one query, not one per
    partition; a partition not among them (the check run alone) is asked for itself."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )

    def latest(partitions: list[str], limit: int) -> list:
        return context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=agency_submissions.key, asset_partitions=partitions),
            limit=limit,
        ).records

    found: dict = {}
    for record in latest(keys, len(keys)) if keys else []:
        found.setdefault(record.partition_key, record)
    for key in keys:
        if key not in found:
            for record in latest([key], 1):
                found[key] = record
    return {
        key: AssetCheckEvaluationTargetMaterializationData(
            run_id=r.event_log_entry.run_id, storage_id=r.storage_id, timestamp=r.timestamp
        )
        for key, r in found.items()
    }


current_submission_key = current_submission.check_key


def _submission_metadata(files: list[dict], digests: dict) -> dict:
    """An agency-year's figures: those of its current version, as the merge will publish
    them, never the sum of every file the agency sent; rejected files not yet answered
    by an accepted version."""
    from stiplan.assets.consolidate.merge import submission_statuses

    subs, _ = submission_statuses(files, digests)
    status = {s["submission_id"]: s for s in subs}
    name = {f["submission_id"]: f["file_name"] for f in files}
    outcomes: Counter = Counter()
    budget = Decimal(0)
    years, rejected_files, preview = [], [], []
    latest_rejected = "none"
    for index, f in enumerate(files):
        sid = f["submission_id"]
        sub, row = digests[sid], status[sid]
        if row["status"] == "rejected":
            if not _answered(row, subs[index + 1 :]):
                reason = md_cell(describe(sub.reason_code, sub.detail))
                rejected_files.append(f"| {md_code(name[sid])} | {reason} |")
                latest_rejected = f"{name[sid]}: {describe(sub.reason_code, sub.detail)}"
            continue
        if row["status"] != "current":
            continue
        outcomes.update(sub.outcomes)
        budget += Decimal(sub.budget_accepted)
        years.append(
            f"| {row['fiscal_year']} | {md_code(name[sid])} | {sub.rows_read} "
            f"| {sub.outcomes.get('accepted', 0)} | {sub.outcomes.get('rejected', 0)} "
            f"| {sub.outcomes.get('duplicate', 0)} | {Decimal(sub.budget_accepted):,.2f} |"
        )
        for sheet, row_number, code in sub.rejected_preview[: PREVIEW_ROWS - len(preview)]:
            preview.append(
                f"| {md_code(name[sid])} | {md_code(sheet)} | {row_number} | {describe(code)} |"
            )
    return {
        "files_received": len(files),
        "current_versions": len(years),
        "files_rejected": len(rejected_files),
        "dagster/row_count": sum(outcomes.values()),
        "rows_read": sum(outcomes.values()),
        **{
            f"rows_{k}": outcomes[k]
            for k in ("accepted", "rejected", "duplicate", "total", "section")
        },
        "budget_accepted_baht": float(budget),
        "current_by_fiscal_year": dg.MetadataValue.md(
            "| fiscal year | current version | rows read | accepted | rejected | duplicate "
            "| budget (baht) |\n|---|---|---|---|---|---|---|\n" + "\n".join(years)
            if years
            else "no current version"
        ),
        "latest_rejected_file": dg.MetadataValue.text(latest_rejected),
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


def _answered(rejected: dict, later: list[dict]) -> bool:
    """A rejected file is answered by a version of the same fiscal year accepted after it;
    one whose year is unknown stays listed."""
    year = rejected["fiscal_year"]
    return year is not None and any(
        s["status"] in ("current", "superseded") and s["fiscal_year"] == year for s in later
    )
