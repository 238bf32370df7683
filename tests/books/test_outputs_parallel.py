"""The outputs written together: one step for the three folders, a pool of forked
workers shared by their writers, and the workbook package written without a second
compression (the same bytes as before)."""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import os
import zipfile

import dagster as dg
import pytest
from workbooks import write_two_agencies
from xlsxwriter.sharedstrings import SharedStrings

from stiplan.assets.books import folders as xlsx_files
from stiplan.assets.excel.style import Book, Column, put, write_table

NAMES = ["plan_books", "agency_feedback", "province_extracts"]


# ------------------------------------------------------------------ the pool


def pid_of(_task) -> int:
    return os.getpid()


def square(n: int) -> int:
    return n * n


def full_disk(_task) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def die(_task) -> None:
    os._exit(7)


def open_files(_task) -> list[str]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return out


def test_a_forked_pool_runs_tasks_in_its_workers_in_order():
    with xlsx_files.Pool(2, fork=True) as pool:
        assert pool.map(square, range(20)) == [n * n for n in range(20)]
        pids = set(pool.map(pid_of, range(8)))
        assert os.getpid() not in pids and pids <= {w.pid for w in pool.workers}


def test_a_task_error_is_raised_in_the_parent_and_a_dead_worker_is_reported():
    with xlsx_files.Pool(2, fork=True) as pool:
        with pytest.raises(OSError) as got:  # a full disk stays one
            pool.map(full_disk, [1])
        assert got.value.errno == errno.ENOSPC
        with pytest.raises(RuntimeError, match="worker died"):
            pool.map(die, [1])
        assert pool.map(square, [3, 4, 5]) == [9, 16, 25]  # the other one still serves


def test_fresh_interpreters_where_there_is_no_fork():
    with xlsx_files.Pool(2, fork=False) as pool:
        assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3]


def test_a_forked_worker_holds_none_of_the_parents_files(tmp_path):
    """The writer lock is an flock: a worker keeping the parent's open file would keep
    the warehouse locked after the parent let go."""
    lock = tmp_path / "writer.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_EX)
    with xlsx_files.Pool(2, fork=True) as pool:
        seen = pool.map(open_files, [1, 2])
        os.close(fd)  # the parent lets go: nobody holds it now
        other = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    assert not any(str(lock) in f for files in seen for f in files)


def test_run_uses_the_active_pool_at_any_size():
    assert xlsx_files.active() is None
    with xlsx_files.pool(2) as pool:
        assert xlsx_files.active() is pool
        assert os.getpid() not in set(xlsx_files.run(pid_of, [1, 2, 3], 1))
    assert xlsx_files.active() is None
    assert xlsx_files.run(pid_of, [1], 1) == [os.getpid()]


# ------------------------------------------------------------------ the package


TRICKY = [
    "plain",
    " lead",
    "trail ",
    "tab\tinside",
    "_x0041_ looks escaped",
    "ctl\x01char",
    "<r>rich-looking</r>",
    "ไทย",
    "a\nb",
    "&<>\"'",
]


def test_shared_strings_are_what_xlsxwriter_writes(tmp_path, monkeypatch):
    """The year's strings are rendered once per process: the file is byte for byte
    the one xlsxwriter's own sharedStrings writer gives."""
    from stiplan.assets.excel import style as xlsx_style

    def book() -> Book:
        b = Book("t")
        b.share(TRICKY[::2])
        ws = b.add_sheet("s")
        for i, text in enumerate(TRICKY, start=1):
            put(ws, i, 1, text)
        write_table(ws, 20, [Column("h"), Column("n", "0")], [(f"row {i}", i) for i in range(150)])
        return b

    cached = book().save(tmp_path / "cached.xlsx").read_bytes()
    assert book().save(tmp_path / "again.xlsx").read_bytes() == cached
    monkeypatch.setattr(
        xlsx_style._SharedStrings, "_write_sst_strings", SharedStrings._write_sst_strings
    )
    assert book().save(tmp_path / "stock.xlsx").read_bytes() == cached
    with zipfile.ZipFile(tmp_path / "cached.xlsx") as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert all(f"<t>{t}</t>" in sst for t in ("plain", "ไทย"))


def test_the_same_book_gives_the_same_bytes_twice(tmp_path):
    def book() -> Book:
        b = Book("t")
        b.share(TRICKY[:4])
        ws = b.add_sheet("s")
        write_table(ws, 2, [Column("h", wrap=True, width=8)], [(t,) for t in TRICKY])
        return b

    one = book().save(tmp_path / "one.xlsx").read_bytes()
    assert book().save(tmp_path / "two.xlsx").read_bytes() == one


# ------------------------------------------------------------------ the step


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    inbox.mkdir()
    monkeypatch.setenv("STIPLAN_INBOX", str(inbox))
    monkeypatch.setenv("STIPLAN_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    write_two_agencies(inbox)
    from stiplan.run import run_inbox

    assert run_inbox().outputs_written == NAMES
    return warehouse


def _write(names: list[str]):
    from stiplan.definitions import defs
    from stiplan.run import run_config
    from stiplan.schemas.warehouse import Paths

    return defs.resolve_job_def("write_outputs").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_config=run_config(Paths.from_environment()),
        asset_selection=[dg.AssetKey(n) for n in names],
    )


def _materialized(result) -> dict[str, dict]:
    return {
        e.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def test_the_three_folders_are_one_step_and_one_can_be_asked_for(workspace):
    from stiplan.definitions import defs

    graph = defs.resolve_asset_graph()
    assert {graph.get(dg.AssetKey(n)).group_name for n in NAMES} == {"outputs"}
    result = _write(["province_extracts"])
    assert result.success
    got = _materialized(result)
    assert list(got) == ["province_extracts"]
    meta = got["province_extracts"]
    assert {"files", "path", "plan_sha256", "written"} <= set(meta)
    assert meta["files"].value == 77 and meta["path"].value == str(
        workspace / "outputs" / "provinces"
    )
    result = _write(NAMES)
    assert result.success and set(_materialized(result)) == set(NAMES)
    assert not list((workspace / ".work" / "outputs").glob(".plan.*.snapshot"))


def test_one_folder_failing_fails_the_step_and_the_others_are_written(workspace, monkeypatch):
    from stiplan.assets import outputs
    from stiplan.assets.books.stamps import stale_outputs
    from stiplan.schemas.warehouse import Paths

    def full(plan, p, out, previous):
        (out / "half.xlsx").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(
        outputs,
        "FOLDERS",
        [
            dataclasses.replace(f, write=full) if f.name == "agency_feedback" else f
            for f in outputs.FOLDERS
        ],
    )
    before = sorted(p.name for p in (workspace / "outputs" / "feedback").rglob("*.xlsx"))
    plan = (workspace / "plan.duckdb").read_bytes()
    for stamp in (workspace / ".work" / "outputs").glob("*.sha256"):
        stamp.unlink()  # every folder is to be written again
    result = _write(NAMES)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    said = failure.event_specific_data.error.message + str(
        failure.event_specific_data.user_failure_data
    )
    assert f"could not write {workspace / 'outputs' / 'feedback'}" in said
    assert set(_materialized(result)) == {"plan_books", "province_extracts"}
    assert stale_outputs(Paths.from_environment()) == ["agency_feedback"]
    assert sorted(p.name for p in (workspace / "outputs" / "feedback").rglob("*.xlsx")) == before
    assert (workspace / "plan.duckdb").read_bytes() == plan
    assert not [p for p in (workspace / "outputs").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("together_rows", [0, 10**9])  # one after the other; together
def test_the_folders_written_one_after_the_other_or_together_are_the_same(
    workspace, monkeypatch, together_rows
):
    import threading

    from stiplan.assets import outputs

    monkeypatch.setattr(outputs, "TOGETHER_ROWS", together_rows)
    seen: set[str] = set()
    writes = {f.name: f.write for f in outputs.FOLDERS}

    def spy(name):
        def write(*args):
            seen.add(threading.current_thread().name)
            return writes[name](*args)

        return write

    monkeypatch.setattr(
        outputs, "FOLDERS", [dataclasses.replace(f, write=spy(f.name)) for f in outputs.FOLDERS]
    )
    result = _write(NAMES)
    assert result.success and set(_materialized(result)) == set(NAMES)
    assert len(seen) == (1 if together_rows == 0 else 3)
    books = sorted((workspace / "outputs").rglob("*.xlsx"))
    assert len(books) > 77 and all(b.stat().st_size > 0 for b in books)
