"""Drop-to-plan latency under `dagster dev`.

Starts the real UI (sensor and automation on, as `make start` does) over a
temporary inbox and warehouse, drops one agency workbook at a time, and measures
how long until the published `projects` and `summary_by_agency` reflect it.
Target: under 15 s. Then drops the other agencies' workbooks all at once (a batch, as
when a planner copies a folder in) and measures how long until the plan holds them
all, and how many times the plan was published meanwhile; then a batch over two new
fiscal years (every agency's FY 2556 and 2557 files, 32 at once: runs for each year,
one merge and publish after them).

    .venv/bin/python benchmarks/latency.py [--drops 5] [--rows 200] [--no-batch]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb
import openpyxl

REPO = Path(__file__).resolve().parents[1]
AGENCIES = ["NSTDA", "DSS", "OPS", "OAP", "NIMT", "TISTR", "GISTDA", "NSM", "TINT", "STI"]
ALL_AGENCIES = [
    *AGENCIES,
    *(c for c in ("OMIN", "SLRI", "HAII", "NARIT", "NIA", "TCELS") if c not in AGENCIES),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port: int) -> bool:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ version }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def workbook(path: Path, agency: str, rows: int, year: int = 2555) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"แผนบูรณาการ ประจำปีงบประมาณ พ.ศ. {year}"])
    ws.append(["ลำดับ", "ชื่อโครงการ", "จังหวัด", "งบประมาณ (บาท)"])
    for i in range(1, rows + 1):
        ws.append([i, f"โครงการ {agency} ที่ {i}", "เชียงใหม่, ลำพูน", 1000 + i])
    wb.save(path)


def published(plan: Path, agency: str, year: int = 2555) -> int:
    """Projects of `agency` for `year` in the published plan, once its summary shows them
    too."""
    try:
        con = duckdb.connect(str(plan), read_only=True)
    except (duckdb.Error, OSError):
        return 0
    try:
        n = con.execute(
            "SELECT count(*) FROM projects WHERE agency_code = ? AND fiscal_year = ?",
            [agency, year],
        ).fetchone()
        s = con.execute(
            "SELECT coalesce(sum(projects), 0) FROM summary_by_agency "
            "WHERE agency_code = ? AND fiscal_year = ?",
            [agency, year],
        ).fetchone()
        return n[0] if n[0] == s[0] else 0
    except duckdb.Error:
        return 0
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drops", type=int, default=5)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--no-batch", action="store_true", help="single drops only")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="stiplan-latency-"))
    inbox, warehouse, home, staging = (root / n for n in ("inbox", "warehouse", "home", "stage"))
    for d in (inbox, home, staging):
        d.mkdir()
    shutil.copyfile(REPO / "pipelines" / "dagster.yaml", home / "dagster.yaml")
    env = dict(
        os.environ,
        DAGSTER_HOME=str(home),
        STIPLAN_INBOX=str(inbox),
        STIPLAN_WAREHOUSE=str(warehouse),
    )
    port = free_port()
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen(
        [str(dagster), "dev", "-m", "stiplan.definitions", "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        cwd=root,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies, batch, years = [], None, None
    try:
        t0 = time.time()
        while not ready(port):
            time.sleep(0.5)
        print(f"dagster dev ready in {time.time() - t0:.1f} s")
        time.sleep(6)  # the automation sensor's first tick only sets a baseline
        for agency in AGENCIES[: args.drops]:
            src = staging / f"{agency}_2555.xlsx"
            workbook(src, agency, args.rows)
            start = time.time()
            shutil.copyfile(src, inbox / src.name)
            while published(warehouse / "plan.duckdb", agency) != args.rows:
                if time.time() - start > 180:
                    raise SystemExit(f"{agency}: not published after 180 s")
                time.sleep(0.2)
            latencies.append(time.time() - start)
            print(f"{agency}: file landed -> published plan and summary in {latencies[-1]:.1f} s")
        if not args.no_batch:
            plan = warehouse / "plan.duckdb"
            batch = drop_batch(staging, inbox, plan, args, ALL_AGENCIES[args.drops :], [2555])
            years = drop_batch(staging, inbox, plan, args, ALL_AGENCIES, [2556, 2557])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"drop-to-plan latency over {len(latencies)} drops of {args.rows} rows: "
        f"median {statistics.median(latencies):.1f} s, max {max(latencies):.1f} s "
        f"(target < 15 s)"
    )
    for name, figures in (("batch", batch), ("two-year batch", years)):
        if figures:
            seconds, files, publishes = figures
            print(
                f"{name} of {files} files dropped at once -> all in the published plan in "
                f"{seconds:.1f} s, with {publishes} publish(es) meanwhile"
            )


def drop_batch(
    staging: Path, inbox: Path, plan: Path, args, agencies: list[str], years: list[int]
) -> tuple[float, int, int]:
    """Copy these agencies' files of these years in at once; wait until the plan holds
    them all. Publishes are counted as the plan file's replacements (each publish renames
    a new file over it)."""
    files = [(agency, year) for year in years for agency in agencies]
    for agency, year in files:
        workbook(staging / f"{agency}_{year}.xlsx", agency, args.rows, year)
    inode = plan.stat().st_ino
    publishes = 0
    start = time.time()
    for agency, year in files:
        shutil.copyfile(staging / f"{agency}_{year}.xlsx", inbox / f"{agency}_{year}.xlsx")
    while True:
        try:
            now = plan.stat().st_ino
        except OSError:
            now = inode
        if now != inode:
            publishes, inode = publishes + 1, now
        if all(published(plan, agency, year) == args.rows for agency, year in files):
            return time.time() - start, len(files), publishes
        if time.time() - start > 300:
            raise SystemExit("the batch was not published after 300 s")
        time.sleep(0.1)


if __name__ == "__main__":
    main()
