"""`stiplan run`: process the inbox once, headless, through the UI's own definitions.

Route every file; materialise the touched agency partitions in one run; then
merge, audit and publish. A second run with nothing new does nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from stiplan.assets.database import read_only
from stiplan.assets.registry import Registry
from stiplan.assets.routing import scan_and_route
from stiplan.schemas.reference import AGENCIES
from stiplan.settings import Paths, paths

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
CLI_TAGS = {"stiplan/cli": "1"}


class RunFailed(Exception):
    """The software or the warehouse failed (never the data)."""


@dataclass
class RunSummary:
    new_files: int = 0
    agencies: list[str] = field(default_factory=list)
    published: bool = False
    nothing_new: bool = False
    failed_checks: list[str] = field(default_factory=list)


def _instance() -> dg.DagsterInstance:
    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_inbox(progress=None, force: bool = False, outputs: bool = True) -> RunSummary:
    def say(text: str) -> None:
        if progress:
            progress(text)

    from stiplan.definitions import defs  # heavy import, after the cheap checks

    p = paths()
    p.inbox.mkdir(parents=True, exist_ok=True)
    registry = Registry(p.registry)
    say(f"Routing the files in {p.inbox}")
    files, routes = scan_and_route(p.inbox, registry)
    new = [f for f in files if registry.is_new(f)]
    order = [a.code for a in AGENCIES]
    touched = sorted({routes[f.submission_id].agency_code for f in new} - {None},
                     key=order.index)
    if force:
        touched = order
    summary = RunSummary(new_files=len(new), agencies=touched)
    if not new and not force and _published_is_current(p, registry):
        summary.nothing_new = True
        return summary
    instance = _instance()
    if touched:
        say(f"Reading {len(touched)} agenc{'y' if len(touched) == 1 else 'ies'}: "
            f"{', '.join(touched)}")
        result = defs.resolve_job_def("ingest_agencies").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET,
            tags={"dagster/asset_partition_range_start": touched[0],
                  "dagster/asset_partition_range_end": touched[-1],
                  "stiplan/agencies": ",".join(touched), "stiplan/cli": "1"})
        if not result.success:
            raise RunFailed(_failure(result))
    say("Merging, auditing and publishing the plan")
    result = defs.resolve_job_def("build_plan").execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET, tags=CLI_TAGS)
    if not result.success:
        raise RunFailed(_failure(result))
    from stiplan.assets.audit import BLOCKING_CHECKS

    for ev in result.get_asset_check_evaluations():
        if not ev.passed and ev.check_name in BLOCKING_CHECKS:
            summary.failed_checks.append(ev.check_name)
    summary.published = not summary.failed_checks
    if summary.published and outputs:
        say("Writing the plan books, feedback and province extracts")
        result = defs.resolve_job_def("write_outputs").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET, tags=CLI_TAGS)
        if not result.success:
            raise RunFailed(_failure(result))
    return summary


def _published_is_current(p: Paths, registry: Registry) -> bool:
    """The published plan already holds every registered file and arrival (a run that
    was interrupted after the intake, or a sensor run, may have left it behind)."""
    if not p.plan.exists():
        return False
    try:
        with read_only(p.plan) as con:
            published = {r[0] for r in con.execute("SELECT submission_id FROM submissions")
                         .fetchall()}
            arrivals = con.execute("SELECT count(*) FROM arrivals").fetchone()[0]
    except duckdb.Error:
        return False
    return (published == {f["submission_id"] for f in registry.files()}
            and arrivals == len(registry.arrivals()))


def _failure(result) -> str:
    for ev in result.all_events:
        if ev.is_failure and ev.event_specific_data is not None:
            err = getattr(ev.event_specific_data, "error", None)
            if err is not None:
                return err.to_string()
    return "run failed"


def plan_report(p: Paths | None = None) -> dict:
    """Figures for the closing summary, from the published plan."""
    p = p or paths()
    con = duckdb.connect(str(p.plan), read_only=True)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        return {
            "statuses": dict(q("SELECT status, count(*) FROM submissions GROUP BY status")),
            "rejected": q("""SELECT s.file_name, s.reason FROM submissions s
                             WHERE status = 'rejected' ORDER BY file_name"""),
            "outcomes": dict(q("""SELECT outcome, count(*) FROM source_rows r
                                  JOIN submissions s USING (submission_id)
                                  WHERE s.status = 'current' GROUP BY outcome""")),
            "projects": q("SELECT count(*), coalesce(sum(budget_baht), 0) FROM projects")[0],
            "candidates": q("SELECT count(*) FROM duplicate_candidates")[0][0],
        }
    finally:
        con.close()
