"""The Dagster side: definitions, blocking audit, the real `dagster` CLI and UI."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from workbooks import set_old_mtime, write_two_agencies, write_xlsx

BIN = Path(sys.executable).parent
YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
ASSETS = {
    "agency_intake",
    "agency_submissions",
    "unrouted_files",
    "working_plan",
    "published_plan",
    "plan_books",
    "agency_feedback",
    "province_extracts",
}
CHECKS = {"conservation", "reconciliation", "reference_codes", "unique_project_id"}
WARNINGS = {
    "totals_match",
    "no_zero_budgets",
    "strategies_are_the_ministrys",
    "current_submission",
}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(warehouse))
    write_two_agencies(inbox)
    return tmp_path


def test_definitions_hold_every_asset_check_and_job():
    from stiplan.definitions import defs

    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    checks = {k.name: k for k in graph.asset_check_keys}
    assert set(checks) == CHECKS | WARNINGS
    assert {n for n, k in checks.items() if graph.get_check_spec(k).blocking} == CHECKS
    part = graph.get(dg.AssetKey("agency_submissions")).partitions_def
    # agency × fiscal year: the 16 agencies, and the fiscal years files arrived for
    assert part.partitions_defs[0].partitions_def.get_partition_keys()[:2] == ["OMIN", "OPS"]
    assert len(part.partitions_defs[0].partitions_def.get_partition_keys()) == 16
    assert part.partitions_defs[1].name == "fiscal_year"
    assert {j.name for j in defs.resolve_all_job_defs()} >= {
        "ingest_agencies",
        "build_plan",
        "write_outputs",
    }
    sensors = {s.name: s.default_status for s in defs.sensors}
    assert sensors == {
        "inbox_sensor": dg.DefaultSensorStatus.RUNNING,
        "plan_automation": dg.DefaultSensorStatus.RUNNING,
    }
    assert next(s for s in defs.sensors if s.name == "inbox_sensor").minimum_interval_seconds <= 5


def _plan_rows(plan: Path):
    con = duckdb.connect(str(plan), read_only=True)
    try:
        return sorted(con.execute("SELECT project_name, budget_baht FROM projects").fetchall())
    finally:
        con.close()


def test_failing_blocking_check_stops_the_publish(workspace):
    from stiplan.assets.plan import published_plan, working_plan
    from stiplan.assets.resources import StiplanConfig
    from stiplan.definitions import defs
    from stiplan.run import run_inbox

    assert run_inbox(outputs=False).published
    plan = workspace / "warehouse" / "plan.duckdb"
    before = _plan_rows(plan)
    assert len(before) == 3
    stat = plan.stat()
    # Break an invariant in the working database, as a faulty merge would.
    con = duckdb.connect(str(workspace / "warehouse" / ".work" / "plan.duckdb"))
    con.execute("INSERT INTO projects SELECT * FROM projects LIMIT 1")
    con.close()
    # Audit and publish only (no new merge), exactly as the plan's automation would.
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        instance=dg.DagsterInstance.ephemeral(),
        selection=dg.AssetSelection.checks_for_assets(working_plan)
        | dg.AssetSelection.assets(published_plan),
        raise_on_error=False,
        resources={"stiplan": StiplanConfig.from_environment()},
    )
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert {"unique_project_id", "conservation"} <= failed
    assert not any(
        e.asset_key == published_plan.key
        for e in result.get_asset_materialization_events()
        if hasattr(e, "asset_key")
    )
    assert plan.stat().st_mtime_ns == stat.st_mtime_ns and _plan_rows(plan) == before


def _env(workspace: Path) -> dict:
    env = dict(os.environ)
    home = workspace / "dagster_home"
    home.mkdir(exist_ok=True)
    env.update(
        DAGSTER_HOME=str(home),
        STIPLAN_INBOX=str(workspace / "inbox"),
        STIPLAN_WAREHOUSE=str(workspace / "warehouse"),
    )
    return env


def test_real_dagster_cli_materialises_a_partition_and_publishes(workspace):
    env = _env(workspace)
    # the sensor or `stiplan run` add a fiscal year when its first file arrives; here, by hand
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
    base = [str(BIN / "dagster"), "asset", "materialize", "-m", "stiplan.definitions"]
    for extra in (
        ["--select", "agency_intake,agency_submissions", "--partition", "NSTDA|2555"],
        ["--select", "unrouted_files,working_plan,published_plan"],
    ):
        proc = subprocess.run(
            base + extra, env=env, capture_output=True, text=True, timeout=300, cwd=workspace
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    # Only NSTDA's partition ran, so only its projects are in the plan.
    from decimal import Decimal

    assert _plan_rows(workspace / "warehouse" / "plan.duckdb") == [
        ("โครงการสอง", Decimal("2001.00")),
        ("โครงการหนึ่ง", Decimal("1000.00")),
    ]
    runs = list((workspace / "dagster_home").rglob("runs.db"))
    assert runs, "run history is kept under DAGSTER_HOME"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@contextmanager
def dagster_dev(env: dict, cwd: Path) -> Iterator[int]:
    """The real `dagster dev` on 127.0.0.1, as `make start` runs it; yields its port.
    What it prints (the terminal of `make start`) goes to `cwd/dagster-dev.log`."""
    port = _free_port()
    log = (cwd / "dagster-dev.log").open("wb")
    proc = subprocess.Popen(
        [
            str(BIN / "dagster"),
            "dev",
            "-m",
            "stiplan.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=cwd,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        _kill_leftovers(env["STIPLAN_WAREHOUSE"])


def leftovers(warehouse: str) -> list[int]:
    """Processes started for this warehouse (their environment names it)."""
    marker = f"STIPLAN_WAREHOUSE={warehouse}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _kill_leftovers(warehouse: str) -> None:
    """`dagster dev` starts its code server in a session of its own, and a run still in
    progress when it stops outlives it (spinning on its pool slot): kill whatever was
    started for this test's warehouse, so no later test shares the machine with it."""
    for pid in leftovers(warehouse):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_dagster_dev_serves_every_asset(workspace):
    with dagster_dev(_env(workspace), workspace) as port:
        deadline, nodes = time.time() + 120, None
        while time.time() < deadline:
            try:
                data = graphql(port, "{ assetNodes { assetKey { path } } }")
                nodes = data.get("data", {}).get("assetNodes")
                if nodes:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert nodes, "dagster dev did not serve the code location"
        assert {n["assetKey"]["path"][-1] for n in nodes} == ASSETS


def test_agency_partition_metadata_answers_without_a_query(workspace):
    from stiplan.definitions import defs
    from stiplan.run import run_config
    from stiplan.schemas.warehouse import Paths

    path = write_xlsx(
        workspace / "inbox" / "NIMT_2555.xlsx",
        {
            "s": (
                [[YEAR], H],
                [
                    [1, "โครงการดี", "ตาก", 100],
                    [2, "โครงการไม่มีจังหวัด", None, 5],
                    [3, "โครงการดี", "ตาก", 100],
                ],
            )
        },
    )
    set_old_mtime(path)  # a run launched from the UI takes only files no longer changing
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("fiscal_years", ["2555"])
        result = defs.resolve_job_def("ingest_agencies").execute_in_process(
            instance=instance,
            partition_key="NIMT|2555",
            run_config=run_config(Paths.from_environment()),
        )
        assert result.success
        mat = next(
            m
            for m in result.get_asset_materialization_events()
            if m.asset_key == dg.AssetKey("agency_submissions")
        ).materialization
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        assert (
            meta["rows_read"],
            meta["rows_accepted"],
            meta["rows_rejected"],
            meta["rows_duplicate"],
            meta["dagster/row_count"],
        ) == (3, 1, 1, 1, 3)
        assert meta["budget_accepted_baht"] == 100.0
        assert (
            "| 4 |" in meta["rejected_rows_preview"]
            and "No province" in meta["rejected_rows_preview"]
        )
        assert mat.partition == "NIMT|2555"
