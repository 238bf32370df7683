"""`stiplan run`: process the inbox once, headless, through the UI's own definitions.

Route every file; materialise the touched agency partitions in one run; then
merge, audit and publish; then write the outputs. A second run with nothing new
does nothing.

A run holds the warehouse's writer lock from start to end (`assets/runtime/lock.py`), so
two runs, or a run and the Dagster UI's runs, never interleave. A run that was
killed at any moment leaves the previous plan or the new one published, never a
mix, and the next run finishes the job: files registered but not yet published
are read and merged again, and outputs not written from the published plan
(`assets/outputs.py` stamps them) are written.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from stiplan.assets.consolidate.ahead import keep_share_ahead
from stiplan.assets.ingest.cache import kept_chains
from stiplan.assets.ingest.inbox import route_files
from stiplan.assets.ingest.registry import Registry
from stiplan.assets.runtime.database import read_only
from stiplan.assets.runtime.faults import checkpoint
from stiplan.assets.runtime.lock import Busy, pid_alive, writer_lock
from stiplan.planner import plan_work
from stiplan.schemas.warehouse import Paths

if TYPE_CHECKING:  # Dagster is imported only when a run has work for it
    import dagster as dg

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# A planner's own run takes every file in the inbox, even one changed a moment ago.
TAKE_ALL = {"config": {"settled_only": False}}
CLI_TAGS = {"stiplan/cli": "1"}

__all__ = ["Busy", "RunFailed", "RunSummary", "plan_report", "run_inbox"]


class RunFailed(Exception):
    """The software or the warehouse failed (never the data)."""


@dataclass
class RunSummary:
    new_files: int = 0
    agencies: list[str] = field(default_factory=list)
    published: bool = False
    nothing_new: bool = False
    failed_checks: list[str] = field(default_factory=list)
    outputs_written: list[str] = field(default_factory=list)  # output assets written
    outputs_error: str | None = None  # the plan is published, the outputs failed
    outputs_stale: list[str] = field(default_factory=list)  # left behind (--no-outputs)


def _instance() -> dg.DagsterInstance:
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_config(p: Paths, *intake_steps: str) -> dict:
    """A run's configuration: these folders for the `stiplan` resource, quiet logs, and
    every inbox file taken by the intake steps named."""
    return {
        **QUIET,
        "resources": {
            "stiplan": {"config": {"inbox": str(p.inbox), "warehouse": str(p.warehouse)}}
        },
        "ops": {step: TAKE_ALL for step in intake_steps},
    }


def run_inbox(
    progress=None, force: bool = False, outputs: bool = True, paths: Paths | None = None
) -> RunSummary:
    """Raises `Busy` when another writer kept the warehouse longer than
    STIPLAN_LOCK_WAIT seconds, `RunFailed` when the software or the machine failed
    before the plan was published."""

    def say(text: str) -> None:
        if progress:
            progress(text)

    p = paths or Paths.from_environment()
    p.inbox.mkdir(parents=True, exist_ok=True)

    def waiting(holder: str) -> None:
        say(f"Waiting for another stiplan run or the Dagster UI's run to finish ({holder})…")

    with writer_lock(p, who="stiplan run", on_wait=waiting):
        return _run(p, say, force, outputs)


def _definitions():
    """The code location: imported only once there is work for Dagster (a run with
    nothing new never pays for it)."""
    from stiplan.definitions import defs

    return defs


def _load_dagster(outputs: bool) -> None:
    """Import the code location and the modules of an instance's storage (SQLAlchemy,
    Alembic: most of the cost of making one), in a thread while the children read.
    The instance itself is made where it is used, in the run's own thread: its
    in-memory SQLite connection belongs to the thread that opened it (closed from
    another, it prints a traceback at exit), and making it there costs 0.05 s. With
    `outputs`, the writers too: their step imports them before it forks its workers,
    while the other core waits (0.2 s)."""
    import dagster as dg

    _definitions()
    with dg.DagsterInstance.ephemeral():
        pass
    if outputs:
        from stiplan.assets.books import extracts, feedback, folders, planbook  # noqa: F401


def _run(p: Paths, say, force: bool, outputs: bool) -> RunSummary:
    registry = Registry(p.registry)
    say(f"Routing the files in {p.inbox}")
    files = registry.scan(p.inbox)
    new = [f for f in files if registry.is_new(f)]
    if new:  # Dagster loads while the children read the new files
        loading = threading.Thread(target=_load_dagster, args=(outputs,), daemon=True)
        loading.start()
    # Every routed file is read whole below: route it from that one read, and build its
    # share of the plan there (the merge would load its parse again for that).
    ahead = (p.merged, kept_chains(p, registry), keep_share_ahead) if new else None
    routes = route_files(files, registry, cache_dir=p.parsed, ahead=ahead)
    checkpoint("route")
    published = _published(p)
    # Files registered but not in the published plan: a run killed after its intake
    # left them; their agencies are read again (from the parse cache) with the new.
    registered = registry.files()
    unpublished = [
        f for f in registered if published is None or f["submission_id"] not in published[0]
    ]
    again = {
        (f["agency_code"], f["fiscal_year"])
        for f in (registered if force else unpublished)
        if f["agency_code"] is not None
    }
    summary = RunSummary(new_files=len(new))
    tags = {
        **CLI_TAGS,
        "stiplan/pid": str(os.getpid()),
        "stiplan/host": socket.gethostname(),
        "stiplan/warehouse": str(p.warehouse),
    }
    if (
        not new
        and not force
        and published is not None
        and published[0] == {f["submission_id"] for f in registered}
        and published[1] == len(registry.arrivals())
    ):
        summary.nothing_new = True
        from stiplan.assets.books.stamps import stale_outputs
        from stiplan.assets.runtime.isolation import stop_readers

        stop_readers()  # nothing to read: the readers' warm-up would only take a core

        stale = stale_outputs(p)
        if stale and outputs:
            say("Writing the outputs that were not written from the published plan")
            defs, instance = _definitions(), _instance()
            _forget_killed_runs(instance, p)
            _write_outputs(defs, instance, p, tags, summary, stale)
        else:
            summary.outputs_stale = stale
        return summary
    work = plan_work(new, routes, again)  # imports Dagster (loaded meanwhile)
    summary.agencies = work.agencies
    defs, instance = _definitions(), _instance()
    _forget_killed_runs(instance, p)
    touched = work.agencies
    if touched:
        say(
            f"Reading {len(touched)} agenc{'y' if len(touched) == 1 else 'ies'}: "
            f"{', '.join(touched)}"
        )
    if work.fiscal_years:  # a fiscal year's partitions exist before they are materialised
        from stiplan.assets.partitions import FISCAL_YEARS, unknown_years

        missing = unknown_years(instance, work.fiscal_years)
        if missing:
            instance.add_dynamic_partitions(FISCAL_YEARS.name, missing)
    for run in work.ingest:  # per fiscal year, one run per block of neighbouring agencies
        result = defs.resolve_job_def("ingest_agencies").execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=run_config(p, "agency_intake"),
            tags={
                "dagster/asset_partition_range_start": run.first,
                "dagster/asset_partition_range_end": run.last,
                "stiplan/agencies": ",".join(run.agencies),
                **tags,
            },
        )
        if not result.success:
            raise RunFailed(_failure(result))
    if touched:
        checkpoint("intake")
    say("Merging, auditing and publishing the plan")
    result = defs.resolve_job_def("build_plan").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=run_config(p, "unrouted_files"),
        tags=tags,
    )
    if not result.success:
        raise RunFailed(_failure(result))
    from stiplan.assets.consolidate.audit import BLOCKING_CHECKS

    for ev in result.get_asset_check_evaluations():
        if not ev.passed and ev.check_name in BLOCKING_CHECKS:
            summary.failed_checks.append(ev.check_name)
    summary.published = not summary.failed_checks
    if summary.published:
        from stiplan.assets.books.stamps import OUTPUT_FOLDERS, stale_outputs

        if outputs:
            say("Writing the plan books, feedback and province extracts")
            _write_outputs(defs, instance, p, tags, summary, list(OUTPUT_FOLDERS))
        else:
            summary.outputs_stale = stale_outputs(p)
    return summary


def _write_outputs(
    defs, instance, p: Paths, tags: dict, summary: RunSummary, names: list[str]
) -> None:
    """Write these output assets; a failure (a full disk, a refused permission) is
    recorded, not raised: the plan is published whatever happens to its outputs."""
    import dagster as dg

    from stiplan.assets.runtime.isolation import stop_readers

    stop_readers()
    result = defs.resolve_job_def("write_outputs").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=run_config(p),
        tags=tags,
        asset_selection=[dg.AssetKey(n) for n in names],
    )
    done = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    summary.outputs_written = [n for n in names if n in done]
    if not result.success:
        summary.outputs_error = _failure(result, brief=True)


def _published(p: Paths) -> tuple[set[str], int] | None:
    """The submissions and the count of arrivals of the published plan (None when
    there is none, or it cannot be read)."""
    if not p.plan.exists():
        return None
    try:
        with read_only(p.plan) as con:
            ids = {r[0] for r in con.execute("SELECT submission_id FROM submissions").fetchall()}
            arrivals = con.execute("SELECT count(*) FROM arrivals").fetchone()[0]
    except duckdb.Error:
        return None
    return ids, arrivals


def _forget_killed_runs(instance: dg.DagsterInstance, p: Paths) -> None:
    """Runs of an earlier `stiplan run` on this warehouse that were killed stay
    "started" in a kept run history (DAGSTER_HOME), which would keep the UI's
    automation waiting on them for ever. Holding the writer lock, no other
    `stiplan run` on this warehouse is alive: mark theirs failed."""
    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        return  # an ephemeral instance keeps no history
    started = [
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.NOT_STARTED,
    ]
    for run in instance.get_runs(
        filters=dg.RunsFilter(
            statuses=started,
            tags={
                **CLI_TAGS,
                "stiplan/host": socket.gethostname(),
                "stiplan/warehouse": str(p.warehouse),
            },
        )
    ):
        pid = run.tags.get("stiplan/pid", "")
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            instance.report_run_failed(
                run,
                "the stiplan run that started this run was "
                "killed; a later stiplan run finished its work",
            )


def _failure(result, brief: bool = False) -> str:
    """The first step failure of a run: the whole error (software failures), or
    with `brief`, only what it says (the machine's failures, for a planner)."""
    for ev in result.all_events:
        if ev.is_failure and ev.event_specific_data is not None:
            user = getattr(ev.event_specific_data, "user_failure_data", None)
            if brief and user is not None and user.description:
                return user.description
            err = getattr(ev.event_specific_data, "error", None)
            if err is not None:
                return err.message.strip() if brief else err.to_string()
    return "run failed"


def plan_report(p: Paths | None = None) -> dict:
    """Figures for the closing summary, from the published plan."""
    p = p or Paths.from_environment()
    con = duckdb.connect(str(p.plan), read_only=True)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        return {
            "statuses": dict(q("SELECT status, count(*) FROM submissions GROUP BY status")),
            "rejected": q("""SELECT s.file_name, s.reason FROM submissions s
                             WHERE status = 'rejected' ORDER BY file_name"""),
            "outcomes": dict(
                q("""SELECT outcome, count(*) FROM source_rows r
                                  JOIN submissions s USING (submission_id)
                                  WHERE s.status = 'current' GROUP BY outcome""")
            ),
            "projects": q("SELECT count(*), coalesce(sum(budget_baht), 0) FROM projects")[0],
            "candidates": q("SELECT count(*) FROM duplicate_candidates")[0][0],
        }
    finally:
        con.close()
