"""How fast the plan books and the province extracts are written from a published plan.

```sh
.venv/bin/python benchmarks/outputs.py                       # the plan at /tmp/prof/wh, if any
.venv/bin/python benchmarks/outputs.py --plan path/plan.duckdb
.venv/bin/python benchmarks/outputs.py --projects 20000      # build a plan of 20,000 projects
.venv/bin/python benchmarks/outputs.py --rev 71847b2         # the writers of an older commit
```

Each writer (`write_planbooks`, `write_province_extracts`) runs in a child process of
its own; `together` runs the three folders (with `write_feedback`) as the output step
does: a thread each, sharing one pool of workers started first. The seconds are the
wall clock of the call alone (imports excluded, reading the plan included), the peak
MB the highest sum of the PSS (RSS where there is none: forked workers share pages)
of the child and all its descendants, sampled every 50 ms. Cells are counted afterwards in the sheets written
(`<c ` elements), so cells/s is the same measure for any writer. `--rev` runs the
toolkit (`assets/excel/`) and the writers (`assets/books/`) of that commit instead of
the working tree's (the "before" of a change). `planbook-again` / `extracts-again` write the
same plan once more, given the folder just written: every workbook is unchanged, so
it is linked, not written (their cells/s counts the cells of the linked files).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLAN = Path("/tmp/prof/wh/plan.duckdb")
WRITERS = ("planbook", "extracts", "together")
AGAIN = ("planbook-again", "extracts-again")  # unchanged plan: every file is reused


# ------------------------------------------------------------------ a plan to write from


def build_plan(n: int, out: Path) -> Path:
    """A real published plan of about `n` projects: agency workbooks through `stiplan run
    --no-outputs` (cached in `out`)."""
    import openpyxl

    from stiplan.schemas.reference import AGENCIES, PROVINCES

    warehouse = out / f"plan-{n}" / "warehouse"
    if (warehouse / "plan.duckdb").exists():
        return warehouse / "plan.duckdb"
    inbox = out / f"plan-{n}" / "inbox"
    shutil.rmtree(inbox.parent, ignore_errors=True)
    inbox.mkdir(parents=True)
    rnd = random.Random(n)
    agencies = AGENCIES[: max(1, min(len(AGENCIES), -(-n // 10_000)))]
    per = -(-n // len(agencies))
    words = [
        "พัฒนา",
        "ส่งเสริม",
        "วิจัย",
        "ถ่ายทอดเทคโนโลยี",
        "เกษตร",
        "ชุมชน",
        "นวัตกรรม",
        "อาหาร",
        "พลังงาน",
        "น้ำ",
        "สุขภาพ",
        "การศึกษา",
        "ดิจิทัล",
        "ท่องเที่ยว",
    ]
    for a in agencies:
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("โครงการ")
        ws.append(["ประจำปีงบประมาณ พ.ศ. 2555"])
        ws.append(
            [
                "ลำดับ",
                "ชื่อโครงการ",
                "จังหวัด",
                "งบประมาณ (บาท)",
                "ยุทธศาสตร์",
                "กลุ่มเป้าหมาย",
                "ผู้รับผิดชอบ",
                "โทรศัพท์",
            ]
        )
        for i in range(1, per + 1):
            name = f"โครงการ{''.join(rnd.sample(words, 3))} {a.code} ระยะที่ {i}"
            provs = ", ".join(p.name_th for p in rnd.sample(PROVINCES, rnd.choice((1, 1, 2, 3))))
            ws.append(
                [
                    i,
                    name,
                    provs,
                    round(rnd.lognormvariate(14, 1), 2),
                    f"ยุทธศาสตร์ที่ {rnd.randint(1, 4)}",
                    "เกษตรกร 100 คน",
                    "นายสมชาย ใจดี",
                    "0 2333 3700",
                ]
            )
        wb.save(inbox / f"{a.code}_2555.xlsx")
    env = {**os.environ, "STIPLAN_INBOX": str(inbox), "STIPLAN_WAREHOUSE": str(warehouse)}
    env.pop("DAGSTER_HOME", None)
    subprocess.run(
        [sys.executable, "-m", "stiplan.cli", "run", "--no-outputs"],
        env=env,
        cwd=inbox.parent,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return warehouse / "plan.duckdb"


# ------------------------------------------------------------------ one measured writer


# The writers' modules, each after those it imports (a commit may lack some).
REV_MODULES = (
    "excel/heights",
    "excel/styles",
    "excel/stream",
    "excel/save",
    "excel/style",
    "books/folders",
    "books/planbook",
    "books/extracts",
)


def _load_rev(rev: str) -> None:
    """Import the output writers of commit `rev` (from the tree's re-layering on: the
    toolkit under assets/excel/, the writers under assets/books/) under their usual
    names."""
    import stiplan.assets.books
    import stiplan.assets.excel  # noqa: F401  (the packages the modules go into)

    for name in REV_MODULES:
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:assets/{name}.py"],
            capture_output=True,
            text=True,
        )
        if shown.returncode:
            continue  # not at that commit
        full = "stiplan.assets." + name.replace("/", ".")
        spec = importlib.util.spec_from_loader(full, loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        exec(compile(shown.stdout, f"{rev}:assets/{name}.py", "exec"), module.__dict__)


def measure(which: str, plan: Path, out: Path, rev: str | None) -> None:
    if rev:
        _load_rev(rev)
    from stiplan.assets.books.extracts import write_province_extracts
    from stiplan.assets.books.planbook import write_planbooks

    if which == "together":
        return _together(plan, out)
    write = write_planbooks if which.startswith("planbook") else write_province_extracts
    args = (plan, out)
    if which.endswith("-again"):  # the same plan again, with the folder just written
        from stiplan.assets.books.folders import Manifest

        before = out.with_name(which.removesuffix("-again"))
        args = (plan, out, Manifest.load(_manifest(before), before))
    started = time.perf_counter()
    files = write(*args)
    seconds = time.perf_counter() - started
    if getattr(files, "fingerprints", None) is not None:  # for the run "-again"
        from stiplan.assets.books.folders import Manifest

        Manifest.of(out, files).save(_manifest(out))
    print(json.dumps({"seconds": seconds, "files": len(files)}))


def _together(plan: Path, out: Path) -> None:
    """The three folders at once, as `assets/outputs.py` writes them."""
    from concurrent.futures import ThreadPoolExecutor

    from stiplan.assets.books import folders as xlsx_files
    from stiplan.assets.books.extracts import write_province_extracts
    from stiplan.assets.books.feedback import write_feedback
    from stiplan.assets.books.planbook import cached_plan, write_planbooks
    from stiplan.assets.outputs import FORK_ROWS

    started = time.perf_counter()
    data = cached_plan(plan)
    rows = sum(a.projects for y in data.years for a in data.year(y).areas.values())
    with (
        xlsx_files.pool(fork=xlsx_files.forking() and rows <= FORK_ROWS),
        ThreadPoolExecutor(3) as threads,
    ):
        jobs = [
            threads.submit(write_planbooks, plan, out / "planbook"),
            threads.submit(write_feedback, plan, plan.parent / "archive", out / "feedback"),
            threads.submit(write_province_extracts, plan, out / "provinces"),
        ]
        files = sum(len(j.result()) for j in jobs)
    print(json.dumps({"seconds": time.perf_counter() - started, "files": files}))


def _manifest(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}.manifest.json")


# ------------------------------------------------------------------ the parent


def _tree_rss(pid: int) -> int:
    """PSS (else RSS) in bytes of `pid` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup", "rb") as fh:
                total += next(
                    int(line.split()[1]) * 1024 for line in fh if line.startswith(b"Pss:")
                )
        except (OSError, IndexError, ValueError, StopIteration):
            try:
                with open(f"/proc/{p}/statm", "rb") as fh:
                    total += int(fh.read().split()[1]) * page
            except (OSError, IndexError, ValueError):
                pass
        todo.extend(children.get(p, []))
    return total


def cells(out: Path) -> int:
    n = 0
    for f in out.rglob("*.xlsx"):
        with zipfile.ZipFile(f) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    with z.open(name) as fh:
                        while chunk := fh.read(1 << 24):
                            n += chunk.count(b"<c ")
    return n


def run(which: str, plan: Path, out: Path, rev: str | None) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--_measure", which, "--plan", str(plan), "--out", str(out)]
    if rev:
        cmd += ["--rev", rev]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    said, _ = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{which} failed (exit {proc.returncode})")
    result = json.loads(said.strip().splitlines()[-1])
    result.update(cells=cells(out), peak_mb=peak[0] / 2**20, which=which)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plan", type=Path)
    ap.add_argument("--projects", type=int, help="build a plan of about N projects")
    ap.add_argument("--rev", help="measure the writers of this git commit")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "outputs")
    ap.add_argument("--only", choices=WRITERS)
    ap.add_argument("--_measure", choices=WRITERS + AGAIN, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._measure:
        return measure(args._measure, args.plan, args.out, args.rev)
    if args.projects:
        plan = build_plan(args.projects, args.out)
    else:
        plan = args.plan or DEFAULT_PLAN
    if not plan.exists():
        raise SystemExit(f"no plan at {plan}: give --plan or --projects")
    print(f"plan {plan} · writers of {args.rev or 'the working tree'} · {os.cpu_count()} cores")
    print(
        f"{'output':<15} {'files':>6} {'seconds':>8} {'cells':>11} {'cells/s':>11} {'peak MB':>8}"
    )
    chosen = [args.only] if args.only else list(WRITERS)
    if args.rev:  # an older writer may not take the folder to reuse, nor run together
        chosen = [w for w in chosen if w != "together"]
    else:
        chosen += [f"{w}-again" for w in chosen if w != "together"]
    for which in chosen:
        r = run(which, plan, args.out / which, args.rev)
        print(
            f"{which:<15} {r['files']:>6} {r['seconds']:>8.2f} {r['cells']:>11,} "
            f"{r['cells'] / r['seconds']:>11,.0f} {r['peak_mb']:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
