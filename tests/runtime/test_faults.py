"""Faults: `kill -9` of `stiplan run` at every phase, a full disk while the outputs
are written, two writers at once. Real `stiplan run` processes on real workbooks.

Every kill leaves the published plan as it was (plan A) or as an uninterrupted run
makes it, passing the four blocking checks; the next run converges to exactly the
tables of a reference warehouse built without the fault, with current outputs and
no temporary file left behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from workbooks import write_xlsx

from stiplan.assets.consolidate.audit import BLOCKING_CHECKS
from stiplan.schemas.warehouse import Paths

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
FAULT_VARS = (
    "STIPLAN_KILL_AT",
    "STIPLAN_FAIL_AT",
    "STIPLAN_LOCK_WAIT",
    "DAGSTER_HOME",
    "STIPLAN_INBOX",
    "STIPLAN_WAREHOUSE",
)

# Every checkpoint of a run, in the order a run meets them; after "published" the
# new plan is the published one. Each kill costs about two runs, so by default one
# checkpoint stands for each way of recovering (the others recover alike);
# STIPLAN_ALL_FAULTS=1 tries them all.
PHASES = [
    "route",
    "intake-register",
    "intake",
    "parse-write",
    "parse",
    "merge",
    "merged",
    "audit",
    "publish",
    "published",
    "outputs-write",
    "outputs-swap",
    "stamp",
    "outputs",
]
ALIKE = {
    "route": "intake",
    "parse": "intake",
    "merged": "audit",
    "outputs-write": "outputs-swap",
    "stamp": "published",
}
NEW_PLAN_FROM = PHASES.index("published")
ALL_FAULTS = os.environ.get("STIPLAN_ALL_FAULTS") == "1"


def _env(inbox: Path, warehouse: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in FAULT_VARS}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse), **extra)
    return env


def stiplan_run(inbox: Path, warehouse: Path, *args: str, **extra: str):
    return subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run", *args],
        env=_env(inbox, warehouse, **extra),
        cwd=warehouse.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _said(proc) -> str:
    return f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}"


def snapshot(plan: Path) -> dict[str, list[tuple]]:
    """Every table, every row, but for the timestamps of arrival (received_at,
    seen_at and what is derived from them), which are the wall clock's."""
    con = duckdb.connect(str(plan), read_only=True)
    try:
        out = {}
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "AND table_schema = 'main' AND data_type NOT LIKE 'TIMESTAMP%' "
                    "ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            rows = con.execute(
                f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table}"
            ).fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def blocking_checks_pass(plan: Path) -> list[str]:
    con = duckdb.connect(str(plan), read_only=True)
    try:
        return [name for name, fn in BLOCKING_CHECKS.items() if not fn(con).passed]
    finally:
        con.close()


def outputs_listing(warehouse: Path) -> list[str]:
    out = warehouse / "outputs"
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def leftovers(warehouse: Path) -> list[str]:
    """Temporary files and folders of a writer (`.<name>.<pid>.building`, …)."""
    return sorted(
        str(p.relative_to(warehouse))
        for p in warehouse.rglob(".*")
        if p.name.endswith(
            (".building", ".building.wal", ".publishing", ".old", ".tmp", ".snapshot")
        )
    )


def assert_current(warehouse: Path, base: Base) -> None:
    from stiplan.assets.outputs import stale_outputs

    assert snapshot(warehouse / "plan.duckdb") == base.final
    assert stale_outputs(Paths(base.inbox, warehouse)) == []
    assert outputs_listing(warehouse) == base.final_outputs
    assert leftovers(warehouse) == []


@dataclass
class Base:
    inbox: Path  # plan A's file and a new one
    warehouse_a: Path  # after an uninterrupted run over plan A's file alone
    plan_a: dict
    final: dict  # plan A's warehouse after an uninterrupted run over `inbox`
    final_outputs: list[str]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Base:
    root = tmp_path_factory.mktemp("faults")
    inbox_a, inbox = root / "inbox_a", root / "inbox"
    inbox_a.mkdir()
    inbox.mkdir()
    write_xlsx(
        inbox_a / "NSTDA_2555.xlsx",
        {
            "โครงการ": (
                [["หน่วยงาน: สวทช."], [YEAR], H],
                [
                    [1, "โครงการเกษตรอัจฉริยะ", "เชียงใหม่", 1500000],
                    [2, "โครงการศูนย์บ่มเพาะ", "เชียงราย, ลำพูน", "250,000"],
                    [3, "โครงการไม่มีจังหวัด", None, 3000],
                ],
            )
        },
    )
    shutil.copy2(inbox_a / "NSTDA_2555.xlsx", inbox / "NSTDA_2555.xlsx")
    write_xlsx(
        inbox / "DSS_2555.xlsx",
        {
            "แผน": (
                [["หน่วยงาน: วศ."], [YEAR], H],
                [
                    [1, "โครงการเกษตร อัจฉริยะ", "เชียงใหม่", 1250000.5],
                    [2, "โครงการตรวจสอบคุณภาพ", "ทั่วประเทศ", 2000000],
                    [3, "โครงการห้องปฏิบัติการ", "นครราชสีมา", 100000],
                ],
            )
        },
    )
    warehouse_a = root / "a" / "warehouse"
    warehouse_a.parent.mkdir()
    proc = stiplan_run(inbox_a, warehouse_a)
    assert proc.returncode == 0, _said(proc)
    reference = root / "reference" / "warehouse"
    shutil.copytree(warehouse_a, reference)
    proc = stiplan_run(inbox, reference)
    assert proc.returncode == 0, _said(proc)
    base = Base(
        inbox,
        warehouse_a,
        snapshot(warehouse_a / "plan.duckdb"),
        snapshot(reference / "plan.duckdb"),
        outputs_listing(reference),
    )
    assert base.plan_a != base.final and len(base.final["projects"]) == 5
    assert_current(reference, base)
    return base


@pytest.mark.parametrize(
    "phase",
    [
        pytest.param(
            phase,
            marks=pytest.mark.skipif(
                phase in ALIKE and not ALL_FAULTS,
                reason=f"recovers like {ALIKE.get(phase)}; STIPLAN_ALL_FAULTS=1 tries it",
            ),
        )
        for phase in PHASES
    ],
)
def test_kill_at_any_phase_then_the_next_run_converges(base, tmp_path, phase):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(base.warehouse_a, warehouse)
    # One phase keeps a Dagster run history: the killed run must not stay "started".
    home = {"DAGSTER_HOME": str(tmp_path / "home")} if phase == "audit" else {}
    proc = stiplan_run(base.inbox, warehouse, STIPLAN_KILL_AT=phase, **home)
    assert proc.returncode == -signal.SIGKILL, _said(proc)

    plan = warehouse / "plan.duckdb"
    published = snapshot(plan)
    expected = base.final if PHASES.index(phase) >= NEW_PLAN_FROM else base.plan_a
    assert published == expected, f"killed at {phase}: the published plan is a mix"
    assert blocking_checks_pass(plan) == []

    proc = stiplan_run(base.inbox, warehouse, **home)
    assert proc.returncode == 0, _said(proc)
    assert_current(warehouse, base)
    if home:
        import dagster as dg

        os.environ["DAGSTER_HOME"] = home["DAGSTER_HOME"]
        try:
            with dg.DagsterInstance.get() as instance:
                runs = instance.get_runs()
                assert runs and {r.status for r in runs} <= {
                    dg.DagsterRunStatus.SUCCESS,
                    dg.DagsterRunStatus.FAILURE,
                }
                assert any(r.status == dg.DagsterRunStatus.FAILURE for r in runs)
        finally:
            del os.environ["DAGSTER_HOME"]


def test_full_disk_while_writing_outputs_keeps_the_plan_and_the_next_run_writes_them(
    base, tmp_path
):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(base.warehouse_a, warehouse)
    proc = stiplan_run(base.inbox, warehouse, STIPLAN_FAIL_AT="outputs-write")
    said = " ".join(proc.stdout.split())  # the console wraps long lines
    assert proc.returncode == 3, _said(proc)
    assert "The plan is published" in said, said
    assert "No space left on device" in said and f"could not write {warehouse / 'outputs'}/" in said
    assert snapshot(warehouse / "plan.duckdb") == base.final
    assert leftovers(warehouse) == [], "a failed write gives its space back"
    from stiplan.assets.outputs import stale_outputs

    assert stale_outputs(Paths(base.inbox, warehouse)) != []

    proc = stiplan_run(base.inbox, warehouse)
    assert proc.returncode == 0, _said(proc)
    assert "Nothing new in the inbox" in proc.stdout
    assert "written now" in " ".join(proc.stdout.split())
    assert_current(warehouse, base)


HOLDER = textwrap.dedent("""
    import sys, time
    from stiplan.assets.runtime.lock import writer_lock
    from stiplan.schemas.warehouse import Paths
    with writer_lock(Paths.from_environment(), who="Dagster run 0badcafe (working_plan)"):
        print("held", flush=True)
        time.sleep(float(sys.argv[1]))
""")


def _hold_lock(inbox: Path, warehouse: Path, seconds: float) -> subprocess.Popen:
    """Another writer (as a Dagster UI run would be) holding the warehouse's lock."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(seconds)],
        env=_env(inbox, warehouse),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_two_runs_at_once_one_waits_for_the_other(base, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(base.warehouse_a, warehouse)
    cmd = [sys.executable, "-m", "stiplan.cli", "run"]
    procs = [
        subprocess.Popen(
            cmd,
            env=_env(base.inbox, warehouse),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, f"{out}\n{err[-3000:]}"
    said = [" ".join(out.split()) for out, _ in outs]
    assert sum("Waiting for another stiplan run" in s for s in said) == 1, said
    assert sum("Nothing new in the inbox" in s for s in said) == 1, said
    assert blocking_checks_pass(warehouse / "plan.duckdb") == []
    assert_current(warehouse, base)


def test_a_run_beside_another_writer_waits_or_says_it_is_busy(base, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(base.warehouse_a, warehouse)
    holder = _hold_lock(base.inbox, warehouse, 60)
    try:
        started = time.monotonic()
        proc = stiplan_run(base.inbox, warehouse, STIPLAN_LOCK_WAIT="1")
        said = " ".join(proc.stdout.split())
        assert proc.returncode == 75, _said(proc)
        assert "is busy" in said and "Dagster run 0badcafe (working_plan)" in said, said
        assert time.monotonic() - started < 60
        assert snapshot(warehouse / "plan.duckdb") == base.plan_a  # nothing was changed
    finally:
        holder.kill()
        holder.wait()
    # The holder was killed: the kernel released its lock. Now a run that meets a
    # holder waits for it, and goes ahead once it is gone.
    holder = _hold_lock(base.inbox, warehouse, 300)
    run = subprocess.Popen(
        [sys.executable, "-m", "stiplan.cli", "run"],
        cwd=tmp_path,
        env=_env(base.inbox, warehouse, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said = []
        for line in run.stdout:  # the run's progress, as it goes
            said.append(line)
            if "Waiting for another" in line:
                break
        assert "Waiting for another stiplan run or the Dagster UI's run" in " ".join(
            "".join(said).split()
        ), said
    finally:
        holder.kill()
        holder.wait()
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, f"{''.join(said)}{out}\n{err[-3000:]}"
    assert_current(warehouse, base)


def test_a_merge_in_a_dagster_run_gives_its_pool_slot_back_while_it_waits(
    base, tmp_path, monkeypatch
):
    """A UI run's merge that meets the lock taken asks Dagster to retry it later
    (freeing its duckdb_write slot for a `stiplan run` that may need it), and fails
    clearly once it has waited STIPLAN_LOCK_WAIT."""
    import dagster as dg

    from stiplan.assets import plan
    from stiplan.assets.resources import StiplanConfig
    from stiplan.definitions import defs

    warehouse = tmp_path / "warehouse"
    shutil.copytree(base.warehouse_a, warehouse)
    monkeypatch.setenv("STIPLAN_INBOX", str(base.inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("STIPLAN_LOCK_WAIT", "1")
    monkeypatch.setattr(plan, "POOL_LOCK_WAIT_S", 0.2)
    monkeypatch.setattr(plan, "POOL_RETRY_AFTER_S", 0.1)
    holder = _hold_lock(base.inbox, warehouse, 60)
    try:
        result = dg.materialize(
            [*defs.assets],
            selection=dg.AssetSelection.assets(plan.working_plan),
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
            resources={"stiplan": StiplanConfig.from_environment()},
        )
    finally:
        holder.kill()
        holder.wait()
    kinds = [e.event_type_value for e in result.all_events]
    assert not result.success
    assert kinds.count("STEP_UP_FOR_RETRY") >= 2
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "busy" in failure.step_failure_data.user_failure_data.description
    assert "Dagster run 0badcafe (working_plan)" in (
        failure.step_failure_data.user_failure_data.description
    )
    assert snapshot(warehouse / "plan.duckdb") == base.plan_a


def test_a_damaged_cache_entry_is_read_again(tmp_path):
    from stiplan.assets.ingest.cache import _path, load

    entry = _path(tmp_path, "ab" * 32)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"\x80\x05\x95 truncated")
    assert load(tmp_path, "ab" * 32) is None
    assert not entry.exists()


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    from stiplan.assets.runtime.lock import holds, writer_lock

    p = Paths(tmp_path / "inbox", tmp_path / "warehouse")
    with writer_lock(p, who="outer", wait=0):
        with writer_lock(p, who="inner", wait=0):  # `stiplan run` running its assets
            assert holds(p)
        assert holds(p)
    assert not holds(p)


def test_outputs_of_an_older_plan_never_replace_current_ones(tmp_path):
    """Output folders are written without the lock (merges and publishes go on
    meanwhile); one written from a plan that was replaced while it was being
    written is not swapped in over the outputs of the newer plan."""
    import hashlib

    from stiplan.assets.outputs import _rebuild, _stamped
    from stiplan.assets.runtime.lock import holds

    p = Paths(tmp_path / "inbox", tmp_path / "warehouse")
    p.warehouse.mkdir()
    p.plan.write_bytes(b"plan one")
    folder = p.outputs / "planbook"

    def newer_plan_published_meanwhile(snap: Path, out: Path) -> list[Path]:
        assert not holds(p), "the lock is not held while workbooks are written"
        assert snap.read_bytes() == b"plan one"
        new = p.plan.with_name("new")
        new.write_bytes(b"plan two")
        os.replace(new, p.plan)
        _rebuild(p, folder, lambda s, o: [_put(o / "book.xlsx", s.read_bytes())], "b", None)
        return [_put(out / "book.xlsx", snap.read_bytes())]

    files, _, swapped = _rebuild(p, folder, newer_plan_published_meanwhile, "a", None)
    assert not swapped and files == []
    assert (folder / "book.xlsx").read_bytes() == b"plan two"
    assert _stamped(p, "planbook") == hashlib.sha256(b"plan two").hexdigest()
    assert leftovers(p.warehouse) == []


def _put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
