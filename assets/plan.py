"""Merge, audit and publish the plan (write-audit-publish).

`working_plan` rebuilds the private working database; four blocking checks audit
it; `published_plan` atomically replaces warehouse/plan.duckdb only when they pass.
"""

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import dagster as dg

from stiplan.assets.consolidate import audit
from stiplan.assets.consolidate.merge import prepare_review, prepare_shares, write_working_plan
from stiplan.assets.ingest.cache import digest_registered, parse_registered
from stiplan.assets.ingest.names import md_cell
from stiplan.assets.ingest.registry import Registry
from stiplan.assets.intake import agency_submissions, unrouted_files
from stiplan.assets.resources import StiplanConfig
from stiplan.assets.runtime.database import file_identity, fsync_dir, fsync_file, read_only
from stiplan.assets.runtime.faults import checkpoint
from stiplan.assets.runtime.isolation import Crashed, run_isolated
from stiplan.assets.runtime.lock import Busy, lock_wait, writer_lock
from stiplan.schemas.warehouse import TABLES, Paths

AC = dg.AutomationCondition
# Merge after any agency partition (or the unrouted record) changes. Not plain
# eager(): eager waits while any dependency partition is missing, and agencies
# that have not submitted yet are missing partitions by design.
MERGE_WHEN = (
    AC.any_deps_updated().since_last_handled() & ~AC.any_deps_in_progress() & ~AC.in_progress()
)
# Publish in the same run as the merge (its blocking checks then guard the publish
# within the run), or later only once the merged plan's blocking checks passed.
PUBLISH_WHEN = MERGE_WHEN & (
    AC.any_deps_match(AC.will_be_requested())
    | AC.all_deps_match(AC.all_checks_match(AC.check_passed(), blocking_only=True))
)

# A step of the duckdb_write pool waits this long for the writer lock, then asks
# Dagster to retry it later, which frees its pool slot meanwhile: a `stiplan run`
# that holds the lock and shares the Dagster instance may be waiting for that slot.
POOL_LOCK_WAIT_S = 10.0
MERGE_TIMEOUT_S = 4 * 3600.0  # the merge's child: a software failure, never a hostile file
POOL_RETRY_AFTER_S = 5.0


@contextmanager
def _writing(context: dg.AssetExecutionContext, p: Paths) -> Iterator[None]:
    """Hold the warehouse's writer lock (re-entered inside `stiplan run`)."""
    asked = context.retry_number * (POOL_LOCK_WAIT_S + POOL_RETRY_AFTER_S)
    try:
        with writer_lock(
            p,
            who=f"Dagster run {context.run_id[:8]} ({context.asset_key.path[-1]})",
            wait=POOL_LOCK_WAIT_S,
            on_wait=lambda who: context.log.info(f"waiting for {who}"),
        ):
            yield
    except Busy as exc:
        if asked >= lock_wait():
            raise dg.Failure(
                description=f"the warehouse is busy: another writer ({exc.holder}) "
                f"still holds {exc.path} after {asked:.0f} s of waiting",
                allow_retries=False,
            ) from exc
        raise dg.RetryRequested(
            max_retries=int(lock_wait() // (POOL_LOCK_WAIT_S + POOL_RETRY_AFTER_S)) + 1,
            seconds_to_wait=POOL_RETRY_AFTER_S,
        ) from exc


# A batch of files that needs several runs (`sensors.run_requests`) tags each with one
# id. Every run of the batch holds the merge and the publish, so the UI shows the plan
# in progress until the batch is done; only a run that finds no other run of its
# batch still going merges and publishes (if two end together and each sees the
# other, the plan automation merges once both are done).
BATCH_TAG = "stiplan/batch-id"
_GOING = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def batch_still_reading(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    """The other runs of `run`'s batch that are not finished yet."""
    batch = run.tags.get(BATCH_TAG)
    if not batch:
        return []
    going = instance.get_runs(filters=dg.RunsFilter(tags={BATCH_TAG: batch}, statuses=_GOING))
    return [r.run_id for r in going if r.run_id != run.run_id]


@dg.asset(
    deps=[agency_submissions, unrouted_files],
    group_name="plan",
    kinds={"duckdb"},
    pool="duckdb_write",
    automation_condition=MERGE_WHEN,
    output_required=False,
    description="The merged plan in the private working database (not yet published).",
)
def working_plan(
    context: dg.AssetExecutionContext, stiplan: StiplanConfig
) -> Iterator[dg.MaterializeResult]:
    others = batch_still_reading(context.instance, context.run)
    if others:
        context.log.info(
            f"{len(others)} other run(s) of this batch still reading "
            f"({', '.join(r[:8] for r in others)}): the last one merges and publishes"
        )
        return  # not materialised: the audit and the publish are skipped with it
    p = stiplan.paths
    with _writing(context, p):
        registry = Registry(p.registry)
        files = registry.files()
        routed = [f for f in files if f["agency_code"] is not None]
        by_id = {f["submission_id"]: f for f in routed}
        digests = digest_registered(p, registry, routed)
        # Shares missing from the last merge are built here, two at a time in children;
        # the plan is then put together in one child, so this process never holds it.
        prepare_shares(
            p.merged,
            files,
            digests,
            p.parsed,
            lambda sids: parse_registered(p, registry, [by_id[s] for s in sids]),
        )
        prepare_review(p.merged, files, digests)
        [merged] = run_isolated(
            write_working_plan, [(p, digests, os.getpid())], timeout=MERGE_TIMEOUT_S
        )
        if isinstance(merged, Crashed):
            raise RuntimeError(f"the merge failed: {merged.detail}")
        checkpoint("merged")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": merged["projects"],
            "submissions": merged["submissions"],
            "rows_read": merged["rows_read"],
            "budget_total_baht": float(Decimal(merged["budget_total_baht"])),
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c, t) for c, t in TABLES["projects"]]
            ),
        }
    )


WARNINGS = {
    "totals_match": (
        "total_mismatch",
        "Totals rows of current submissions equal the rows above them",
    ),
    "no_zero_budgets": ("budget_zero", "No project of a current submission has a zero budget"),
    "strategies_are_the_ministrys": (
        "strategy_not_ministry",
        "Every numbered strategy a current submission cites is one of the ministry's",
    ),
}


WARNING_ROWS_SHOWN = 50


# What the audit saw pass: the working database's file identity and the blocking checks
# it passed. The merge replaces that file by rename (a new inode) and a write in place
# changes its mtime, so the same identity is the same bytes: the publish then needs no
# second audit of them (0.8 s at 160,000 projects).
RECEIPT_SUFFIX = ".audited"


def _receipt_path(p: Paths):
    return p.working_plan.with_name(p.working_plan.name + RECEIPT_SUFFIX)


def _write_receipt(p: Paths, identity: list[int], passed: list[str]) -> None:
    path = _receipt_path(p)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"identity": identity, "passed": passed}), "utf-8")
    os.replace(tmp, path)


def _audited(p: Paths, identity: list[int]) -> bool:
    """Whether the audit saw every blocking check pass on exactly this file."""
    try:
        receipt = json.loads(_receipt_path(p).read_text("utf-8"))
        return receipt["identity"] == identity and set(receipt["passed"]) >= set(
            audit.BLOCKING_CHECKS
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _blocking(con, name: str) -> dg.AssetCheckResult:
    result = audit.BLOCKING_CHECKS[name](con)
    return dg.AssetCheckResult(
        asset_key=working_plan.key,
        check_name=name,
        passed=result.passed,
        description=result.description,
        metadata=dict(result.evidence),
    )


def _warning(con, name: str) -> dg.AssetCheckResult:
    """The rows of current submissions with the warning's problem code: a warning (the
    plan is still published), its rows listed as a table."""
    code, what = WARNINGS[name]
    rows = con.execute(
        """
        SELECT s.file_name, p.sheet, p.row_number, p.value FROM row_problems p
        JOIN submissions s USING (submission_id)
        WHERE s.status = 'current' AND p.code = ? ORDER BY 1, 2, 3""",
        [code],
    ).fetchall()
    columns = [("file", "string"), ("sheet", "string"), ("row", "int"), ("value", "string")]
    return dg.AssetCheckResult(
        asset_key=working_plan.key,
        check_name=name,
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"warning: {len(rows)} row(s) break the rule: {what}" if rows else what,
        metadata={
            "rows": len(rows),
            "where": dg.MetadataValue.table(
                records=[
                    dg.TableRecord(dict(zip([c for c, _ in columns], row, strict=True)))
                    for row in rows[:WARNING_ROWS_SHOWN]
                ],
                schema=dg.TableSchema(columns=[dg.TableColumn(c, ty) for c, ty in columns]),
            ),
        },
    )


# One step for every check of the working plan: each Dagster step costs a fixed
# start-up, and the checks are a few queries each. The blocking ones guard the publish.
@dg.multi_asset_check(
    name="audit_working_plan",
    specs=[
        dg.AssetCheckSpec(
            name,
            asset=working_plan,
            blocking=True,
            automation_condition=AC.eager(),
            description=(fn.__doc__ or name).strip().splitlines()[0],
        )
        for name, fn in audit.BLOCKING_CHECKS.items()
    ]
    + [
        dg.AssetCheckSpec(
            name,
            asset=working_plan,
            blocking=False,
            description=description,
            automation_condition=AC.eager(),
        )
        for name, (_, description) in WARNINGS.items()
    ],
    can_subset=True,
)
def plan_checks(
    context: dg.AssetCheckExecutionContext, stiplan: StiplanConfig
) -> Iterator[dg.AssetCheckResult]:
    checkpoint("audit")
    p = stiplan.paths
    wanted = {key.name for key in context.selected_asset_check_keys}
    _receipt_path(p).unlink(missing_ok=True)
    before = file_identity(p.working_plan)
    passed = []
    with read_only(p.working_plan) as con:
        for name in [*audit.BLOCKING_CHECKS, *WARNINGS]:
            if name in wanted:
                result = (_blocking if name in audit.BLOCKING_CHECKS else _warning)(con, name)
                if result.passed and name in audit.BLOCKING_CHECKS:
                    passed.append(name)
                yield result
    if file_identity(p.working_plan) == before:  # not replaced while it was audited
        _write_receipt(p, before, passed)


@dg.asset(
    deps=[working_plan],
    group_name="plan",
    kinds={"duckdb"},
    pool="duckdb_write",
    automation_condition=PUBLISH_WHEN,
    description="warehouse/plan.duckdb: the published plan, replaced atomically after the audit.",
)
def published_plan(
    context: dg.AssetExecutionContext, stiplan: StiplanConfig
) -> dg.MaterializeResult:
    p = stiplan.paths
    with _writing(context, p):
        # Copy first, then swap it in: what is published is exactly what was audited,
        # by the checks' receipt for the file copied (unchanged while it was copied) or
        # else by auditing the copy. A copy, not a link: the published plan must not be
        # a name of a file anything may still write. A kill before the swap leaves the
        # previous plan whole (the next writer removes the copy); after it, the new one.
        tmp = p.plan.with_name(f".{p.plan.name}.{os.getpid()}.publishing")
        try:
            source = file_identity(p.working_plan)
            shutil.copyfile(p.working_plan, tmp)
            fsync_file(tmp)
            if not (file_identity(p.working_plan) == source and _audited(p, source)):
                with read_only(tmp) as con:
                    failed = [n for n, fn in audit.BLOCKING_CHECKS.items() if not fn(con).passed]
                if failed:
                    raise dg.Failure(f"not published: blocking checks failed: {', '.join(failed)}")
            checkpoint("publish")
            os.replace(tmp, p.plan)  # readers holding the old file keep reading it whole
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(p.plan.parent)
        checkpoint("published")
        with read_only(p.plan) as con:
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
            total = con.execute("SELECT coalesce(sum(budget_baht), 0) FROM projects").fetchone()[0]
            summaries = summary_metadata(con)
        status = status_table(p.plan)
    return dg.MaterializeResult(
        metadata={
            "agency_status": dg.MetadataValue.md(status),
            "path": str(p.plan),
            "dagster/row_count": counts["projects"],
            "budget_total_baht": float(total),
            "งบประมาณรวม / total budget": f"{_million(total)} ล้านบาท (million baht)",
            **summaries,
            **{f"rows_{t}": n for t, n in counts.items()},
            # the warehouse contract, table by table, for anyone writing a query
            **{
                f"schema_{t}": dg.TableSchema(columns=[dg.TableColumn(c, ty) for c, ty in cols])
                for t, cols in TABLES.items()
            },
        }
    )


def _million(baht) -> str:
    return f"{Decimal(baht or 0) / 1_000_000:,.2f}"


def _money_columns() -> list[dg.TableColumn]:
    return [
        dg.TableColumn("โครงการ / projects", "int"),
        dg.TableColumn("ล้านบาท / million baht", "string"),
        dg.TableColumn("บาท / baht", "string"),
        dg.TableColumn("สัดส่วน / share", "string"),
    ]


def summary_metadata(con) -> dict[str, dg.TableMetadataValue]:
    """Per fiscal year: the budget by agency, region, cluster and strategy, and every
    agency's submission status, as tables on the published plan's page."""
    from stiplan.assets.consolidate.summaries import SUMMARY_LABELS, status_lines, summary_lines

    out: dict[str, dg.TableMetadataValue] = {}
    for table, years in summary_lines(con).items():
        header, _ = SUMMARY_LABELS[table]
        what = table.removeprefix("summary_by_")
        for year, lines in years.items():
            out[f"{year} budget by {what}"] = dg.MetadataValue.table(
                records=[
                    dg.TableRecord(
                        {
                            header: label,
                            "โครงการ / projects": int(projects),
                            "ล้านบาท / million baht": _million(budget),
                            "บาท / baht": f"{Decimal(budget):,.2f}",
                            "สัดส่วน / share": f"{Decimal(share or 0):.2f} %",
                        }
                    )
                    for label, projects, budget, share in lines
                ],
                schema=dg.TableSchema(
                    columns=[dg.TableColumn(header, "string"), *_money_columns()]
                ),
            )
    columns = [
        ("หน่วยงาน / agency", "string"),
        ("สถานะ / status", "string"),
        ("ฉบับปัจจุบัน / current version", "string"),
        ("ไฟล์ที่ได้รับ / files received", "int"),
        ("แถวที่รับ / rows accepted", "int"),
        ("แถวที่ปฏิเสธ / rows rejected", "int"),
    ]
    for year, lines in status_lines(con).items():
        out[f"{year} submissions of the {len(lines)} agencies"] = dg.MetadataValue.table(
            records=[
                dg.TableRecord(dict(zip([c for c, _ in columns], line, strict=True)))
                for line in lines
            ],
            schema=dg.TableSchema(columns=[dg.TableColumn(c, ty) for c, ty in columns]),
        )
    return out


def status_table(plan) -> str:
    """Every agency for every fiscal year of the plan (the warehouse's submission_status):
    what arrived, the current version, its rows; files whose year is unknown after them."""
    from stiplan.schemas.reference import AGENCIES

    order = {a.code: i for i, a in enumerate(AGENCIES)}
    with read_only(plan) as con:
        grid = con.execute("""
            SELECT agency_code, fiscal_year, files_received, status, current_file_name,
                   rows_accepted, rows_rejected, files_rejected
            FROM submission_status""").fetchall()
        undated = con.execute("""
            SELECT agency_code, NULL, count(*), 'rejected', NULL, 0, 0, count(*)
            FROM submissions WHERE agency_code IS NOT NULL AND fiscal_year IS NULL
            GROUP BY ALL""").fetchall()
    if not grid:
        grid = [(a.code, None, 0, "not yet submitted", None, 0, 0, 0) for a in AGENCIES]
    rows = sorted(grid, key=lambda r: (r[1], order.get(r[0], len(order))))
    rows += sorted(undated, key=lambda r: order.get(r[0], len(order)))
    lines = [
        "| agency | fiscal year | files received | current version | rows accepted "
        "| rows rejected | files rejected |",
        "|---|---|---|---|---|---|---|",
    ]
    for a, y, n, status, current, accepted, rejected, files_rejected in rows:
        shown = md_cell(current) if status == "current" and current else status
        lines.append(
            f"| {a} | {y or '?'} | {n} | {shown} | {accepted} | {rejected} | {files_rejected} |"
        )
    return "\n".join(lines)
