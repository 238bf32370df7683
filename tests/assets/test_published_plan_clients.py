"""The published plan opens in the DuckDB clients people have: a 1.x client (the
command-line client and the JDBC/ODBC drivers of BI tools are 1.x) reads it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbooks import write_xlsx

YEAR = "ประจำปีงบประมาณ พ.ศ. 2555"
H = ["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"]
# `make setup` installs it there (Makefile)
DUCKDB_1 = Path(sys.prefix) / "duckdb1"

READ = """
import sys, duckdb
assert duckdb.__version__.startswith("1."), duckdb.__version__
con = duckdb.connect(sys.argv[1], read_only=True)
print(duckdb.__version__)
print(con.execute("SELECT count(*), sum(budget_baht) FROM projects").fetchone())
print(sorted(t for (t,) in con.execute("SHOW TABLES").fetchall()))
"""


def test_a_duckdb_1_client_reads_the_published_plan(paths):
    from stiplan.run import run_inbox
    from stiplan.schemas.warehouse import TABLES

    assert (DUCKDB_1 / "duckdb").is_dir(), "run `make setup`: it installs the 1.x client"
    write_xlsx(paths.inbox / "NIA_2555.xlsx", {"s": ([[YEAR], H], [[1, "ก", "ตาก", 1234.5]])})
    assert run_inbox(outputs=False, paths=paths).published
    out = subprocess.run(
        [sys.executable, "-c", READ, str(paths.plan)],
        env={"PYTHONPATH": str(DUCKDB_1)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    version, figures, tables = out.stdout.splitlines()
    assert version.startswith("1.")
    assert figures == "(1, Decimal('1234.50'))"
    assert set(TABLES) <= set(eval(tables))  # noqa: S307 - our own subprocess's list
