"""Write-audit-publish: readers hold the old plan, never a half-merged one."""

from __future__ import annotations

import duckdb
from workbooks import write_xlsx

from stiplan.run import run_inbox

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]


def _published_once(tmp_path, monkeypatch):
    """One NSTDA project published by `stiplan run`'s own code; the inbox."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(tmp_path / "warehouse"))
    write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 100]])})
    assert run_inbox(outputs=False).published
    return inbox


def test_open_reader_keeps_old_plan_while_a_run_publishes(tmp_path, monkeypatch):
    inbox = _published_once(tmp_path, monkeypatch)
    plan = tmp_path / "warehouse" / "plan.duckdb"
    reader = duckdb.connect(str(plan), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM projects").fetchone() == (1,)
        write_xlsx(
            inbox / "DSS_2555.xlsx", {"s": ([[YEAR], H], [[1, "ข", "ตาก", 5], [2, "ค", "น่าน", 6]])}
        )
        summary = run_inbox(outputs=False)  # merges and publishes while the reader is open
        assert summary.published and not summary.failed_checks
        assert reader.execute("SELECT count(*) FROM projects").fetchone() == (1,)
    finally:
        reader.close()
    fresh = duckdb.connect(str(plan), read_only=True)
    try:
        assert fresh.execute("SELECT count(*), sum(budget_baht) FROM projects").fetchone()[0] == 3
    finally:
        fresh.close()


def test_status_table_lists_every_agency(tmp_path, monkeypatch):
    from stiplan.assets.plan import status_table

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(tmp_path / "warehouse"))
    write_xlsx(
        inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 100], [2, "ข", None, 1]])}
    )
    run_inbox(outputs=False)
    table = status_table(tmp_path / "warehouse" / "plan.duckdb")
    lines = table.splitlines()[2:]
    assert len(lines) == 16
    assert "| NSTDA | 2555 | 1 | NSTDA_2555.xlsx | 1 | 1 | 0 |" in lines
    assert sum("not yet submitted" in line for line in lines) == 15


def test_stiplan_run_with_an_empty_dagster_home(tmp_path):
    import os
    import subprocess
    import sys

    inbox, home = tmp_path / "inbox", tmp_path / "empty_home"
    inbox.mkdir()
    home.mkdir()
    write_xlsx(inbox / "NSTDA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 100]])})
    env = dict(
        os.environ,
        DAGSTER_HOME=str(home),
        STIPLAN_INBOX=str(inbox),
        STIPLAN_WAREHOUSE=str(tmp_path / "warehouse"),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run", "--no-outputs"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 projects" in proc.stdout.replace("[bold]", "")
    assert list(home.rglob("runs.db")), "the runs are kept in DAGSTER_HOME"


def test_the_publish_trusts_the_audit_only_for_the_very_file_it_audited(tmp_path, monkeypatch):
    import dagster as dg

    from stiplan.assets.plan import _audited, published_plan
    from stiplan.assets.resources import StiplanConfig
    from stiplan.assets.runtime.database import file_identity
    from stiplan.definitions import defs
    from stiplan.schemas.warehouse import Paths

    _published_once(tmp_path, monkeypatch)
    p = Paths.from_environment()
    assert _audited(p, file_identity(p.working_plan))  # the run's checks left their receipt
    published = p.plan.stat()
    # Break the working database after its audit, in place, as a faulty writer would:
    con = duckdb.connect(str(p.working_plan))
    con.execute("INSERT INTO projects SELECT * FROM projects")
    con.close()
    assert not _audited(p, file_identity(p.working_plan))
    # ...then publish alone, without the checks: the publish audits the copy itself.
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        instance=dg.DagsterInstance.ephemeral(),
        selection=dg.AssetSelection.assets(published_plan),
        raise_on_error=False,
        resources={"stiplan": StiplanConfig.from_environment()},
    )
    assert not result.success
    assert p.plan.stat().st_mtime_ns == published.st_mtime_ns
    assert not list(p.plan.parent.glob(".plan.duckdb.*.publishing"))
