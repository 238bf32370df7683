"""Nine real Thai government spreadsheets and CSVs through the real `stiplan run`.

None of them is a submission from one of the ministry's 16 agencies (see
shared/realdata/SOURCES.md), so every one must be rejected whole, with a reason
that tells a person what to do, and nothing may crash or reach the plan. The
files are read from shared/realdata beside the checkout (as CI clones it) and
copied into a temporary inbox; they are never copied into the project.

The expected reason codes are written by hand from what each file is, as
observed with stiplan and judged right for a planner.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"

if not REALDATA.is_dir():
    pytest.skip(f"real-data fixtures not found at {REALDATA}", allow_module_level=True)

# file -> the reason code its whole-file rejection must carry
EXPECTED_CODE = {
    # Budget Bureau province allocation (PDF -> xlsx): a province/amount summary, no
    # project column, no agency. Sheet header not found, agency named nowhere.
    "bb_provincial_allocation_2553_pdf2xlsx.xlsx": "no_header",
    "bb_provincial_allocation_2559_pdf2xlsx.xlsx": "no_header",
    # Groundwater sites: project + province + agency (สทบ. เขต N) + year columns, but no
    # budget column, 12 regional offices and 8 fiscal years: the missing column is named.
    "dgr_groundwater_project_sites_2561-2568.xlsx": "no_header",
    # Fiscal Policy Office monthly disbursement, genuine BIFF8 .xls, wide year x month grid.
    "fpo_FIT_D105_budget_disbursement_2549-2566.xls": "no_header",
    # CSV is not a workbook type the plan office accepts.
    "dga_egp_contracts_fy2568_sample250.csv": "file_type_unsupported",
    "budgetbill2565_vol3-13-1_provinces_napatswift.csv": "file_type_unsupported",
    "budgetbill2565_vol3-17_napatswift.csv": "file_type_unsupported",
    "budgetbill2565_vol3-17_pdfplumber_garbled.csv": "file_type_unsupported",
    "kku_action_plan_2567_epm_export.csv": "file_type_unsupported",
}

# code -> what the reason must tell the sender to do, in English and in Thai
ACTION = {
    "file_type_unsupported": ("send .xlsx", "ส่งเป็น .xlsx"),
    "agency_unknown": ("add a title row 'หน่วยงาน:", "เพิ่มแถว 'หน่วยงาน:"),
    "no_header": ("template", "แบบฟอร์ม"),
}

EMPTY_TABLES = (
    "source_rows",
    "projects",
    "project_provinces",
    "row_problems",
    "duplicate_candidates",
)


def run_cli(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run", "--no-outputs"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def snapshot(plan: Path) -> dict[str, list[tuple]]:
    """Every table and view of the published plan, rows in a fixed order."""
    con = duckdb.connect(str(plan), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "ORDER BY table_name"
            ).fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("realdata")
    inbox, warehouse = base / "inbox", base / "warehouse"
    inbox.mkdir()
    for name in EXPECTED_CODE:
        src = REALDATA / name
        assert src.is_file(), f"fixture missing: {src}"
        shutil.copy2(src, inbox / name)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse), COLUMNS="250")
    first = run_cli(env, base)
    plan = warehouse / "plan.duckdb"
    before = snapshot(plan) if first.returncode == 0 and plan.exists() else None
    second = run_cli(env, base)
    return {"first": first, "second": second, "plan": plan, "inbox": inbox, "before": before}


def _show(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_first_run_exits_zero_without_traceback(runs):
    first = runs["first"]
    assert first.returncode == 0, _show(first)
    assert "Traceback" not in first.stdout + first.stderr, _show(first)
    assert runs["plan"].exists(), _show(first)
    for name in EXPECTED_CODE:  # the planner sees every rejected file in the summary
        assert name in first.stdout, (name, first.stdout)


@pytest.fixture(scope="module")
def submissions(runs):
    assert runs["before"] is not None, _show(runs["first"])
    con = duckdb.connect(str(runs["plan"]), read_only=True)
    try:
        rows = con.execute(
            "SELECT file_name, submission_id, status, reason_code, reason, "
            "agency_code, fiscal_year FROM submissions"
        ).fetchall()
    finally:
        con.close()
    return {
        r[0]: dict(
            zip(
                (
                    "file_name",
                    "submission_id",
                    "status",
                    "reason_code",
                    "reason",
                    "agency_code",
                    "fiscal_year",
                ),
                r,
                strict=True,
            )
        )
        for r in rows
    }


def test_one_submission_per_file(runs, submissions):
    assert len(runs["before"]["submissions"]) == len(EXPECTED_CODE)
    assert set(submissions) == set(EXPECTED_CODE)
    for name, sub in submissions.items():
        digest = hashlib.sha256((runs["inbox"] / name).read_bytes()).hexdigest()
        assert sub["submission_id"] == digest, name
    assert len(runs["before"]["arrivals"]) == len(EXPECTED_CODE)


@pytest.mark.parametrize("name", sorted(EXPECTED_CODE))
def test_file_rejected_with_actionable_reason(submissions, name):
    sub = submissions[name]
    assert sub["status"] == "rejected", sub
    assert sub["reason_code"] == EXPECTED_CODE[name], sub
    reason = sub["reason"] or ""
    assert reason.strip(), sub
    english, thai = ACTION[sub["reason_code"]]
    assert english in reason, (english, reason)
    assert thai in reason, (thai, reason)
    # None of these files is from one of the 16 agencies: routing one to an agency
    # (a file-name or alias false positive) would be a misroute.
    assert sub["agency_code"] is None, sub
    assert sub["fiscal_year"] is None, sub


@pytest.mark.parametrize("table", EMPTY_TABLES)
def test_nothing_reaches_the_plan(runs, table):
    before = runs["before"]
    assert before is not None, _show(runs["first"])
    assert before[table] == [], (table, before[table][:5])


def test_second_run_changes_nothing(runs):
    second = runs["second"]
    assert second.returncode == 0, _show(second)
    assert "Traceback" not in second.stdout + second.stderr, _show(second)
    assert "Nothing new" in second.stdout, _show(second)
    assert runs["before"] is not None, _show(runs["first"])
    assert snapshot(runs["plan"]) == runs["before"]


def test_groundwater_reason_names_the_missing_budget_column(submissions):
    sub = submissions["dgr_groundwater_project_sites_2561-2568.xlsx"]
    reason = sub["reason"] or ""
    assert sub["reason_code"] == "no_header", sub
    assert "agency column or agency code" not in reason, reason
    assert "budget" in reason.casefold() and "งบประมาณ" in reason, reason
