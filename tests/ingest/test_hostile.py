"""The hostile-input corpus (tests/hostile.py): every layout class in two variants,
packages that declare more than they hold, Excel error cells and odd file names.

First each file through `read_submission` alone (fast, precise failures), then the
whole corpus through one real `stiplan run`: it exits 0, publishes an audited plan,
and every file and every row ends with the outcome written by hand in the corpus.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hostile import BUILDERS, write_corpus

from stiplan.assets.consolidate.audit import BLOCKING_CHECKS
from stiplan.assets.ingest.submission import read_submission


def _path(folder: Path, raw: bytes) -> Path:
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_each_file_alone(tmp_path, build):
    exp = build(tmp_path)
    path = _path(tmp_path, exp.name)
    result = read_submission(path, os.fsdecode(exp.name))
    if exp.status == "rejected":
        assert result.identity.reason_code == "file_unreadable"
        assert result.rows == []
        return
    ident = result.identity
    assert (ident.agency_code, ident.fiscal_year, ident.reason_code) == (exp.agency, exp.year, None)
    got: dict[str, list[tuple[int, str]]] = {}
    for r in result.rows:
        got.setdefault(r.sheet, []).append((r.row_number, r.outcome))
    assert got == exp.outcomes
    problems = {
        (p.sheet, p.row_number, p.column, p.code)
        for p in result.problems
        if p.row_number is not None
    }
    assert problems == exp.problems
    accepted = sum((r.budget for r in result.rows if r.outcome == "accepted"), Decimal(0))
    assert accepted == Decimal(exp.budget)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    inbox, warehouse = base / "inbox", base / "warehouse"
    expected = write_corpus(inbox)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(STIPLAN_INBOX=str(inbox), STIPLAN_WAREHOUSE=str(warehouse))
    proc = subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run", "--no-outputs"],
        env=env,
        cwd=base,
        capture_output=True,
        text=True,
        timeout=900,
    )
    ids = {}
    for exp in expected:
        ids[hashlib.sha256(_path(inbox, exp.name).read_bytes()).hexdigest()] = exp
    return proc, warehouse / "plan.duckdb", ids


def test_one_run_over_the_corpus_exits_zero_and_publishes(corpus_run):
    proc, plan, _ = corpus_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert plan.exists()
    con = duckdb.connect(str(plan), read_only=True)
    try:
        for name, check in BLOCKING_CHECKS.items():
            assert check(con).passed, name
    finally:
        con.close()


def test_every_file_gets_its_route_and_status(corpus_run):
    _, plan, ids = corpus_run
    con = duckdb.connect(str(plan), read_only=True)
    try:
        got = {
            sid: (a, y, st, name)
            for sid, a, y, st, name in con.execute(
                "SELECT submission_id, agency_code, fiscal_year, status, file_name FROM submissions"
            ).fetchall()
        }
    finally:
        con.close()
    assert set(got) == set(ids)
    for sid, exp in ids.items():
        agency, year, status, name = got[sid]
        assert (agency, year, status) == (exp.agency, exp.year, exp.status), exp.name
        name.encode("utf-8")  # shown as valid text, whatever bytes the name was


def test_every_row_gets_its_outcome_and_problems(corpus_run):
    _, plan, ids = corpus_run
    con = duckdb.connect(str(plan), read_only=True)
    try:
        rows = con.execute(
            "SELECT submission_id, sheet, row_number, outcome FROM source_rows ORDER BY 1, 2, 3"
        ).fetchall()
        problems = con.execute(
            "SELECT submission_id, sheet, row_number, column_letter, code "
            "FROM row_problems WHERE row_number IS NOT NULL"
        ).fetchall()
        budgets = dict(
            con.execute(
                "SELECT submission_id, sum(budget_baht) FROM projects GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    outcomes: dict[str, dict[str, list]] = {}
    for sid, sheet, n, outcome in rows:
        outcomes.setdefault(sid, {}).setdefault(sheet, []).append((n, outcome))
    found: dict[str, set] = {}
    for sid, sheet, n, col, code in problems:
        found.setdefault(sid, set()).add((sheet, n, col, code))
    for sid, exp in ids.items():
        assert outcomes.get(sid, {}) == exp.outcomes, exp.name
        assert found.get(sid, set()) == exp.problems, exp.name
        if exp.budget is not None:
            assert budgets[sid] == Decimal(exp.budget), exp.name
