"""Merge, audit and publish the plan (write-audit-publish).

`working_plan` rebuilds the private working database; four blocking checks audit
it; `published_plan` atomically replaces warehouse/plan.duckdb only when they pass.
"""


import os
import shutil

import dagster as dg
import duckdb

from stiplan.assets import audit
from stiplan.assets.cache import parse_all
from stiplan.assets.intake import unrouted_files
from stiplan.assets.merge import build_tables, write_database
from stiplan.assets.parsed import agency_submissions
from stiplan.assets.registry import Registry
from stiplan.schemas.warehouse import TABLES
from stiplan.settings import paths

AC = dg.AutomationCondition
# Merge after any agency partition (or the unrouted record) changes. Not plain
# eager(): eager waits while any dependency partition is missing, and agencies
# that have not submitted yet are missing partitions by design.
MERGE_WHEN = (AC.any_deps_updated().since_last_handled()
              & ~AC.any_deps_in_progress() & ~AC.in_progress())
# Publish in the same run as the merge (its blocking checks then guard the publish
# within the run), or later only once the merged plan's blocking checks passed.
PUBLISH_WHEN = MERGE_WHEN & (
    AC.any_deps_match(AC.will_be_requested())
    | AC.all_deps_match(AC.all_checks_match(AC.check_passed(), blocking_only=True)))


@dg.asset(
    deps=[agency_submissions, unrouted_files],
    group_name="plan",
    kinds={"duckdb"},
    pool="duckdb_write",
    automation_condition=MERGE_WHEN,
    description="The merged plan in the private working database (not yet published).",
)
def working_plan(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    p = paths()
    registry = Registry(p.registry)
    files = registry.files()
    routed = [f for f in files if f["agency_code"] is not None]
    parsed = parse_all(p.parsed, [(f["submission_id"],
                                   registry.archived(f["submission_id"], p.archive),
                                   f["file_name"]) for f in routed])
    tables = build_tables(files, registry.arrivals(), parsed)
    write_database(p.working_plan, tables)
    total = sum((_dec(r["budget_baht"]) for r in tables["projects"]), _dec("0"))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(tables["projects"]),
        "submissions": len(tables["submissions"]),
        "rows_read": len(tables["source_rows"]),
        "budget_total_baht": float(total),
        "dagster/column_schema": dg.TableSchema(columns=[
            dg.TableColumn(c, t) for c, t in TABLES["projects"]]),
    })


def _dec(text: str):
    from decimal import Decimal

    return Decimal(text)


def _make_check(name: str, fn):
    @dg.asset_check(asset=working_plan, name=name, blocking=True,
                    automation_condition=AC.eager(),
                    description=(fn.__doc__ or name).strip().splitlines()[0])
    def _check() -> dg.AssetCheckResult:
        con = duckdb.connect(str(paths().working_plan), read_only=True)
        try:
            result = fn(con)
        finally:
            con.close()
        return dg.AssetCheckResult(passed=result.passed, description=result.description,
                                   metadata=dict(result.evidence))

    return _check


audit_checks = [_make_check(name, fn) for name, fn in audit.BLOCKING_CHECKS.items()]


@dg.asset(
    deps=[working_plan],
    group_name="plan",
    kinds={"duckdb"},
    pool="duckdb_write",
    automation_condition=PUBLISH_WHEN,
    description="warehouse/plan.duckdb: the published plan, replaced atomically after the audit.",
)
def published_plan(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    p = paths()
    # Audit again right before the swap: whatever launched this run, a plan that
    # breaks an invariant is never published.
    con = duckdb.connect(str(p.working_plan), read_only=True)
    try:
        failed = [n for n, fn in audit.BLOCKING_CHECKS.items() if not fn(con).passed]
    finally:
        con.close()
    if failed:
        raise dg.Failure(f"not published: blocking checks failed: {', '.join(failed)}")
    tmp = p.plan.with_name(f".{p.plan.name}.{os.getpid()}.publishing")
    shutil.copyfile(p.working_plan, tmp)
    os.replace(tmp, p.plan)  # readers holding the old file keep reading it whole
    con = duckdb.connect(str(p.plan), read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        total = con.execute("SELECT coalesce(sum(budget_baht), 0) FROM projects").fetchone()[0]
    finally:
        con.close()
    return dg.MaterializeResult(metadata={
        "path": str(p.plan),
        "dagster/row_count": counts["projects"],
        "budget_total_baht": float(total),
        **{f"rows_{t}": n for t, n in counts.items()},
    })
