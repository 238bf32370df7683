"""The inbox sensor: dropping a file into inbox/ is all a planner has to do.

Light by design: stat, hash, identify (in a child process). A file is read only
once it has stopped changing, so a file still being copied is never taken
half-written; its modification time is never trusted as "new" (copies keep old
times): a file is new when its bytes' hash has not arrived under that name.
A file already hashed and recorded, unchanged since, costs one stat per tick.

Files dropped together are taken together: while another file of the inbox is still
changing, the files ready are held (up to HOLD_MAX_SECONDS), so a batch copied in at
once becomes one planned set of runs (pipelines/planner.py) and one publish, not a
publish per file.

A file a run was requested for is remembered in the cursor until that run registers
it (or it changes): a tick that meets it again before then, in a block with other
new files, does not ask for it twice.

Names are bytes on disk: run tags show their display form (assets/ingest/names.py), the
run key hashes their raw bytes, and the cursor is ASCII JSON (a name that is not
UTF-8 is kept as escaped surrogates and comes back as the same path).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

from stiplan.assets.consolidate.audit import BLOCKING_CHECKS
from stiplan.assets.ingest.inbox import route_files
from stiplan.assets.ingest.registry import SETTLE_SECONDS, Registry, list_inbox
from stiplan.assets.intake import (
    agency_intake,
    agency_submissions,
    current_submission_key,
    unrouted_files,
)
from stiplan.assets.partitions import FISCAL_YEARS, unknown_years
from stiplan.assets.plan import BATCH_TAG, plan_checks, published_plan, working_plan
from stiplan.assets.resources import StiplanConfig
from stiplan.planner import Work, plan_work, run_key

HOLD_MAX_SECONDS = 30.0  # a batch never waits longer for its slowest copy
MAX_FILES_PER_TICK = 32  # routing stays well inside Dagster's 60 s sensor limit
ROUTING_TIMEOUT_S = 20.0
PLAN_CHECKS = [key for key in plan_checks.check_keys if key.name in BLOCKING_CHECKS]
# Dagster's sensor daemon evaluates sensors at most every 5 s (its loop), whatever a
# sensor asks for: say what happens.
INTERVAL_SECONDS = 5


def settle(
    pending: dict[str, list],
    stats: dict[str, tuple[int, int]],
    now: float,
    settle_seconds: float = SETTLE_SECONDS,
) -> tuple[list[str], dict[str, list]]:
    """Files whose (size, mtime) has not changed for `settle_seconds` are ready.
    `pending` maps path -> [size, mtime_ns, since]; only files still to be taken
    are kept, so the cursor stays as small as the unread part of the inbox."""
    ready, keep = [], {}
    for path, (size, mtime) in stats.items():
        seen = pending.get(path)
        if not seen and now - mtime / 1e9 >= settle_seconds:
            # Last written long enough ago (a finished copy, even one that kept an
            # old time: copiers set the time after the last byte): ready at once.
            ready.append(path)
        elif seen and seen[0] == size and seen[1] == mtime:
            if now - seen[2] >= settle_seconds:
                ready.append(path)
            else:
                keep[path] = seen
        else:
            keep[path] = [size, mtime, now]
    return sorted(ready), keep


def read_cursor(cursor: str | None) -> tuple[dict[str, list], dict[str, list], float | None]:
    """(files settling: path -> [size, mtime_ns, since], files requested: path -> [size,
    mtime_ns], when ready files were first held for a batch). A cursor of an earlier
    version held the settling files alone."""
    state = json.loads(cursor or "{}")
    if "pending" not in state:
        return state, {}, None
    return state["pending"], state["requested"], state.get("held_since")


def hold_for_batch(
    ready: list[str], pending: dict[str, list], held_since: float | None, now: float
) -> tuple[list[str], float | None]:
    """The files to take now, and since when files are held. While another file is
    still changing, ready files wait for it, at most HOLD_MAX_SECONDS."""
    if ready and pending and (held_since is None or now - held_since < HOLD_MAX_SECONDS):
        return [], held_since if held_since is not None else now
    return ready, None


def run_requests(work: Work) -> list[dg.RunRequest]:
    """The planner's runs as Dagster run requests. Each run merges, audits and
    publishes too: one run from drop to plan. A batch that needs several runs (agencies
    apart in the list, several fiscal years) tags them with one id: each shows the plan
    in progress, and only the last to finish reading merges and publishes
    (`assets/plan.py` `batch_still_reading`; the plan automation, MERGE_WHEN, if two
    end together), so a batch never publishes half a plan."""
    requests = []
    batch = len(work.ingest) > 1
    keys = [f"{r.first}-{r.last}:{r.key}" for r in work.ingest]  # each run's run key
    batch_id = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]
    selection = [agency_intake.key, agency_submissions.key, working_plan.key, published_plan.key]
    if work.unrouted:
        requests.append(
            dg.RunRequest(
                run_key=f"unrouted:{run_key(work.unrouted)}",
                asset_selection=[unrouted_files.key],
                tags={"stiplan/files": ", ".join(f.name for f in work.unrouted)[:200]},
            )
        )
    for run, key in zip(work.ingest, keys, strict=True):
        if run.first == run.last:
            where = {"partition_key": run.first}
            tags = {}
        else:
            where = {}
            tags = {
                "dagster/asset_partition_range_start": run.first,
                "dagster/asset_partition_range_end": run.last,
            }
        requests.append(
            dg.RunRequest(
                run_key=key,
                **where,
                asset_selection=selection,
                asset_check_keys=[current_submission_key, *PLAN_CHECKS],
                tags={
                    **tags,
                    **(
                        {
                            "stiplan/batch": f"{len(work.ingest)} runs, one publish",
                            BATCH_TAG: batch_id,
                        }
                        if batch
                        else {}
                    ),
                    "stiplan/agency": ",".join(run.agencies),
                    "stiplan/files": ", ".join(f.name for f in run.files)[:200],
                    "stiplan/fiscal_years": run.fiscal_year,
                },
            )
        )
    return requests


@dg.sensor(
    name="inbox_sensor",
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    target=[agency_intake, agency_submissions, unrouted_files, working_plan, published_plan],
    description="Routes new inbox files and requests a run for each block of neighbouring "
    "agencies they belong to (pipelines/planner.py).",
)
def inbox_sensor(context: dg.SensorEvaluationContext, stiplan: StiplanConfig) -> dg.SensorResult:
    p = stiplan.paths
    registry = Registry(p.registry)
    seen = {}
    for path in list_inbox(p.inbox):
        try:
            seen[path] = path.stat()
        except OSError:
            continue
    taken = registry.taken(seen)
    stats = {
        str(path): (st.st_size, st.st_mtime_ns) for path, st in seen.items() if path not in taken
    }
    now = time.time()
    pending, requested, held_since = read_cursor(context.cursor)
    # Requested and unchanged since: its run has not registered it yet.
    requested = {path: v for path, v in requested.items() if tuple(v) == stats.get(path)}
    stats = {path: v for path, v in stats.items() if path not in requested}
    ready, pending = settle(pending, stats, now)
    take, held_since = hold_for_batch(ready, pending, held_since, now)
    for path in ready:  # held, or past this tick's share: ready again next tick
        if path not in take[:MAX_FILES_PER_TICK]:
            pending[path] = [*stats[path], now - SETTLE_SECONDS]
    ready = take[:MAX_FILES_PER_TICK]
    requests: list[dg.RunRequest] = []
    years: list[str] = []
    if ready:
        files = [f for f in registry.scan_paths([Path(x) for x in ready]) if registry.is_new(f)]
        routes = route_files(files, registry, timeout=ROUTING_TIMEOUT_S)
        # agency-years already holding files may join neighbouring blocks into one run
        held = {(f["agency_code"], f["fiscal_year"]) for f in registry.files() if f["agency_code"]}
        work = plan_work(files, routes, bridges=held)
        requests = run_requests(work)
        years = unknown_years(context.instance, work.fiscal_years)
        requested.update({str(f.path): [f.size, f.mtime_ns] for f in files})
    cursor = json.dumps(
        {"pending": pending, "requested": requested, "held_since": held_since},
        sort_keys=True,
        ensure_ascii=True,
    )
    return dg.SensorResult(
        run_requests=requests,
        # a fiscal year's partitions exist before the runs that materialise them
        dynamic_partitions_requests=[FISCAL_YEARS.build_add_request(years)] if years else None,
        cursor=cursor,
        skip_reason=None
        if requests
        else "files ready are held until the others stop changing"
        if held_since is not None
        else "no new settled file in the inbox",
    )
