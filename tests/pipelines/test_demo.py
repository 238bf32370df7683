"""The sample inbox (`stiplan demo`) reproduces the FY 2555 headline exactly through the
real pipeline: 637 projects worth 567,359,000.00 baht once the mistakes are set aside."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest

from stiplan.demo import PLAN, build_demo, expected_outcomes, write_demo
from stiplan.schemas.reference import AGENCIES, PROVINCES

HEADLINE = (637, Decimal("567359000.00"))
# The mistakes written into the demo, one per (file, problem), counted by hand.
MISTAKES = {
    "NSTDA_2555.xlsx": "province_missing",
    "แผนบูรณาการ_วศ_2555.xls": "province_is_region",
    "TISTR_FY2012_plan.xlsx": "budget_not_number",
    "ops plan 2555.xlsx": "province_missing",  # and budget_not_number on the same row
    "แผนงานโครงการเชิงพื้นที่.xlsx": "date_invalid",
    "อพวช_2555.xlsx": "province_unknown",
    "OAP_2555.xlsx": "budget_negative",
    "สทน_2555.xlsx": "budget_missing",
    "narit-2555.xlsx": "end_before_start",
    "สสนก._2555.xlsx": "name_missing",
    "TCELS_2555.xlsx": "province_is_region",
}
DUPLICATES = {
    "NSTDA_2555.xlsx",
    "แผนบูรณาการ_วศ_2555.xls",
    "ops plan 2555.xlsx",
    "แผนงานโครงการเชิงพื้นที่.xlsx",
}


def _have_xlwt() -> bool:
    try:
        import xlwt  # noqa: F401
    except ImportError:
        return False
    return True


def _name(file_name: str) -> str:
    # Without xlwt the legacy .xls is written as .xlsx.
    return file_name if _have_xlwt() else file_name.replace(".xls", ".xlsx")


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    inbox, warehouse = root / "inbox", root / "warehouse"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STIPLAN_INBOX", str(inbox))
        mp.setenv("STIPLAN_WAREHOUSE", str(warehouse))
        mp.delenv("DAGSTER_HOME", raising=False)
        written = write_demo(inbox)
        from stiplan.run import run_inbox

        summary = run_inbox(outputs=False)
    assert summary.published and not summary.failed_checks
    con = duckdb.connect(str(warehouse / "plan.duckdb"), read_only=True)
    yield con, written
    con.close()


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def test_headline_637_projects_567_359_million(plan):
    con, _ = plan
    assert q(con, "SELECT count(*), sum(budget_baht) FROM projects")[0] == HEADLINE
    assert q(con, "SELECT DISTINCT fiscal_year FROM projects") == [(2555,)]


def test_one_current_submission_per_agency(plan):
    con, written = plan
    assert len(written) == 16 and all(p.is_file() for p in written)
    rows = q(con, "SELECT agency_code, status, fiscal_year FROM submissions ORDER BY 1")
    assert sorted(r[0] for r in rows) == sorted(a.code for a in AGENCIES)
    assert {(r[1], r[2]) for r in rows} == {("current", 2555)}


def test_per_agency_figures_follow_the_plan(plan):
    con, _ = plan
    got = {
        a: (n, b)
        for a, n, b in q(
            con, "SELECT agency_code, count(*), sum(budget_baht) FROM projects GROUP BY 1"
        )
    }
    assert got == {a: (n, Decimal(b)) for a, (n, b) in PLAN.items()}
    assert got["NSTDA"][1] > got["DSS"][1] > got["NIMT"][1] > got["OMIN"][1]


def test_the_mistakes_are_really_there(plan):
    con, _ = plan
    outcomes = dict(q(con, "SELECT outcome, count(*) FROM source_rows GROUP BY 1"))
    assert outcomes == expected_outcomes()
    assert outcomes["accepted"] == 637
    assert outcomes["rejected"] == len(MISTAKES) == 11
    assert outcomes["duplicate"] == len(DUPLICATES) == 4
    assert outcomes["total"] >= 8 and outcomes["section"] >= 8
    rejected = q(
        con,
        """SELECT s.file_name, list_sort(list(p.code)) FROM source_rows r
                         JOIN submissions s USING (submission_id)
                         JOIN row_problems p USING (submission_id, sheet, row_number)
                         WHERE outcome = 'rejected' GROUP BY s.file_name, r.sheet, r.row_number""",
    )
    expected = {_name(f): [c] for f, c in MISTAKES.items()}
    expected["ops plan 2555.xlsx"] = ["budget_not_number", "province_missing"]  # both recorded
    assert dict(rejected) == expected and len(rejected) == len(MISTAKES)
    dups = q(
        con,
        """SELECT DISTINCT s.file_name FROM source_rows r
                     JOIN submissions s USING (submission_id) WHERE outcome = 'duplicate'""",
    )
    assert {r[0] for r in dups} == {_name(f) for f in DUPLICATES}
    codes = dict(q(con, "SELECT code, count(*) FROM row_problems GROUP BY 1"))
    assert codes == {
        "province_missing": 2,
        "province_is_region": 2,
        "budget_not_number": 2,
        "date_invalid": 1,
        "province_unknown": 1,
        "budget_negative": 1,
        "budget_missing": 1,
        "end_before_start": 1,
        "name_missing": 1,
        "budget_zero": 1,  # a zero budget is accepted and counted, with a warning
        "total_mismatch": 1,  # one agency's own total left out a project
    }
    zero = q(con, "SELECT agency_code FROM projects WHERE budget_baht = 0")
    assert zero == [("OMIN",)]


def test_provinces_cover_every_region_with_multi_and_nationwide(plan):
    con, _ = plan
    codes = {r[0] for r in q(con, "SELECT DISTINCT province_code FROM project_provinces")}
    assert codes == {p.code for p in PROVINCES}
    assert q(con, "SELECT count(*) FROM projects WHERE nationwide")[0][0] >= 16
    multi = q(
        con,
        """SELECT count(*) FROM (SELECT project_id FROM project_provinces
                      GROUP BY 1 HAVING count(*) > 1)""",
    )[0][0]
    assert multi >= 60


def test_layouts_vary(plan):
    _, written = plan
    suffixes = {p.suffix for p in written}
    assert ".xlsx" in suffixes
    if _have_xlwt():
        assert ".xls" in suffixes
    files = dict(build_demo())
    units = {s.table.unit for f in files.values() for s in f.sheets if s.table}
    assert units == {1, 1_000_000}  # baht and ล้านบาท
    headers = {h for f in files.values() for s in f.sheets if s.table for h in s.table.header}
    assert {"Project name", "ชื่อโครงการ", "งบประมาณ (ล้านบาท)", "งบประมาณ (บาท)"} <= headers
    assert any(s.titles == [] for f in files.values() for s in f.sheets if s.table)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_deterministic_for_a_seed(tmp_path):
    write_demo(tmp_path / "a")
    write_demo(tmp_path / "b")
    write_demo(tmp_path / "c", seed=7)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert expected_outcomes(7)["accepted"] == 637


def test_cli_demo_then_run(tmp_path):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse), COLUMNS="200")
    demo = subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    assert "NSTDA_2555.xlsx" in demo.stdout and "stiplan run" in demo.stdout
    assert len(list(inbox.iterdir())) == 16
    run = subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "637" in run.stdout and "567,359,000.00" in run.stdout
    con = duckdb.connect(str(warehouse / "plan.duckdb"), read_only=True)
    try:
        assert q(con, "SELECT count(*), sum(budget_baht) FROM projects")[0] == HEADLINE
        assert q(con, "SELECT count(*) FROM submissions WHERE status = 'current'") == [(16,)]
    finally:
        con.close()


def test_the_demo_counts_only_the_files_a_run_will_read(tmp_path, capsys):
    from stiplan.cli import main

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "README.md").write_text("what the inbox is for")
    (inbox / "~$lock.xlsx").write_bytes(b"lock")
    (inbox / "OPS_2555.xlsx").write_bytes(b"an agency's own file")
    assert main(["demo", "--inbox", str(inbox)]) == 0
    out = capsys.readouterr().out
    assert "the inbox also holds 1 other file(s)" in out
