"""Who holds what: a writer that has exited, even one nobody reaped yet, holds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stiplan.assets.runtime.lock import pid_alive, sweep
from stiplan.schemas.warehouse import Paths


def _zombie() -> subprocess.Popen:
    """A child that has exited and is not reaped yet (as the readers' children of a
    killed run stay where no process reaps orphans)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{proc.pid}/stat")
    deadline = time.monotonic() + 30
    while stat.read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.01)
    return proc


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_zombie_is_not_alive_and_its_leftovers_are_swept(tmp_path):
    assert pid_alive(os.getpid())
    proc = _zombie()
    try:
        assert not pid_alive(proc.pid)
        p = Paths(inbox=tmp_path / "inbox", warehouse=tmp_path / "warehouse")
        left = p.parsed / "v6" / f".{'a' * 64}.pkl.{proc.pid}.tmp"
        mine = p.parsed / "v6" / f".{'b' * 64}.pkl.{os.getpid()}.tmp"
        left.parent.mkdir(parents=True)
        left.write_bytes(b"half")
        mine.write_bytes(b"being written")
        sweep(p)
        assert not left.exists() and mine.exists()
    finally:
        proc.wait()


def test_sweep_removes_the_merge_database_a_kill_left_with_its_log_and_spill_folder(tmp_path):
    p = Paths(inbox=tmp_path / "inbox", warehouse=tmp_path / "warehouse")
    p.work.mkdir(parents=True)
    building = p.work / f".{p.working_plan.name}.4242.building"
    spill = building.with_name(building.name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x")
    building.write_bytes(b"x")
    building.with_name(building.name + ".wal").write_bytes(b"x")
    sweep(p)
    assert list(p.work.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sweep_removes_a_dead_writers_snapshot_with_its_spill_folder_and_keeps_a_live_one(
    tmp_path,
):
    """A killed output writer leaves its plan snapshot and the `.tmp` folder DuckDB
    spilled beside it; the next run's sweep used to unlink the folder as a file and
    stop with IsADirectoryError."""
    proc = _zombie()
    try:
        p = Paths(inbox=tmp_path / "inbox", warehouse=tmp_path / "warehouse")
        outputs = p.work / "outputs"
        outputs.mkdir(parents=True)
        dead = outputs / f".plan.0a0b0c0d.{proc.pid}.snapshot"
        live = outputs / f".plan.01020304.{os.getpid()}.snapshot"
        for snap in (dead, live):
            snap.write_bytes(b"plan")
            spill = snap.with_name(snap.name + ".tmp")
            spill.mkdir()
            (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x")
            snap.with_name(snap.name + ".wal").write_bytes(b"x")
        sweep(p)
        assert sorted(f.name for f in outputs.iterdir()) == sorted(
            [live.name, live.name + ".tmp", live.name + ".wal"]
        )
    finally:
        proc.wait()
